import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { storageStateFor, waitForDemoSeed } from "./support/roles";

/**
 * The decision explorer as its users meet it: a compliance officer answering "every denial
 * by model 3.2 for this case in the last 7 days, and who approved them", opening one,
 * checking it in the browser and revealing personal data with a reason (each revealed value
 * checked against its commitment in the browser); an incident reviewer opening a shared link;
 * an auditor who sees commitments as placeholders yet checks the full record; and axe on both pages.
 */

// The demo seed stores the oldest decisions first and the last week last: wait until it is
// done so "last 7 days" is complete and stable while these tests compare views.
test.beforeAll(async () => {
  test.setTimeout(300_000);
  await waitForDemoSeed();
});

async function openMultiSelect(page: Page, label: string) {
  await page.locator("summary", { hasText: `${label}:` }).click();
}

/** Waits until the server has rendered the results for the current URL (no transition pending). */
async function settled(page: Page) {
  await expect(page.getByTestId("decision-results")).toHaveAttribute("aria-busy", "false");
  await expect(page.getByTestId("result-count")).toBeVisible();
}

async function rowIds(page: Page): Promise<string[]> {
  return page.getByTestId("decision-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-decision-id") ?? ""));
}

/** Narrows the list to denials by model 3.2.0 (last 7 days), then to the first row's case. */
async function findDenialsForOneCase(page: Page): Promise<string> {
  await page.goto("/decisions");
  await expect(page.getByRole("button", { name: "Last 7 days" })).toHaveAttribute("aria-pressed", "true");
  await openMultiSelect(page, "Decision");
  await page.getByRole("checkbox", { name: "denied", exact: true }).check();
  await expect(page).toHaveURL(/verb=denied/);
  await settled(page);
  await openMultiSelect(page, "Decision");
  await openMultiSelect(page, "Model version");
  await page.getByRole("checkbox", { name: /^3\.2\.0/ }).check();
  await expect(page).toHaveURL(/version=3\.2\.0/);
  await settled(page);
  await openMultiSelect(page, "Model version");
  const first = page.getByTestId("decision-row").first();
  await expect(first).toBeVisible();
  const entity = (await first.getAttribute("data-entity-id"))!;
  expect(entity).toMatch(/^LA-/);
  await page.getByLabel("About: id").fill(entity);
  await page.getByRole("button", { name: "Apply", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`entity=${entity}`));
  await expect(page.getByRole("button", { name: `Remove filter About: ${entity}` })).toBeVisible();
  await settled(page);
  return entity;
}

