import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { storageStateFor, waitForDemoSeed } from "./support/roles";

/**
 * The integrity page as a compliance officer uses it: see the signed checkpoints and the
 * verifier key, press "Verify now", watch the progress and see the whole ledger pass; the run
 * is in the history.
 */

// Verify the demo ledger once it is complete (the seed continues in the background).
test.beforeAll(async () => {
  test.setTimeout(300_000);
  await waitForDemoSeed();
});

test.describe("as a compliance officer", () => {
  test.use({ storageState: storageStateFor("compliance_officer") });

  test("runs Verify now and sees the whole ledger pass, with progress", async ({ page }) => {
    test.setTimeout(240_000);
    await page.goto("/integrity");
    await expect(page.getByRole("heading", { name: "Integrity", level: 1 })).toBeVisible();
    // The latest signed checkpoint and the verifier key are shown, with the public addresses.
    await expect(page.getByTestId("checkpoint-decisions")).toContainText("Records covered");
    await expect(page.getByTestId("verifier-key")).toHaveText(/\+[0-9a-f]{8}\+/);
    await expect(page.getByRole("link", { name: "/api/v1/verifier-key" })).toHaveAttribute("href", "/api/v1/verifier-key");

    await page.getByRole("radio", { name: /The whole ledger/ }).check();
    await page.getByRole("button", { name: "Verify now" }).click();
    const progress = page.getByTestId("verification-progress");
    await expect(progress).toBeVisible();
    // While it runs there is a progress bar with counts; it ends in "passed".
    await expect(progress).toHaveAttribute("data-status", /queued|running|passed/);
    await expect(progress).toHaveAttribute("data-status", "passed", { timeout: 200_000 });
    await expect(progress.getByTestId("verification-finished")).toBeVisible();
    // The page refreshes and shows the outcome of this run as the last check.
    await expect(page.getByTestId("verification-result").first()).toContainText(/records and \d+ signed checkpoints checked/);
    await expect(page.getByText("Passed: the ledger is intact").first()).toBeVisible();

    // The run is in the history, requested by this user.
    await page.reload();
    const row = page.getByTestId("verification-run-row").first();
    await expect(row).toContainText("Passed");
    await expect(row).toContainText("Whole ledger");
  });

  test("shows progress from the server while a run is under way (the tab may close)", async ({ page }) => {
    test.setTimeout(240_000);
    await page.goto("/integrity");
    // Start through the API (as a script would), then open the page: it picks up the running job.
    const res = await page.request.post("/api/v1/integrity/runs", { data: { scope: "all" } });
    expect(res.status()).toBe(202);
    const { run } = (await res.json()) as { run: { id: string } };
    await page.goto(`/integrity/runs/${run.id}`);
    await expect(page.getByRole("heading", { name: "Verification report" })).toBeVisible();
    await expect.poll(async () => ((await (await page.request.get(`/api/v1/integrity/runs/${run.id}`)).json()) as { status: string }).status, {
      timeout: 200_000,
    }).toBe("passed");
    await page.reload();
    await expect(page.getByText("No problems found").first()).toBeVisible();
  });

  test("the integrity page has no serious accessibility violations", async ({ page }) => {
    await page.goto("/integrity");
    await expect(page.getByRole("heading", { name: "Integrity", level: 1 })).toBeVisible();
    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(serious, JSON.stringify(serious, null, 2)).toEqual([]);
  });
});

test.describe("as an auditor", () => {
  test.use({ storageState: storageStateFor("auditor") });

  test("sees results and may re-run verification, but cannot acknowledge failures", async ({ page }) => {
    await page.goto("/integrity");
    await expect(page.getByRole("button", { name: "Verify now" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Acknowledge failure" })).toHaveCount(0);
  });
});
