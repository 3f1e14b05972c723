import { expect, test, type APIResponse, type Page } from "@playwright/test";
import {
  COMMON_SECURITY_HEADERS,
  pageContentSecurityPolicy,
  RESOURCE_CONTENT_SECURITY_POLICY,
  STRICT_TRANSPORT_SECURITY,
} from "../lib/server/security-headers";
import { storageStateFor, waitForDemoSeed } from "./support/roles";

/**
 * The security headers as the production server sends them (docs/security.md, "Security
 * headers and cookies"), the nonce on every script Next renders, and page loads in Chromium
 * that the strict policy does not break: no CSP violation on any of the main pages.
 */

const NONCE = /'nonce-([A-Za-z0-9+/=]+)'/;

/** The nonce of a page response's policy; the policy must be exactly the page policy. */
function pageNonce(res: APIResponse): string {
  const policy = res.headers()["content-security-policy"] ?? "";
  const nonce = NONCE.exec(policy)?.[1];
  expect(nonce, `page CSP with a nonce, got: ${policy}`).toBeTruthy();
  expect(policy).toBe(pageContentSecurityPolicy({ nonce: nonce!, https: false, dev: false }));
  return nonce!;
}

function expectCommonHeaders(res: APIResponse, { https = false } = {}) {
  const h = res.headers();
  for (const { key, value } of COMMON_SECURITY_HEADERS) expect(h[key.toLowerCase()], `${key} on ${res.url()}`).toBe(value);
  if (https) expect(h["strict-transport-security"], res.url()).toBe(STRICT_TRANSPORT_SECURITY);
  else expect(h["strict-transport-security"], `no HSTS over plain http: ${res.url()}`).toBeUndefined();
}

function expectResourceHeaders(res: APIResponse, opts: { https?: boolean } = {}) {
  expectCommonHeaders(res, opts);
  expect(res.headers()["content-security-policy"], res.url()).toBe(RESOURCE_CONTENT_SECURITY_POLICY);
}

/** Every <script> (and <style>) tag in the HTML carries the response's nonce. */
async function expectNoncedScripts(res: APIResponse) {
  const nonce = pageNonce(res);
  const html = await res.text();
  const tags = html.match(/<(script|style)\b[^>]*>/g) ?? [];
  expect(tags.filter((t) => t.startsWith("<script")).length, `scripts in ${res.url()}`).toBeGreaterThan(0);
  const bad = tags.filter((t) => !t.includes(`nonce="${nonce}"`));
  expect(bad, `tags without the nonce in ${res.url()}`).toEqual([]);
}

/**
 * Collects CSP (and Permissions-Policy) complaints of every document the page loads: the
 * `securitypolicyviolation` events, read back per page, and Chromium's console messages.
 */
function watchPolicyViolations(page: Page): { violations: () => Promise<string[]> } {
  const consoleMessages: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to|Permissions-Policy/i.test(m.text())) consoleMessages.push(`${m.type()}: ${m.text()}`);
  });
  void page.addInitScript(() => {
    const w = window as unknown as { __cspViolations: string[] };
    w.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      w.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  return {
    violations: async () => [
      ...consoleMessages,
      ...(await page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [])),
    ],
  };
}

test.beforeAll(async () => {
  test.setTimeout(300_000);
  await waitForDemoSeed();
});

test.describe("anonymous", () => {
  test("the sign-in page: nonce policy, a fresh nonce per request, every script nonced, no HSTS on http", async ({ request }) => {
    const first = await request.get("/sign-in");
    expect(first.status()).toBe(200);
    expectCommonHeaders(first);
    await expectNoncedScripts(first);
    const second = await request.get("/sign-in");
    expect(pageNonce(second)).not.toBe(pageNonce(first));
  });

  test("a page that does not exist is rendered per request with nonced scripts", async ({ request }) => {
    const res = await request.get("/no-such-page-here");
    expect(res.status()).toBe(404);
    expectCommonHeaders(res);
    await expectNoncedScripts(res);
  });

  test("over https (x-forwarded-proto from the proxy): HSTS everywhere, pages upgrade insecure requests", async ({ request }) => {
    const headers = { "x-forwarded-proto": "https" };
    const page = await request.get("/sign-in", { headers });
    expectCommonHeaders(page, { https: true });
    const policy = page.headers()["content-security-policy"]!;
    expect(policy).toBe(pageContentSecurityPolicy({ nonce: NONCE.exec(policy)![1]!, https: true, dev: false }));
    expectResourceHeaders(await request.get("/api/v1/verifier-key", { headers }), { https: true });
    expectResourceHeaders(await request.get("/logo.svg", { headers }), { https: true });
  });

  test("API routes and static assets: nosniff, framing, and a CSP that allows nothing", async ({ request }) => {
    const api = await request.get("/api/v1/verifier-key");
    expect(api.status()).toBe(200);
    expectResourceHeaders(api);
    const denied = await request.get("/api/v1/evidence/exports");
    expect(denied.status()).toBe(401);
    expectResourceHeaders(denied);
    const logo = await request.get("/logo.svg");
    expect(logo.status()).toBe(200);
    expectResourceHeaders(logo);
    const html = await (await request.get("/sign-in")).text();
    const chunk = /<script[^>]+src="(\/_next\/static\/[^"]+\.js)"/.exec(html)?.[1];
    expect(chunk, "a Next chunk in the sign-in page").toBeTruthy();
    const asset = await request.get(chunk!);
    expect(asset.status()).toBe(200);
    expectResourceHeaders(asset);
  });

  test("next-auth's cookies are HttpOnly and SameSite=Lax (Secure only when NEXTAUTH_URL is https)", async ({ request }) => {
    const res = await request.get("/api/auth/csrf");
    const cookies = res.headersArray().filter((h) => h.name.toLowerCase() === "set-cookie").map((h) => h.value);
    expect(cookies.some((c) => c.startsWith("next-auth.csrf-token="))).toBe(true);
    for (const c of cookies) {
      expect(c, c).toMatch(/;\s*HttpOnly/i);
      expect(c, c).toMatch(/;\s*SameSite=Lax/i);
      expect(c, "the test server's NEXTAUTH_URL is http://localhost: no Secure").not.toMatch(/;\s*Secure/i);
    }
  });

  test("Chromium loads /sign-in without a CSP violation, and would report one", async ({ page, context }) => {
    const watch = watchPolicyViolations(page);
    await page.goto("/sign-in");
    await expect(page.getByRole("button", { name: "Sign in", exact: true })).toBeEnabled();
    await page.waitForLoadState("load");
    expect(await watch.violations()).toEqual([]);
    const session = (await context.cookies()).find((c) => c.name === "next-auth.session-token");
    expect(session).toBeUndefined();
    // The detector works: an image from elsewhere is a violation it sees.
    await page.evaluate(() => {
      const img = document.createElement("img");
      img.src = "https://example.invalid/pixel.png";
      document.body.append(img);
    });
    await expect.poll(async () => (await watch.violations()).join("\n")).toContain("img-src");
  });
});

