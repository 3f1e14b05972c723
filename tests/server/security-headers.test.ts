import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { NextRequest } from "next/server";
import { describe, expect, test } from "vitest";
import {
  COMMON_SECURITY_HEADERS,
  configSecurityHeaders,
  createNonce,
  HTTPS_FORWARDED_PROTO_PATTERN,
  isHttpsRequest,
  NON_PAGE_SOURCES,
  pageContentSecurityPolicy,
  RESOURCE_CONTENT_SECURITY_POLICY,
  STRICT_TRANSPORT_SECURITY,
} from "@/lib/server/security-headers";
import { config as proxyConfig, proxy } from "@/proxy";
// next-auth v4 does not export its cookie defaults; the app relies on them (see below).
import { defaultCookies } from "../../node_modules/next-auth/core/lib/cookie";

/** The policy as a map of directive name to its source list. */
function directives(policy: string): Map<string, string> {
  return new Map(
    policy.split(";").map((d) => {
      const [name, ...sources] = d.trim().split(/\s+/);
      return [name!, sources.join(" ")];
    }),
  );
}

describe("page Content-Security-Policy", () => {
  const nonce = "AAECAwQFBgcICQoLDA0ODw==";

  test("production over http: strict nonce scripts, no eval, no inline style elements, no upgrade", () => {
    const d = directives(pageContentSecurityPolicy({ nonce, https: false, dev: false }));
    expect(d.get("default-src")).toBe("'self'");
    expect(d.get("script-src")).toBe(`'self' 'nonce-${nonce}' 'strict-dynamic'`);
    expect(d.get("style-src")).toBe(`'self' 'nonce-${nonce}'`);
    expect(d.get("style-src-attr")).toBe("'unsafe-inline'");
    expect(d.get("img-src")).toBe("'self' data: blob:");
    expect(d.get("font-src")).toBe("'self'");
    expect(d.get("connect-src")).toBe("'self'");
    expect(d.get("object-src")).toBe("'none'");
    expect(d.get("base-uri")).toBe("'self'");
    expect(d.get("form-action")).toBe("'self'");
    expect(d.get("frame-ancestors")).toBe("'none'");
    expect(d.has("upgrade-insecure-requests")).toBe(false);
  });

  test("over https it upgrades insecure requests", () => {
    const d = directives(pageContentSecurityPolicy({ nonce, https: true, dev: false }));
    expect(d.has("upgrade-insecure-requests")).toBe(true);
  });

  test("only next dev gets eval and inline style elements", () => {
    const d = directives(pageContentSecurityPolicy({ nonce, https: false, dev: true }));
    expect(d.get("script-src")).toBe(`'self' 'nonce-${nonce}' 'strict-dynamic' 'unsafe-eval'`);
    expect(d.get("style-src")).toBe("'self' 'unsafe-inline'");
    expect(pageContentSecurityPolicy({ nonce, https: true, dev: false })).not.toContain("unsafe-eval");
  });
});

describe("nonce", () => {
  test("is 128 bits of base64 and fresh every time", () => {
    const nonces = Array.from({ length: 200 }, () => createNonce());
    for (const n of nonces) {
      expect(n).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(Buffer.from(n, "base64")).toHaveLength(16);
    }
    expect(new Set(nonces).size).toBe(nonces.length);
  });
});

describe("HTTPS detection (HSTS and upgrade-insecure-requests)", () => {
  test("https as the client-facing x-forwarded-proto entry", () => {
    for (const v of ["https", "HTTPS", "https,http", "https, http"]) expect(isHttpsRequest(v), v).toBe(true);
  });

  test("never for plain http or a missing header", () => {
    for (const v of [null, undefined, "", "http", "http,https", "https-not", "xhttps", "http, https"]) expect(isHttpsRequest(v), String(v)).toBe(false);
  });

  test("next.config sends HSTS only under the same x-forwarded-proto rule", () => {
    const rules = configSecurityHeaders();
    const hsts = rules.filter((r) => r.headers.some((h) => h.key === "Strict-Transport-Security"));
    expect(hsts).toHaveLength(1);
    expect(hsts[0]!.headers).toEqual([{ key: "Strict-Transport-Security", value: STRICT_TRANSPORT_SECURITY }]);
    // Next anchors `has` values the same way isHttpsRequest does.
    expect("has" in hsts[0]! ? hsts[0].has : null).toEqual([{ type: "header", key: "x-forwarded-proto", value: HTTPS_FORWARDED_PROTO_PATTERN }]);
    expect(STRICT_TRANSPORT_SECURITY).toMatch(/^max-age=(\d+)/);
    expect(Number(/max-age=(\d+)/.exec(STRICT_TRANSPORT_SECURITY)![1])).toBeGreaterThanOrEqual(31_536_000);
  });
});

