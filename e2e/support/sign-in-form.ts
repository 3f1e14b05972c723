import { expect, type Page } from "@playwright/test";

/**
 * Signs in through the real sign-in form and waits until the shell names the user. It comes
 * back to /verify-bundle, a light page every signed-in user may see (the decisions list is
 * slow while the demo seed is still storing records). Generous timeout for the same reason.
 */
export async function signInThroughForm(page: Page, user: { email: string; password: string; name: string }, timeout = 90_000): Promise<void> {
  await page.goto(`/sign-in?callbackUrl=${encodeURIComponent("/verify-bundle")}`);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("signed-in-user")).toHaveText(user.name, { timeout });
}
