import { expect, test } from "@playwright/test";
import { storageStateFor } from "./support/roles";

test.use({ storageState: storageStateFor("admin") });

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

test("admin adds a user with a generated password shown once; the user can sign in; the change is in the access log", async ({ page, browser }) => {
  const email = `new-reviewer-${unique()}@example.test`;
  await page.goto("/admin/users");
  const form = page.getByRole("form", { name: "Add a user" });
  await form.getByLabel("Name").fill("New Reviewer");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Role").selectOption("incident_reviewer");
  await form.getByRole("button", { name: "Add user" }).click();

  const secret = page.getByTestId("secret-once");
  await expect(secret).toBeVisible();
  const password = (await secret.textContent())!.trim();
  expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
  await expect(page.getByTestId(`user-row-${email}`)).toContainText("Incident reviewer");

  // Shown once: a reload does not show it again.
  await page.reload();
  await expect(page.getByTestId("secret-once")).toHaveCount(0);
  expect(await page.content()).not.toContain(password);

  // The new user signs in with it.
  const fresh = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const other = await fresh.newPage();
  await other.goto("/sign-in");
  await other.getByLabel("Email").fill(email);
  await other.getByLabel("Password").fill(password);
  await other.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(other.getByTestId("signed-in-user")).toHaveText("New Reviewer");

  // Deactivation takes effect on the user's next request, session or not.
  const row = page.getByTestId(`user-row-${email}`);
  await row.getByRole("button", { name: `Deactivate ${email}` }).click();
  await expect(row).toContainText("Deactivated");
  await other.goto("/decisions");
  await expect(other).toHaveURL(/\/sign-in/);
  await fresh.close();

  await page.goto(`/access-log?action=users.create`);
  await expect(page.getByTestId("access-log-row").filter({ hasText: email }).first()).toContainText("Added a user");
  await page.goto(`/access-log?action=users.update`);
  await expect(page.getByTestId("access-log-row").filter({ hasText: email }).first()).toContainText("Changed a user");
});

test("admin cannot deactivate their own account", async ({ page }) => {
  await page.goto("/admin/users");
  const me = page.getByRole("row").filter({ hasText: "(you)" });
  await expect(me.getByRole("button", { name: /^Deactivate/ })).toBeDisabled();
});

test("bad input is answered per field, not with an error page", async ({ page }) => {
  await page.goto("/admin/users");
  const form = page.getByRole("form", { name: "Add a user" });
  await form.getByLabel("Name").fill("Short Password");
  await form.getByLabel("Email").fill(`short-${unique()}@example.test`);
  // Bypass the browser's own minlength check to reach the server's validation.
  await form.getByLabel("Password (optional)").evaluate((el) => el.removeAttribute("minlength"));
  await form.getByLabel("Password (optional)").fill("short");
  await form.getByRole("button", { name: "Add user" }).click();
  await expect(form.locator("#new-user-password-error")).toContainText("at least 12 characters");
});

test("admin creates an API key, sees the secret once, it works for ingest, and revoking stops it", async ({ page, request }) => {
  const owner = `e2e-model-${unique()}`;
  await page.goto("/admin/api-keys");
  const form = page.getByRole("form", { name: "Create an API key" });
  await form.getByLabel("Owner").fill(owner);
  await form.getByRole("button", { name: "Create key" }).click();

  const secretEl = page.getByTestId("secret-once");
  await expect(secretEl).toBeVisible();
  const secret = (await secretEl.textContent())!.trim();
  expect(secret).toMatch(/^dl_live_[0-9A-Za-z]{32}$/);
  const prefix = secret.slice(0, 12);
  const row = page.getByTestId(`api-key-row-${prefix}`);
  await expect(row).toContainText(owner);
  await expect(row).toContainText("Active");

  await page.reload();
  await expect(page.getByTestId("secret-once")).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);

  // The key is accepted by the ingest API (the empty batch is then refused as bad input, not as unauthenticated).
  const ingest = () =>
    request.post("/api/v1/decisions", { headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" }, data: "[]", failOnStatusCode: false });
  expect((await ingest()).status()).not.toBe(401);

  page.once("dialog", (dialog) => void dialog.accept());
  await page.getByTestId(`api-key-row-${prefix}`).getByRole("button", { name: /^Revoke/ }).click();
  await expect(page.getByTestId(`api-key-row-${prefix}`)).toContainText("Revoked");
  expect((await ingest()).status()).toBe(401);

  await page.goto("/access-log?action=api_keys.create");
  await expect(page.getByTestId("access-log-row").first()).toBeVisible();
  await expect(page.getByTestId("access-log-row").filter({ hasText: owner })).toHaveCount(1);
  await page.goto("/access-log?action=api_keys.revoke");
  await expect(page.getByTestId("access-log-row").filter({ hasText: owner })).toHaveCount(1);
});

test("the access log filters by action and user and pages by chain position", async ({ page }) => {
  await page.goto("/access-log");
  await expect(page.getByRole("heading", { level: 1, name: "Access log" })).toBeVisible();
  // Viewing the access log is itself logged, newest first.
  await expect(page.getByTestId("access-log-row").first()).toHaveAttribute("data-action", "access_log.search");
  await page.getByLabel("Action").selectOption("auth.sign_in");
  await expect(page).toHaveURL(/action=auth\.sign_in/);
  const rows = page.getByTestId("access-log-row");
  await expect(rows.first()).toHaveAttribute("data-action", "auth.sign_in");
  for (const action of await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-action")))) expect(action).toBe("auth.sign_in");
});
