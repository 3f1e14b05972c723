import { expect, request, test, type APIRequestContext, type APIResponse } from "@playwright/test";
import { roleHas, type Permission } from "../lib/auth/permissions";
import { ROUTE_RULES, ruleEntries, type HttpMethod, type RouteAccess } from "../lib/auth/route-rules";
import { appRoutes } from "./support/app-routes";
import { ROLES, storageStateFor, type Role } from "./support/roles";

/**
 * Requests EVERY route of ROUTE_RULES as an anonymous visitor and as each role, and checks
 * the answer against the permission catalogue: allowed, redirect to sign-in (pages) / 401
 * (route handlers), or 403. A page or route without a rule fails the first test.
 */
const DUMMY_UUID = "00000000-0000-4000-8000-000000000000";
const routes = appRoutes();
const kindOf = new Map(routes.map((r) => [r.pattern, r.kind]));

type Principal = Role | "anonymous";
type Expected = "allowed" | "sign-in" | 401 | 403;

function expected(access: RouteAccess, principal: Principal, kind: "page" | "route"): Expected | "public" {
  if (access === "public") return "public";
  if (access === "api_key") return 401; // a browser session is not an API key
  if (principal === "anonymous") return kind === "page" ? "sign-in" : 401;
  if (access === "authenticated") return "allowed";
  return roleHas(principal, access as Permission) ? "allowed" : 403;
}

/** Real sample values for dynamic segments where the app has them, else harmless dummies. */
async function sampleParams(baseURL: string): Promise<Record<string, string>> {
  const params: Record<string, string> = { nextauth: "session" };
  const admin = await request.newContext({ baseURL, storageState: storageStateFor("admin") });
  try {
    const html = await (await admin.get("/decisions")).text();
    const id = /\/decisions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(html)?.[1];
    if (id) params.id = id;
  } finally {
    await admin.dispose();
  }
  return params;
}

function fillPattern(pattern: string, params: Record<string, string>): string {
  return pattern
    .replace(/\/\[\[\.\.\.(\w+)\]\]/g, (_, name: string) => (params[name] ? `/${params[name]}` : ""))
    .replace(/\[\.\.\.(\w+)\]/g, (_, name: string) => params[name] ?? "x")
    .replace(/\[(\w+)\]/g, (_, name: string) => params[name] ?? DUMMY_UUID);
}

async function send(ctx: APIRequestContext, method: HttpMethod, url: string): Promise<APIResponse> {
  return ctx.fetch(url, {
    method,
    maxRedirects: 0,
    failOnStatusCode: false,
    ...(method === "GET" ? {} : { headers: { "content-type": "application/json" }, data: "{}" }),
  });
}

function describeAnswer(res: APIResponse): string {
  const location = res.headers()["location"];
  return `${res.status()}${location ? ` → ${location}` : ""}`;
}

test("every page and route handler has a rule in ROUTE_RULES", () => {
  const missing = routes.filter((r) => ROUTE_RULES[r.pattern] === undefined).map((r) => `${r.pattern} (${r.file})`);
  expect(missing, "Add a rule to lib/auth/route-rules.ts for each").toEqual([]);
  expect(Object.keys(ROUTE_RULES).filter((p) => !kindOf.has(p)), "Rules for routes that do not exist").toEqual([]);
});

for (const principal of ["anonymous", ...ROLES] as Principal[]) {
  test(`${principal}: every route answers as the catalogue says`, async ({ baseURL }) => {
    test.setTimeout(180_000);
    const params = await sampleParams(baseURL!);
    const ctx = await request.newContext({
      baseURL,
      storageState: principal === "anonymous" ? undefined : storageStateFor(principal),
    });
    try {
      for (const [pattern, rule] of Object.entries(ROUTE_RULES)) {
        const kind = kindOf.get(pattern) ?? (pattern.startsWith("/api/") ? "route" : "page");
        for (const { method, access } of ruleEntries(rule)) {
          const url = fillPattern(pattern, params);
          const res = await send(ctx, method, url);
          const status = res.status();
          const location = res.headers()["location"] ?? "";
          const want = expected(access, principal, kind);
          const label = `${principal} ${method} ${url} (rule ${access}): got ${describeAnswer(res)}`;
          expect.soft(status, `${label}: server error`).toBeLessThan(500);
          if (want === "public") {
            expect.soft([401, 403], `${label}: a public route refused`).not.toContain(status);
          } else if (want === "allowed") {
            expect.soft([401, 403], `${label}: expected access`).not.toContain(status);
            expect.soft(location, `${label}: expected access, was sent to sign in`).not.toMatch(/\/sign-in/);
          } else if (want === "sign-in") {
            expect.soft([302, 303, 307, 308], `${label}: expected a redirect to sign-in`).toContain(status);
            const target = new URL(location || "http://x/", "http://x");
            expect.soft(target.pathname, `${label}: expected a redirect to sign-in`).toBe("/sign-in");
            expect.soft(target.searchParams.get("callbackUrl"), `${label}: sign-in should come back here`).toBe(url);
          } else {
            expect.soft(status, label).toBe(want);
          }
        }
      }
    } finally {
      await ctx.dispose();
    }
  });
}
