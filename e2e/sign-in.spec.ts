import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { ROLE_LABELS } from "../lib/auth/permissions";
import { NAV_ITEMS, navigationFor } from "../components/shell/navigation";
import { demoUser, ROLES } from "./support/roles";

async function signIn(page: Page, email: string, password: string) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

test.describe("sign-in", () => {
  for (const role of ROLES) {
    test(`${role} signs in and sees exactly its navigation`, async ({ page }) => {
      const user = demoUser(role);
      await page.goto("/sign-in");
      await signIn(page, user.email, user.password);
      await expect(page.getByTestId("signed-in-user")).toHaveText(user.name);
      await expect(page.getByTestId("signed-in-role")).toHaveText(ROLE_LABELS[role]);
      const nav = page.getByRole("navigation", { name: "Main" });
      const expectedLabels = navigationFor(role).map((i) => i.label);
      await expect(nav.getByRole("link")).toHaveText(expectedLabels);
      for (const item of NAV_ITEMS.filter((i) => !expectedLabels.includes(i.label))) {
        await expect(nav.getByRole("link", { name: item.label })).toHaveCount(0);
      }
    });
  }

  test("a wrong password is refused with a clear message", async ({ page }) => {
    const user = demoUser("auditor");
    await page.goto("/sign-in");
    await signIn(page, user.email, "definitely not the password");
    await expect(page.getByTestId("sign-in-error")).toHaveText("The email or password is not correct.");
    await expect(page).toHaveURL(/\/sign-in/);
    await expect(page.getByTestId("signed-in-user")).toHaveCount(0);
  });

  test("an anonymous visitor is sent to sign in and comes back to the page asked for", async ({ page }) => {
    const admin = demoUser("admin");
    await page.goto("/access-log?action=auth.sign_in");
    await expect(page).toHaveURL(/\/sign-in\?callbackUrl=/);
    await signIn(page, admin.email, admin.password);
    await expect(page).toHaveURL(/\/access-log\?action=auth\.sign_in$/);
    await expect(page.getByRole("heading", { level: 1, name: "Access log" })).toBeVisible();
  });

  test("sign-out ends the session and is logged", async ({ page }) => {
    const user = demoUser("compliance_officer");
    await page.goto("/sign-in");
    await signIn(page, user.email, user.password);
    await expect(page.getByTestId("signed-in-user")).toHaveText(user.name);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/sign-in/);
    await expect(page.getByText("You are signed out.")).toBeVisible();
    await page.goto("/decisions");
    await expect(page).toHaveURL(/\/sign-in\?callbackUrl=%2Fdecisions/);

    // The compliance officer can read the access log: the sign-out is there.
    await signIn(page, user.email, user.password);
    await expect(page.getByTestId("signed-in-user")).toHaveText(user.name);
    await page.goto(`/access-log?action=auth.sign_out&user=${encodeURIComponent(user.email)}`);
    await expect(page.getByTestId("access-log-row").first()).toContainText("Signed out");
  });

  test("the sign-in page has no detectable accessibility violations", async ({ page }) => {
    await page.goto("/sign-in?error=invalid_credentials");
    await expect(page.getByTestId("sign-in-error")).toBeVisible();
    const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
    expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  });
});
