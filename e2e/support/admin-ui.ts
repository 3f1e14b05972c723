import { expect, type Page } from "@playwright/test";
import type { Role } from "./roles";

/**
 * Adds a user through the admin UI ("Add a user" on /admin/users, as a signed-in admin) and
 * returns the generated password, which the page shows once.
 */
export async function addUserThroughAdminUi(page: Page, user: { name: string; email: string; role: Role }): Promise<string> {
  await page.goto("/admin/users");
  const form = page.getByRole("form", { name: "Add a user" });
  await form.getByLabel("Name").fill(user.name);
  await form.getByLabel("Email").fill(user.email);
  await form.getByLabel("Role").selectOption(user.role);
  await form.getByRole("button", { name: "Add user" }).click();
  const secret = page.getByTestId("secret-once");
  await expect(secret).toBeVisible();
  const password = (await secret.textContent())?.trim() ?? "";
  expect(password, "the generated password is shown once").toMatch(/^[A-Za-z0-9]{20}$/);
  return password;
}