describe("headers from next.config.ts", () => {
  const rules = configSecurityHeaders();

  test("every path gets the common headers, unconditionally", () => {
    const all = rules.find((r) => r.source === "/:path*" && !("has" in r));
    const keys = all!.headers.map((h) => h.key);
    expect(keys).toEqual(COMMON_SECURITY_HEADERS.map((h) => h.key));
    expect(Object.fromEntries(all!.headers.map((h) => [h.key, h.value]))).toMatchObject({
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "strict-origin-when-cross-origin",
      "X-Frame-Options": "DENY",
      "Cross-Origin-Opener-Policy": "same-origin",
    });
  });

  test("only non-page paths get the resource CSP (pages get theirs from the proxy)", () => {
    const csp = rules.filter((r) => r.headers.some((h) => h.key === "Content-Security-Policy"));
    expect(csp.map((r) => r.source)).toEqual([...NON_PAGE_SOURCES]);
    for (const r of csp) expect(r.headers).toEqual([{ key: "Content-Security-Policy", value: RESOURCE_CONTENT_SECURITY_POLICY }]);
  });
});

describe("proxy.ts", () => {
  // The matcher as Next compiles it: anchored, applied to the pathname.
  const matchers = proxyConfig.matcher.map((m) => new RegExp(`^${m}$`));
  const runsOn = (pathname: string) => matchers.some((m) => m.test(pathname));
  /** A concrete path for each next.config source. */
  const example = (source: string) => source.replace(":path*", "v1/some/thing");

  test("runs on exactly the paths next.config does not give the resource CSP", () => {
    for (const source of NON_PAGE_SOURCES) expect(runsOn(example(source)), source).toBe(false);
    for (const page of ["/", "/sign-in", "/decisions", "/decisions/0190a8e4-0000-7000-8000-000000000000", "/verify-bundle", "/no-such-page", "/apiary"]) {
      expect(runsOn(page), page).toBe(true);
    }
  });

  test("sets one fresh policy on the request (for Next's nonces) and the response, and keeps the path header", () => {
    const call = () => proxy(new NextRequest("http://localhost:3000/decisions?range=7d", { headers: { "x-decision-ledger-path": "/forged" } }));
    const first = call();
    const policy = first.headers.get("content-security-policy")!;
    expect(first.headers.get("x-middleware-request-content-security-policy")).toBe(policy);
    expect(first.headers.get("x-middleware-request-x-decision-ledger-path")).toBe("/decisions?range=7d");
    const nonce = /'nonce-([^']+)'/.exec(policy)![1];
    expect(policy).toBe(pageContentSecurityPolicy({ nonce: nonce!, https: false, dev: false }));
    const again = /'nonce-([^']+)'/.exec(call().headers.get("content-security-policy")!)![1];
    expect(again).not.toBe(nonce);
  });

  test("adds upgrade-insecure-requests when the request came over https", () => {
    const res = proxy(new NextRequest("http://localhost:3000/sign-in", { headers: { "x-forwarded-proto": "https" } }));
    expect(res.headers.get("content-security-policy")).toContain("upgrade-insecure-requests");
  });
});

describe("next-auth cookies (the library defaults auth-options.ts relies on)", () => {
  test("the app's auth options keep next-auth's cookie defaults (Secure decided by NEXTAUTH_URL)", async () => {
    process.env.DATA_DIR = mkdtempSync(path.join(os.tmpdir(), "dl-h4b-"));
    process.env.NEXTAUTH_SECRET = "security-headers-test-secret-0123456789";
    const { getAuthOptions } = await import("@/lib/auth/auth-options");
    const options = getAuthOptions();
    expect(options.cookies).toBeUndefined();
    expect(options.useSecureCookies).toBeUndefined();
  });

  test("over https: HttpOnly, SameSite=Lax, Secure, __Secure-/__Host- names", () => {
    const c = defaultCookies(true);
    expect(c.sessionToken.name).toBe("__Secure-next-auth.session-token");
    expect(c.csrfToken.name).toBe("__Host-next-auth.csrf-token");
    expect(c.callbackUrl.name).toBe("__Secure-next-auth.callback-url");
    for (const [name, cookie] of Object.entries(c)) {
      expect(cookie.options, name).toMatchObject({ httpOnly: true, sameSite: "lax", secure: true, path: "/" });
    }
  });

  test("over http (localhost): still HttpOnly and SameSite=Lax, not Secure, no prefixes", () => {
    const c = defaultCookies(false);
    expect(c.sessionToken.name).toBe("next-auth.session-token");
    for (const [name, cookie] of Object.entries(c)) expect(cookie.options, name).toMatchObject({ httpOnly: true, sameSite: "lax", secure: false });
  });
});
