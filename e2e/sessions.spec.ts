import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { storageStateFor } from "./support/roles";

/**
 * Revocable server-side sessions (ASVS V3.3.1, V3.3.3): a cookie stops working the moment its
 * session is ended, whoever still holds a copy. Every test signs in as a throwaway user the
 * admin creates here: the demo users' saved sessions are shared with the other specs and must
 * not be signed out.
 */
test.use({ storageState: storageStateFor("admin") });

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

interface Throwaway {
  email: string;
  name: string;
  password: string;
}

/** The admin adds an incident reviewer (may read decisions, export evidence, run verifications). */
async function addThrowawayUser(admin: Page): Promise<Throwaway> {
  const id = unique();
  const user = { email: `session-${id}@example.test`, name: `Session ${id}` };
  await admin.goto("/admin/users");
  const form = admin.getByRole("form", { name: "Add a user" });
  await form.getByLabel("Name").fill(user.name);
  await form.getByLabel("Email").fill(user.email);
  await form.getByLabel("Role").selectOption("incident_reviewer");
  await form.getByRole("button", { name: "Add user" }).click();
  const secret = admin.getByTestId("secret-once");
  await expect(secret).toBeVisible();
  return { ...user, password: (await secret.textContent())!.trim() };
}

/** A new browser (own cookie jar) signed in through the real form. */
async function signInFresh(browser: Browser, user: Throwaway): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("signed-in-user")).toHaveText(user.name);
  return { context, page };
}

/** What a holder of `context`'s cookies gets from a page and the two write APIs. */
async function probe(context: BrowserContext) {
  const req = context.request;
  const page = await req.get("/decisions", { maxRedirects: 0, failOnStatusCode: false });
  const exportRes = await req.post("/api/v1/evidence/exports", { data: { query: "" }, failOnStatusCode: false, maxRedirects: 0 });
  const runRes = await req.post("/api/v1/integrity/runs", { data: { scope: "all" }, failOnStatusCode: false, maxRedirects: 0 });
  return {
    page: `${page.status()} ${new URL(page.headers()["location"] ?? "/", "http://x").pathname}`,
    exports: exportRes.status(),
    runs: runRes.status(),
  };
}

const REFUSED = { page: "307 /sign-in", exports: 401, runs: 401 };

test("sign out everywhere ends the user's other browser at once: its next page goes to sign-in, its API calls get 401", async ({ page: admin, browser }) => {
  const user = await addThrowawayUser(admin);
  const first = await signInFresh(browser, user);
  const second = await signInFresh(browser, user);

  await first.page.goto("/account");
  const rows = first.page.getByTestId("session-row");
  await expect(rows).toHaveCount(2);
  await expect(first.page.locator('[data-testid="session-row"][data-current="true"]')).toContainText("This session");

  first.page.on("dialog", (dialog) => void dialog.accept());
  await first.page.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(first.page).toHaveURL(/\/sign-in/);

  await second.page.goto("/decisions");
  await expect(second.page).toHaveURL(/\/sign-in/);
  expect(await probe(second.context)).toEqual(REFUSED);
  await first.context.close();
  await second.context.close();
});

test("a cookie captured before signing out opens nothing afterwards, and creates nothing", async ({ page: admin, browser }) => {
  const user = await addThrowawayUser(admin);
  const { context, page } = await signInFresh(browser, user);
  const captured = await context.cookies();
  expect(captured.some((c) => c.name.includes("next-auth.session-token"))).toBe(true);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);

  // The attacker's copy: a new browser with the cookies as they were before the sign-out.
  const replay = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  await replay.addCookies(captured);
  expect(await probe(replay)).toEqual(REFUSED);
  await replay.close();
  await context.close();

  // Nothing was started in the user's name: no export of theirs, no verification run by them.
  const again = await signInFresh(browser, user);
  const exports = await again.context.request.get("/api/v1/evidence/exports");
  expect(((await exports.json()) as { exports: unknown[] }).exports).toEqual([]);
  const runs = await admin.request.get("/api/v1/integrity/runs?limit=100");
  const requestedBy = ((await runs.json()) as { runs: { requestedBy: string | null }[] }).runs.map((r) => r.requestedBy);
  expect(requestedBy).not.toContain(user.name);
  await again.context.close();
});

test("a role change refuses the old session; an admin can sign a user out of every session", async ({ page: admin, browser }) => {
  const user = await addThrowawayUser(admin);
  const before = await signInFresh(browser, user);

  await admin.goto("/admin/users");
  const row = admin.getByTestId(`user-row-${user.email}`);
  await expect(row.getByTestId("user-sessions")).toContainText("1 active");
  await row.getByLabel(`Role of ${user.email}`, { exact: true }).selectOption("auditor");
  await row.getByRole("button", { name: `Save role of ${user.email}` }).click();
  await expect(row.getByTestId("user-sessions")).toContainText("None active");

  await before.page.goto("/decisions");
  await expect(before.page).toHaveURL(/\/sign-in/);
  expect(await probe(before.context)).toEqual(REFUSED);

  // Signed in again (now as an auditor), then signed out of everything by the admin.
  const after = await signInFresh(browser, user);
  await admin.reload();
  await expect(row.getByTestId("user-sessions")).toContainText("1 active");
  admin.on("dialog", (dialog) => void dialog.accept());
  await row.getByRole("button", { name: `Sign out all sessions of ${user.email}` }).click();
  await expect(row.getByTestId("user-sessions")).toContainText("None active");
  await after.page.goto("/decisions");
  await expect(after.page).toHaveURL(/\/sign-in/);
  await before.context.close();
  await after.context.close();
});
