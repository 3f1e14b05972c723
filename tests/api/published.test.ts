import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createLatestCheckpointHandler, createVerifierKeyHandler } from "@/lib/api/published";
import { generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import { generateSignerKey, parseCheckpoint, verifyNote } from "@/lib/ledger/signed-note";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { appendAccessEvent } from "@/lib/ledger-store/append-access-event";
import { DirectoryCheckpointStore } from "@/lib/ledger-store/checkpoint-store";
import { createCheckpoint, originOf } from "@/lib/ledger-store/create-checkpoint";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";

test("GET /api/v1/verifier-key returns the key as one line of text", async () => {
  const { verifierKey } = await generateSignerKey("ledger.example.com");
  const res = await createVerifierKeyHandler({ getVerifierKey: async () => verifierKey })(new Request("http://x/api/v1/verifier-key"));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
  expect(await res.text()).toBe(verifierKey + "\n");
});

describe.each(DATABASE_KINDS)("GET /api/v1/checkpoints/latest on %s", (kind) => {
  let database: TestDatabase;
  let dir: string;
  let keys: { signerKey: string; verifierKey: string };
  let handler: (req: Request) => Promise<Response>;
  const get = (query = "") => handler(new Request(`http://ledger.test/api/v1/checkpoints/latest${query}`));

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    dir = mkdtempSync(path.join(tmpdir(), "dl-h4-cp-"));
    keys = await generateSignerKey("ledger.example.com");
    handler = createLatestCheckpointHandler({ getDb: async () => database.db });
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const sign = (logId: "decisions" | "access") =>
    createCheckpoint(database.db, {
      logId,
      origin: originOf("ledger.example.com", logId),
      signer: { signerKey: keys.signerKey },
      externalStore: new DirectoryCheckpointStore(dir),
    });

  test("404 before any checkpoint, then the latest signed note, verifiable with the published key", async () => {
    const none = await get();
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("not_found");

    await appendDecisions(database.db, TEST_KEYS, generateDemoStatements({ count: 5, now: new Date("2025-03-01T00:00:00Z"), seed: 1 }), { name: "svc" });
    await sign("decisions");
    await appendDecisions(database.db, TEST_KEYS, generateDemoStatements({ count: 3, now: new Date("2025-03-01T00:00:00Z"), seed: 2 }), { name: "svc" });
    await sign("decisions");

    const res = await get("?log=decisions");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(res.headers.get("x-tree-size")).toBe("8");
    const note = await res.text();
    const verified = await verifyNote(note, [keys.verifierKey]);
    const checkpoint = parseCheckpoint(verified.text);
    expect(checkpoint).toMatchObject({ origin: "ledger.example.com/decisions", size: 8 });
    // Default log is decisions.
    expect(await (await get()).text()).toBe(note);
  });

  test("?log=access serves the access log's checkpoint", async () => {
    await appendAccessEvent(database.db, { action: "auth.sign_in", outcome: "success", user: { email: "a@example.com" } });
    await sign("access");
    const res = await get("?log=access");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-log")).toBe("access");
    const verified = await verifyNote(await res.text(), [keys.verifierKey]);
    expect(parseCheckpoint(verified.text).origin).toBe("ledger.example.com/access");
  });

  test("an unknown log is a 400 naming the parameter", async () => {
    const res = await get("?log=users");
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_parameter");
    expect(body.error.message).toContain("log");
  });
});
