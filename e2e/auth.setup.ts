import { mkdirSync } from "node:fs";
import path from "node:path";
import { expect, test as setup } from "@playwright/test";
import { demoUser, ROLES, storageStateFor } from "./support/roles";

// Every role signs in once through the real sign-in form; the specs reuse the saved cookies.
for (const role of ROLES) {
  setup(`sign in as ${role}`, async ({ page }) => {
    setup.setTimeout(120_000);
    const user = demoUser(role);
    await page.goto("/sign-in");
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    // Generous: right after start the server is still storing demo records in the background.
    await expect(page.getByTestId("signed-in-user")).toHaveText(user.name, { timeout: 90_000 });
    mkdirSync(path.dirname(storageStateFor(role)), { recursive: true });
    await page.context().storageState({ path: storageStateFor(role) });
  });
}
