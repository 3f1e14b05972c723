import { roleHas, type Permission } from "../../lib/auth/permissions";
import type { HttpMethod, RouteAccess } from "../../lib/auth/route-rules";
import { ROLES, REFUSED_STATES, type RefusedState, type Role } from "./roles";

/**
 * The expected answer of every route × method × principal, exactly: a status, and for a
 * redirect its target. A 404 counts as an answer only where this table says so.
 */
export type Principal = "anonymous" | Role | RefusedState;
export const PRINCIPALS: readonly Principal[] = ["anonymous", ...ROLES, ...REFUSED_STATES];

export interface Answer {
  status: number;
  /** Redirects: the exact target path and query. */
  location?: string;
  /** Refusals of route handlers: the JSON error code. */
  errorCode?: "unauthenticated" | "forbidden";
  why?: string;
}

/** Real ids for dynamic segments, and who owns the sample export (only its owner may see it). */
export interface Samples {
  decisionId: string;
  runId: string;
  exportId: string;
  exportOwner: Role;
}

type AllowedAnswer = (who: Role | null, samples: Samples) => Answer;

const OK: AllowedAnswer = () => ({ status: 200 });
const redirectTo = (location: string): Answer => ({ status: 307, location });
/** POST "{}": the route's own validation refuses the empty body. */
const INVALID_BODY: AllowedAnswer = () => ({ status: 400, why: "validation of the empty body" });
const OWNER_ONLY: AllowedAnswer = (who, s) =>
  who === s.exportOwner ? { status: 200 } : { status: 404, why: "someone else's export is reported as absent" };

/**
 * What a request the rule ALLOWS answers, per route pattern and method. `who` is the signed-in
 * role, or null for public routes requested without a valid session. Every non-api_key rule
 * must have an entry (a test checks), so a new route needs its expected answer here.
 */
export const ALLOWED_ANSWERS: Record<string, Partial<Record<HttpMethod, AllowedAnswer>>> = {
  "/": { GET: (who) => redirectTo(who ? "/decisions" : "/sign-in") },
  "/sign-in": { GET: (who) => (who ? redirectTo("/decisions") : { status: 200 }) },
  "/api/auth/[...nextauth]": { GET: OK },
  "/admin": { GET: () => redirectTo("/admin/users") },
  "/admin/users": { GET: OK },
  "/admin/api-keys": { GET: OK },
  "/account": { GET: OK },
  "/admin/sign-in-locks": { GET: OK },
  "/admin/erasure": { GET: OK },
  "/admin/legal-holds": { GET: OK },
  "/admin/detection": { GET: OK },
  "/access-log": { GET: OK },
  "/api/v1/openapi.json": { GET: OK },
  "/api/v1/verifier-key": { GET: OK },
  "/api/v1/checkpoints/latest": { GET: OK },
  "/integrity": { GET: OK },
  "/integrity/runs/[id]": { GET: OK },
  "/verify-bundle": { GET: OK },
  "/exports": { GET: OK },
  "/api/v1/integrity/runs": { GET: OK, POST: INVALID_BODY },
  "/api/v1/integrity/runs/[id]": { GET: OK },
  "/api/v1/evidence/exports": { GET: OK, POST: INVALID_BODY },
  "/api/v1/evidence/exports/[id]": { GET: OWNER_ONLY },
  "/api/v1/evidence/exports/[id]/download": { GET: OWNER_ONLY },
  "/decisions": { GET: OK },
  "/decisions/[id]": { GET: OK },
  "/api/v1/decisions/[id]/proof": { GET: OK },
};

/** The role a principal's requests carry, or null when the server must treat them as not signed in. */
export function signedInRole(principal: Principal): Role | null {
  return (ROLES as readonly string[]).includes(principal) ? (principal as Role) : null;
}

/** The exact answer for one request; `url` is the filled-in path the sign-in redirect comes back to. */
export function expectedAnswer(
  req: { pattern: string; method: HttpMethod; access: RouteAccess; kind: "page" | "route"; url: string },
  principal: Principal,
  samples: Samples,
): Answer {
  const who = signedInRole(principal);
  // A browser session, valid or not, is never an ingest API key.
  if (req.access === "api_key") return { status: 401, errorCode: "unauthenticated", why: "a session is not an API key" };
  const allowed = ALLOWED_ANSWERS[req.pattern]?.[req.method];
  if (!allowed) throw new Error(`No expected answer for ${req.method} ${req.pattern}: add it to ALLOWED_ANSWERS in e2e/support/route-matrix.ts`);
  if (req.access === "public") return allowed(who, samples);
  if (!who) {
    return req.kind === "page"
      ? redirectTo(`/sign-in?callbackUrl=${encodeURIComponent(req.url)}`)
      : { status: 401, errorCode: "unauthenticated" };
  }
  if (req.access !== "authenticated" && !roleHas(who, req.access as Permission)) {
    return req.kind === "page" ? { status: 403 } : { status: 403, errorCode: "forbidden" };
  }
  return allowed(who, samples);
}
