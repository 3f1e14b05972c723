import { readFileSync, writeFileSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { unzipSync, zipSync } from "fflate";
import { storageStateFor, waitForDemoSeed } from "./support/roles";

/**
 * Evidence end to end: a compliance officer filters the decisions list, exports the view as a
 * bundle, downloads it, and verifies it on the "Verify a bundle" page, where it is checked in
 * the browser (nothing uploaded). A tampered copy of the same bundle fails there, naming the
 * record.
 */

test.beforeAll(async () => {
  test.setTimeout(300_000);
  await waitForDemoSeed();
});

test.describe("as a compliance officer", () => {
  test.use({ storageState: storageStateFor("compliance_officer"), acceptDownloads: true });

  test("exports a filtered view, downloads it and verifies it in the browser", async ({ page }, testInfo) => {
    test.setTimeout(240_000);
    await page.goto("/decisions?range=30d&verb=denied");
    await expect(page.getByTestId("decision-row").first()).toBeVisible();

    await page.getByRole("button", { name: "Export evidence" }).click();
    await page.getByRole("button", { name: "Create evidence bundle" }).click();
    const status = page.getByTestId("export-status");
    await expect(status).toHaveAttribute("data-status", "ready", { timeout: 180_000 });
    await expect(status).toContainText("denied");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-bundle").click()]);
    const file = testInfo.outputPath("bundle.zip");
    await download.saveAs(file);
    expect(download.suggestedFilename()).toMatch(/^evidence-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}\.zip$/);

    // The bundle holds what the view showed: only denials, in the last 30 days.
    const files = unzipSync(new Uint8Array(readFileSync(file)));
    const manifest = JSON.parse(new TextDecoder().decode(files["manifest.json"])) as {
      recordCount: number;
      selection: { description: string; parameters: { verbs?: string[] } };
    };
    expect(manifest.recordCount).toBeGreaterThan(0);
    expect(manifest.selection.parameters.verbs).toEqual(["denied"]);
    expect(manifest.selection.description).toMatch(/action "denied"/);

    // Verify it on the page: in the browser, with this ledger's key.
    await page.goto("/verify-bundle");
    await expect(page.getByText("Nothing is uploaded.")).toBeVisible();
    const uploads: string[] = [];
    page.on("request", (r) => {
      if (r.method() !== "GET") uploads.push(r.url());
    });
    await page.getByTestId("bundle-file").setInputFiles(file);
    await page.getByRole("button", { name: "Use this ledger's key" }).click();
    await page.getByRole("button", { name: "Verify bundle" }).click();
    const result = page.getByTestId("bundle-result");
    await expect(result).toHaveAttribute("data-ok", "true", { timeout: 120_000 });
    await expect(result).toContainText("Pass: the evidence bundle verifies");
    await expect(result).toContainText(`${manifest.recordCount.toLocaleString("en-US")} record(s) are proven`);
    await expect(result).toContainText("Manifest tied to the ledger");
    expect(uploads, "the bundle must not be sent anywhere").toEqual([]);

    // A copy with one record changed fails, and the failure names the record.
    const lines = new TextDecoder().decode(files["records.jsonl"]).split("\n").filter(Boolean);
    const victim = JSON.parse(lines[0]!) as { seq: number; id: string };
    lines[0] = lines[0]!.replace(/"timestamp":"(\d{4})/, (_, y: string) => `"timestamp":"${Number(y) + 1}`);
    files["records.jsonl"] = new TextEncoder().encode(lines.join("\n") + "\n");
    const tampered = testInfo.outputPath("tampered.zip");
    writeFileSync(tampered, zipSync(files));
    await page.getByTestId("bundle-file").setInputFiles(tampered);
    await page.getByRole("button", { name: "Verify bundle" }).click();
    await expect(result).toHaveAttribute("data-ok", "false", { timeout: 120_000 });
    const failure = page.getByTestId("bundle-failure").filter({ hasText: "record_modified" });
    await expect(failure).toContainText(`Position ${victim.seq.toLocaleString("en-US")}`);
    await expect(failure).toContainText(victim.id);
  });

  test("exports the rows selected in the list", async ({ page }) => {
    test.setTimeout(180_000);
    await page.goto("/decisions?range=7d");
    const rows = page.getByTestId("decision-row");
    await expect(rows.first()).toBeVisible();
    const ids = [(await rows.nth(0).getAttribute("data-decision-id"))!, (await rows.nth(1).getAttribute("data-decision-id"))!];
    await rows.nth(0).getByRole("checkbox").check();
    await rows.nth(1).getByRole("checkbox").check();
    await page.getByRole("button", { name: "Export evidence" }).click();
    await page.getByRole("radio", { name: "The 2 selected decisions" }).check();
    await page.getByRole("button", { name: "Create evidence bundle" }).click();
    const status = page.getByTestId("export-status");
    await expect(status).toHaveAttribute("data-status", "ready", { timeout: 120_000 });
    await expect(status).toContainText("2 decisions selected by hand");
    const href = (await page.getByTestId("download-bundle").getAttribute("href"))!;
    const res = await page.request.get(href);
    expect(res.status()).toBe(200);
    expect(res.headers()["content-type"]).toBe("application/zip");
    const files = unzipSync(new Uint8Array(await res.body()));
    const got = new TextDecoder()
      .decode(files["records.jsonl"])
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { id: string }).id)
      .sort();
    expect(got).toEqual([...ids].sort());

    // Leaving the list loses nothing: the Exports page lists the bundle with its download.
    await page.goto("/exports");
    const listed = page.getByTestId("export-row").filter({ hasText: "2 decisions selected by hand" }).first();
    await expect(listed).toHaveAttribute("data-status", "ready");
    await expect(listed.getByRole("link", { name: /Download/ })).toHaveAttribute("href", href);
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);
    // Looking at the list is a use of the dashboard like any other: it is in the access log.
    await page.goto("/access-log?action=evidence.list");
    await expect(page.getByTestId("access-log-row").filter({ hasText: "/exports" }).first()).toBeVisible();
  });
});

test.describe("other users", () => {
  test.use({ storageState: storageStateFor("auditor") });

  test("cannot download someone else's export, and the verify page is accessible", async ({ page }) => {
    const mine = await page.request.get("/api/v1/evidence/exports");
    expect(mine.status()).toBe(200);
    const missing = await page.request.get("/api/v1/evidence/exports/00000000-0000-4000-8000-000000000000/download");
    expect(missing.status()).toBe(404);
    await page.goto("/verify-bundle");
    await expect(page.getByRole("heading", { name: "Verify a bundle", level: 1 })).toBeVisible();
    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(serious, JSON.stringify(serious, null, 2)).toEqual([]);
  });
});