test.describe("as a compliance officer", () => {
  test.use({ storageState: storageStateFor("compliance_officer") });

  test("finds the denials by one model version for one case in the last 7 days, opens one, checks it and reveals personal data with a logged reason", async ({ page }) => {
    test.setTimeout(180_000);
    const entity = await findDenialsForOneCase(page);
    const rows = page.getByTestId("decision-row");
    const n = await rows.count();
    expect(n).toBeGreaterThan(0);
    for (let i = 0; i < n; i++) {
      const row = rows.nth(i);
      await expect(row).toHaveAttribute("data-entity-id", entity);
      await expect(row).toContainText("denied");
      await expect(row).toContainText("3.2.0");
    }
    // "…and who approved them": the human review column names the reviewer.
    await expect(page.getByRole("columnheader", { name: /Human review/i })).toBeVisible();
    const count = await page.getByTestId("result-count").textContent();
    expect(Number(count!.replace(/,/g, ""))).toBe(n);

    // The URL is the state: back drops the case filter, forward restores it, reload keeps it.
    await page.goBack();
    await expect(page).not.toHaveURL(/entity=/);
    await expect(page.getByRole("button", { name: /Remove filter About:/ })).toHaveCount(0);
    await page.goForward();
    await expect(page).toHaveURL(new RegExp(`entity=${entity}`));
    await page.reload();
    await expect(page.getByTestId("result-count")).toHaveText(count!);
    const listUrl = page.url();

    // Open one decision (keyboard: the time link of the first row).
    await rows.first().getByRole("link").first().focus();
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/\/decisions\/[0-9a-f-]{36}/);
    await expect(page.getByRole("heading", { level: 1 })).toContainText(/denied/i);
    await expect(page.getByRole("heading", { level: 1 })).toContainText(entity);
    await expect(page.getByTestId("section-inputs")).toBeVisible();
    await expect(page.getByTestId("section-output")).toContainText("Reason");

    // The in-browser integrity check (sign a checkpoint first if the record is newer).
    const status = page.getByTestId("integrity-status");
    await expect(status).toHaveText(/Verified|Not yet checkpointed/, { timeout: 30_000 });
    if ((await status.textContent())?.includes("Not yet")) await page.getByRole("button", { name: "Sign a checkpoint now" }).click();
    await expect(status).toHaveText(/Verified/, { timeout: 30_000 });

    // Personal data is committed: placeholders until revealed with a reason, and the values are not in the page.
    await expect(page.getByTestId("committed-value").first()).toBeVisible();
    expect(await page.content()).not.toMatch(/cust-\d{7}/);
    await page.getByRole("button", { name: "Reveal personal data…" }).click();
    await page.getByLabel(/Why do you need to see/).fill("short");
    await page.getByRole("button", { name: "Reveal and log" }).click();
    await expect(page.getByText(/at least 10 characters/).first()).toBeVisible();
    const reason = `E2E complaint review ${Date.now()}`;
    await page.getByLabel(/Why do you need to see/).fill(reason);
    await page.getByRole("button", { name: "Reveal and log" }).click();
    await expect(page.getByText("Personal data revealed")).toBeVisible();
    // The record's sections show the values (the summary above them, rendered by the server, keeps its placeholders).
    await expect(page.locator("[data-testid^='section-']").getByTestId("committed-value")).toHaveCount(0);
    await expect(page.getByTestId("section-inputs")).toContainText(/cust-\d{7}/);
    // Each revealed value was checked against its commitment in this browser.
    await expect(page.getByTestId("opening-check-summary")).toContainText(/match(es)? (its|their) commitments?/);
    const verdicts = page.getByTestId("opening-verdict");
    expect(await verdicts.count()).toBeGreaterThan(0);
    expect(new Set(await verdicts.evaluateAll((items) => items.map((i) => i.getAttribute("data-status"))))).toEqual(new Set(["matches"]));
    // The record's hashed text is unchanged by the reveal (it holds commitments), and still verifies.
    await expect(page.getByTestId("section-raw")).not.toContainText(/cust-\d{7}/);
    await expect(status).toHaveText(/Verified/, { timeout: 30_000 });
    const decisionId = page.url().match(/decisions\/([0-9a-f-]{36})/)![1]!;

    // Back to the list keeps the filters.
    await page.getByRole("link", { name: "← Back to the list" }).click();
    await expect(page).toHaveURL(new RegExp(`entity=${entity}`));
    await expect(page.getByTestId("result-count")).toHaveText(count!);
    const sorted = (u: string) => {
      const q = new URL(u).searchParams;
      q.sort();
      return q.toString();
    };
    expect(sorted(page.url())).toBe(sorted(listUrl));

    // The reveal is in the access log, with the reason.
    await page.goto("/access-log?action=decisions.reveal_personal_data");
    const entry = page.getByTestId("access-log-row").filter({ hasText: decisionId }).first();
    await expect(entry).toBeVisible();
    await expect(entry).toContainText("Revealed personal data");
    await expect(entry).toContainText(reason);
  });
});

