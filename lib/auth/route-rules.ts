import type { Permission } from "./permissions";

/**
 * Who may request each page and route handler, by App Router path pattern (route groups
 * like "(dashboard)" left out, dynamic segments kept as "[id]"). tests/auth/route-rules.test.ts
 * fails when a page.tsx or route.ts has no rule here; e2e/route-access.spec.ts requests every
 * rule as anonymous and as every role and checks the answer against the catalogue.
 *
 * - a Permission: signed-in users whose role has it; others get 403, anonymous visitors a
 *   redirect to /sign-in (pages) or 401 (route handlers)
 * - "authenticated": any signed-in user
 * - "api_key": machine clients with an ingest API key (a browser session is not enough: 401)
 * - "public": anyone (sign-in, next-auth endpoints, published verifier material)
 *
 * A route handler whose methods differ lists them per method. Each contributor edits only
 * the lines of the routes they own.
 */
export type RouteAccess = Permission | "public" | "authenticated" | "api_key";
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type RouteRule = RouteAccess | Partial<Record<HttpMethod, RouteAccess>>;

export const ROUTE_RULES: Record<string, RouteRule> = {
  // Sign-in, shell and admin (h3)
  "/": "public",
  "/sign-in": "public",
  "/api/auth/[...nextauth]": "public",
  "/admin": "users.manage",
  "/admin/users": "users.manage",
  "/admin/api-keys": "api_keys.manage",
  // Revocable sessions and sign-in locks (security findings)
  "/account": "account.sessions",
  "/admin/sign-in-locks": "users.manage",
  // Erasure of data subjects and legal holds (privacy by construction)
  "/admin/erasure": "personal_data.erase",
  "/admin/legal-holds": "legal_holds.manage",
  "/admin/detection": "personal_data.configure",
  "/access-log": "access_log.read",
  // Ingest API and published verifier material (h4)
  "/api/v1/decisions": { POST: "api_key" },
  "/api/v1/openapi.json": "public",
  "/api/v1/verifier-key": "public",
  "/api/v1/checkpoints/latest": "public",
  // Integrity, evidence bundles and the bundle verifier (h7)
  "/integrity": "integrity.read",
  "/integrity/runs/[id]": "integrity.read",
  "/verify-bundle": "authenticated",
  "/exports": "evidence.export",
  "/api/v1/integrity/runs": { GET: "integrity.read", POST: "integrity.verify" },
  "/api/v1/integrity/runs/[id]": "integrity.read",
  "/api/v1/evidence/exports": { GET: "evidence.export", POST: "evidence.export" },
  "/api/v1/evidence/exports/[id]": "evidence.export",
  "/api/v1/evidence/exports/[id]/download": "evidence.export",
  // Decision explorer (h6)
  "/decisions": "decisions.read",
  "/decisions/[id]": "decisions.read",
  "/api/v1/decisions/[id]/proof": "decisions.read",
};

/**
 * The permission every server action ("use server" export) checks first, by export name
 * (unique across the app). tests/auth/server-actions.test.ts fails when an action has no
 * rule or does not call requireActionPermission with it, and calls every action as
 * anonymous and as every role to check it refuses exactly those the catalogue refuses.
 */
export const ACTION_RULES: Record<string, Permission> = {
  createUserAction: "users.manage",
  updateUserAction: "users.manage",
  createApiKeyAction: "api_keys.manage",
  revokeApiKeyAction: "api_keys.manage",
  startVerificationAction: "integrity.verify",
  acknowledgeFailureAction: "integrity.acknowledge",
  revealPersonalDataAction: "decisions.reveal_personal_data",
  signCheckpointAction: "integrity.verify",
  requestErasureAction: "personal_data.erase",
  approveErasureAction: "personal_data.erase",
  rejectErasureAction: "personal_data.erase",
  placeLegalHoldAction: "legal_holds.manage",
  releaseLegalHoldAction: "legal_holds.manage",
  updateDetectionSettingsAction: "personal_data.configure",
  endOwnSessionAction: "account.sessions",
  signOutEverywhereAction: "account.sessions",
  revokeUserSessionsAction: "users.manage",
  unlockSignInAction: "users.manage",
};

/** The rule of a route pattern for one method (GET for pages), or null when none exists. */
export function ruleFor(pattern: string, method: HttpMethod = "GET"): RouteAccess | null {
  const rule = ROUTE_RULES[pattern];
  if (rule === undefined) return null;
  if (typeof rule === "string") return rule;
  return rule[method] ?? null;
}

/** Every (method, access) a rule covers. */
export function ruleEntries(rule: RouteRule): { method: HttpMethod; access: RouteAccess }[] {
  if (typeof rule === "string") return [{ method: "GET", access: rule }];
  return (Object.entries(rule) as [HttpMethod, RouteAccess][]).map(([method, access]) => ({ method, access }));
}

/**
 * The route pattern of an app/ file path: "app/(dashboard)/decisions/[id]/page.tsx" →
 * "/decisions/[id]". Route groups and parallel-route slots (@x) are not part of the URL.
 */
export function routePatternOf(appRelativeFile: string): string {
  const parts = appRelativeFile.replace(/\\/g, "/").replace(/^\.?\/?app\//, "").split("/");
  parts.pop(); // page.tsx / route.ts
  const segments = parts.filter((s) => s !== "" && !/^\(.*\)$/.test(s) && !s.startsWith("@"));
  return "/" + segments.join("/");
}
