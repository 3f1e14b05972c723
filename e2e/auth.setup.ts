import { mkdirSync } from "node:fs";
import path from "node:path";
import { expect, test as setup, type Page } from "@playwright/test";
import { addUserThroughAdminUi } from "./support/admin-ui";
import { demoUser, ROLES, storageStateFor, type SavedState } from "./support/roles";
import { signInThroughForm } from "./support/sign-in-form";

/**
 * Saves the browser states the specs reuse: every demo role, signed in once through the real
 * form, then two states that must be refused everywhere (e2e/route-access.spec.ts):
 * "deactivated" and "signed-out". Serial, in this order: the deactivated user is created and
 * deactivated by the admin whose state the first tests saved.
 */
setup.describe.configure({ mode: "serial" });

async function saveState(page: Page, state: SavedState): Promise<void> {
  mkdirSync(path.dirname(storageStateFor(state)), { recursive: true });
  await page.context().storageState({ path: storageStateFor(state) });
}

for (const role of ROLES) {
  setup(`sign in as ${role}`, async ({ page }) => {
    setup.setTimeout(120_000);
    await signInThroughForm(page, demoUser(role));
    await saveState(page, role);
  });
}

setup("save the session of a user who is then deactivated", async ({ browser }) => {
  setup.setTimeout(120_000);
  const admin = await browser.newContext({ storageState: storageStateFor("admin") });
  const user = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  try {
    // A compliance officer: a role that would otherwise see a lot.
    const email = `matrix-deactivated-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.test`;
    const adminPage = await admin.newPage();
    const password = await addUserThroughAdminUi(adminPage, { name: "Matrix Deactivated", email, role: "compliance_officer" });

    const userPage = await user.newPage();
    await signInThroughForm(userPage, { email, password, name: "Matrix Deactivated" });
    await saveState(userPage, "deactivated");

    const row = adminPage.getByTestId(`user-row-${email}`);
    await row.getByRole("button", { name: `Deactivate ${email}` }).click();
    await expect(row).toContainText("Deactivated");
  } finally {
    await user.close();
    await admin.close();
  }
});

setup("save an admin session, then sign it out", async ({ browser }) => {
  setup.setTimeout(120_000);
  // A second admin session in a fresh context: the demo admin's saved state stays valid.
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  try {
    const page = await context.newPage();
    await signInThroughForm(page, demoUser("admin"));
    await saveState(page, "signed-out");
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/sign-in\?signedOut=1/);
  } finally {
    await context.close();
  }
});