test.describe("as a compliance officer", () => {
  test.use({ storageState: storageStateFor("compliance_officer") });

  test("the session cookie is HttpOnly and SameSite=Lax", async ({ context }) => {
    const session = (await context.cookies()).find((c) => c.name === "next-auth.session-token");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: false });
  });

  test("/decisions has nonced scripts, and the main pages load with no CSP violation", async ({ page }) => {
    test.setTimeout(240_000);
    const html = await page.request.get("/decisions?range=7d");
    expect(html.status()).toBe(200);
    expectCommonHeaders(html);
    await expectNoncedScripts(html);

    const watch = watchPolicyViolations(page);
    await page.goto("/decisions?range=7d");
    const rows = page.getByTestId("decision-row");
    await expect(rows.first()).toBeVisible();
    await page.waitForLoadState("load");
    expect(await watch.violations(), "/decisions").toEqual([]);
    const ids = [(await rows.nth(0).getAttribute("data-decision-id"))!, (await rows.nth(1).getAttribute("data-decision-id"))!];

    // A decision (client navigation, then a full load) with its in-browser integrity check.
    await rows.first().getByRole("link").first().click();
    await expect(page).toHaveURL(/\/decisions\/[0-9a-f-]{36}/);
    await page.reload();
    await expect(page.getByTestId("integrity-status")).toHaveText(/Verified|Not yet checkpointed/, { timeout: 30_000 });
    expect(await watch.violations(), "decision detail").toEqual([]);

    await page.goto("/integrity");
    await expect(page.getByRole("heading", { name: "Integrity", level: 1 })).toBeVisible();
    await page.waitForLoadState("load");
    expect(await watch.violations(), "/integrity").toEqual([]);

    // The evidence download keeps its headers and gets the resource policy on top.
    const created = await page.request.post("/api/v1/evidence/exports", { data: { ids } });
    expect(created.status()).toBe(202);
    const exportId = ((await created.json()) as { export: { id: string } }).export.id;
    let downloadUrl: string | null = null;
    await expect
      .poll(
        async () => {
          const res = await page.request.get(`/api/v1/evidence/exports/${exportId}`);
          downloadUrl = ((await res.json()) as { downloadUrl: string | null }).downloadUrl;
          return downloadUrl;
        },
        { timeout: 120_000 },
      )
      .toBeTruthy();
    const download = await page.request.get(downloadUrl!);
    expect(download.status()).toBe(200);
    expect(download.headers()["content-type"]).toBe("application/zip");
    expect(download.headers()["content-disposition"]).toMatch(/attachment; filename="?evidence-/);
    expectResourceHeaders(download);
    const bundle = await download.body();

    // The bundle verifies in the browser under the page policy.
    await page.goto("/verify-bundle");
    await page.getByTestId("bundle-file").setInputFiles({ name: "bundle.zip", mimeType: "application/zip", buffer: bundle });
    await page.getByRole("button", { name: "Use this ledger's key" }).click();
    await page.getByRole("button", { name: "Verify bundle" }).click();
    await expect(page.getByTestId("bundle-result")).toHaveAttribute("data-ok", "true", { timeout: 120_000 });
    expect(await watch.violations(), "/verify-bundle").toEqual([]);
  });
});

test.describe("as an admin", () => {
  test.use({ storageState: storageStateFor("admin") });

  test("/admin/users loads with no CSP violation", async ({ page }) => {
    const watch = watchPolicyViolations(page);
    await page.goto("/admin/users");
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await page.waitForLoadState("load");
    expect(await watch.violations()).toEqual([]);
  });
});

test.describe("as an auditor", () => {
  test.use({ storageState: storageStateFor("auditor") });

  test("the 403 page is rendered per request with nonced scripts", async ({ page }) => {
    const res = await page.request.get("/admin/users");
    expect(res.status()).toBe(403);
    expectCommonHeaders(res);
    await expectNoncedScripts(res);
  });
});
