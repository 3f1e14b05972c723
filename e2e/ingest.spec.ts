import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { PROFILE_EXAMPLES } from "../lib/ledger/profile-examples";
import { EXT } from "../lib/ledger/xapi/vocabulary";
import { serializeDecisionsSearchParams } from "../lib/search-params/decisions";
import { demoCredentials, storageStateFor } from "./support/roles";

test.use({ storageState: storageStateFor("compliance_officer") });

/** A profile example about a new loan application, decided just now. */
function freshStatement() {
  const entityId = `LA-E2E-${Date.now().toString(36).toUpperCase()}${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
  const statement = structuredClone(PROFILE_EXAMPLES.loanDenialHumanApproved);
  statement.id = randomUUID();
  statement.timestamp = new Date(Date.now() - 60_000).toISOString();
  statement.object = {
    objectType: "Activity",
    id: `https://loans.northwind-bank.example/applications/${entityId}`,
    definition: {
      type: "https://decision-ledger.dev/xapi/activity-types/loan-application",
      name: { en: `Loan application ${entityId}` },
      extensions: { [EXT.entity]: { type: "loan-application", id: entityId } },
    },
  };
  return { statement, entityId };
}

test("a decision POSTed with the demo API key can be found in the explorer and opened", async ({ page, request }) => {
  const { apiKey } = demoCredentials();
  expect(apiKey, "the demo seed wrote an ingest API key").toBeTruthy();
  const { statement, entityId } = freshStatement();

  const res = await request.post("/api/v1/decisions", {
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    data: JSON.stringify(statement),
  });
  expect(res.status()).toBe(201);
  expect(res.headers()["x-experience-api-version"]).toBe("2.0.0");
  const body = (await res.json()) as { stored: { index: number; id: string; seq: number; leafHash: string; created: boolean }[]; treeSize: number };
  expect(body.stored).toEqual([expect.objectContaining({ index: 0, id: statement.id, created: true })]);

  // Search by entity id through the explorer's URL parameters.
  await page.goto(`/decisions${serializeDecisionsSearchParams({ entity: entityId, entityType: "loan-application", range: "7d" })}`);
  const open = page.getByRole("link", { name: new RegExp(`^Open decision: .* about ${entityId},`) });
  await expect(open).toHaveCount(1);
  await open.click();
  await expect(page).toHaveURL(new RegExp(`/decisions/${statement.id}`));
  await expect(page.getByRole("heading", { level: 1 })).toContainText(entityId);
  // The record shows what was written, e.g. the reason given by the AI system.
  await expect(page.getByText(statement.result!.response!).first()).toBeVisible();
});

test("the ingest API refuses a bad key and bad JSON through the real server, in its documented error shape", async ({ request }) => {
  const { apiKey } = demoCredentials();
  const anonymous = await request.post("/api/v1/decisions", { headers: { "content-type": "application/json" }, data: "{}" });
  expect(anonymous.status()).toBe(401);
  expect(anonymous.headers()["www-authenticate"]).toContain("Bearer");
  expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe("unauthenticated");

  const malformed = await request.post("/api/v1/decisions", {
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    // A Buffer: Playwright would JSON-encode a string that is not valid JSON.
    data: Buffer.from('{"actor": '),
  });
  expect(malformed.status()).toBe(400);
  const error = ((await malformed.json()) as { error: { code: string; location: { line: number; column: number } } }).error;
  expect(error.code).toBe("invalid_json");
  expect(error.location).toMatchObject({ line: 1, column: 11 });
});

test("the published verifier material and the API description are public", async ({ playwright, baseURL }) => {
  const anonymous = await playwright.request.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  try {
    const key = await anonymous.get("/api/v1/verifier-key");
    expect(key.status()).toBe(200);
    expect(await key.text()).toMatch(/^[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+\n$/);

    const checkpoint = await anonymous.get("/api/v1/checkpoints/latest?log=decisions");
    expect(checkpoint.status()).toBe(200);
    const note = await checkpoint.text();
    expect(note.split("\n")[0]).toMatch(/\/decisions$/);
    expect(Number(checkpoint.headers()["x-tree-size"])).toBeGreaterThan(0);

    const openapi = await anonymous.get("/api/v1/openapi.json");
    expect(openapi.status()).toBe(200);
    const doc = (await openapi.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/api/v1/decisions");
  } finally {
    await anonymous.dispose();
  }
});