test("an incident reviewer opening a shared link gets exactly the same view", async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const officer = await browser.newContext({ storageState: storageStateFor("compliance_officer") });
  await officer.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL });
  const page = await officer.newPage();
  await findDenialsForOneCase(page);
  // Also a sort and a hidden column: part of the view, so part of the link.
  await page.getByLabel("Sort").selectOption("confidence:desc");
  await expect(page).toHaveURL(/sort=confidence/);
  await settled(page);
  const ids = await rowIds(page);
  const count = await page.getByTestId("result-count").textContent();
  await page.getByTestId("copy-link").click();
  await expect(page.getByTestId("copy-link")).toHaveText("Link copied");
  const link = await page.evaluate(() => navigator.clipboard.readText());
  expect(link).toMatch(/\/decisions\?/);
  // Pinned: the relative "last 7 days" became the absolute window the officer saw.
  expect(link).toMatch(/from=/);
  expect(link).toMatch(/to=/);

  const reviewer = await browser.newContext({ storageState: storageStateFor("incident_reviewer") });
  const other = await reviewer.newPage();
  await other.goto(link);
  await expect(other.getByTestId("signed-in-role")).toHaveText("Incident reviewer");
  await settled(other);
  await expect(other.getByTestId("result-count")).toHaveText(count!);
  expect(await rowIds(other)).toEqual(ids);
  await expect(other.getByLabel("Sort")).toHaveValue("confidence:desc");
  for (const chip of await page.getByRole("list", { name: "Active filters" }).getByRole("button").allTextContents()) {
    await expect(other.getByRole("list", { name: "Active filters" })).toContainText(chip.replace("×", "").trim());
  }
  await officer.close();
  await reviewer.close();
});

test.describe("as an auditor", () => {
  test.use({ storageState: storageStateFor("auditor") });

  test("sees commitments as placeholders, no way to reveal them, and checks the full record in the browser", async ({ page }) => {
    await page.goto("/decisions?verb=denied&entityType=loan-application&range=30d");
    await page.getByTestId("decision-row").first().getByRole("link").first().click();
    await expect(page).toHaveURL(/\/decisions\/[0-9a-f-]{36}/);
    await expect(page.getByTestId("personal-data-banner")).toContainText("Your role cannot reveal personal data");
    await expect(page.getByRole("button", { name: /Reveal personal data/ })).toHaveCount(0);
    await expect(page.getByTestId("committed-value").first()).toBeVisible();
    // The exact stored text is sent: personal values are in it only as commitments.
    await expect(page.getByTestId("section-raw")).toContainText(/pd:v1:[0-9a-f-]{36}:[0-9a-f]{64}/);
    await expect(page.getByTestId("committed-fields")).toContainText("subject");
    // Not in the page at all, not just hidden: the record holds none, and no opening is sent to this role.
    const html = await page.content();
    expect(html).not.toMatch(/cust-\d{7}/);
    await expect(page.getByTestId("integrity-status")).toHaveText(/Verified|Not yet checkpointed/, { timeout: 30_000 });
    if ((await page.getByTestId("integrity-status").textContent())?.includes("Verified")) {
      await page.getByText("Details", { exact: true }).click();
      await expect(page.getByText(/recomputed the record's hash from its exact stored text/)).toBeVisible();
    }
  });
});

test.describe("accessibility", () => {
  test.use({ storageState: storageStateFor("incident_reviewer") });

  test("the list and the detail page have no serious or critical axe violations", async ({ page }) => {
    const check = async (what: string) => {
      const results = await new AxeBuilder({ page }).analyze();
      const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      expect(bad.map((v) => `${what}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`)).toEqual([]);
    };
    await page.goto("/decisions?range=30d&verb=denied");
    await expect(page.getByTestId("decision-row").first()).toBeVisible();
    await check("list");
    await page.getByTestId("decision-row").first().getByRole("link").first().click();
    await expect(page.getByTestId("integrity-status")).toHaveText(/Verified|Not yet checkpointed|Failed|Could not/, { timeout: 30_000 });
    await check("detail");
  });
});
