import "server-only";
import { cache } from "react";
import { getServerSession } from "next-auth";
import { headers } from "next/headers";
import { forbidden, redirect } from "next/navigation";
import { loadConfig } from "../server/config";
import { getRuntime } from "../server/runtime";
import { getAuthOptions } from "./auth-options";
import { isRole, PERMISSIONS, roleHas, type Permission, type Role } from "./permissions";
import { requestContext as readRequestContext } from "./request-context";
import { readActiveSession } from "./user-sessions";

/**
 * The guard every page, layout, route handler and server action calls FIRST. Deny by
 * default: no session, a revoked or expired session, an unknown or deactivated user, an
 * unknown role or a permission the role lacks are all refused. The session cookie only names
 * a server-side session (user_sessions) and its user; the session row, role and active flag
 * are re-read from the database on every request, so a sign-out, "sign out everywhere", a
 * role change or a deactivation takes effect on the next request.
 */
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  /** user_sessions.id of the session this request came with. */
  sessionId: string;
}

/** Header set by proxy.ts with the requested path, so a sign-in redirect can come back to it. */
export const PATHNAME_HEADER = "x-decision-ledger-path";

export class AccessDeniedError extends Error {
  constructor(
    /** 401: not signed in; 403: signed in without the permission. */
    readonly status: 401 | 403,
    readonly permission: Permission | null,
  ) {
    super(
      status === 401
        ? "You are not signed in (or your session has expired). Sign in and try again."
        : `Your role does not allow this: it needs the permission "${permission}" (${permission ? PERMISSIONS[permission] : ""}).`,
    );
    this.name = "AccessDeniedError";
  }
}

// One database read per request however many components ask (layout, page, banner...).
const readSessionUser = cache(async (): Promise<SessionUser | null> => {
  const session = await getServerSession(getAuthOptions());
  const id = session?.user?.id;
  // A cookie without a server-side session (issued before sessions were revocable) is refused.
  const sessionId = session?.sessionId;
  if (!id || !sessionId) return null;
  // Absolute session lifetime: next-auth's JWT expiry slides when the token is refreshed;
  // this bound does not.
  const maxAge = loadConfig().SESSION_MAX_AGE_SECONDS;
  if (!session.signedInAt || Date.now() / 1000 - session.signedInAt > maxAge) return null;
  const { db } = await getRuntime();
  // One round trip: the session row joined with its (active) user.
  const active = await readActiveSession(db, { id: sessionId });
  if (!active || active.user.id !== id) return null;
  const { user } = active;
  if (!isRole(user.role)) return null;
  return { id: user.id, email: user.email, name: user.name, role: user.role, sessionId };
});

export async function getSessionUser(): Promise<SessionUser | null> {
  return readSessionUser();
}

// Which permission the current request was refused, for app/forbidden.tsx (rendered in the
// same request, so the per-request React cache carries it).
const deniedPermission = cache((): { permission: Permission | null } => ({ permission: null }));

/** The permission whose absence made this request render the 403 page, if known. */
export function getDeniedPermission(): Permission | null {
  return deniedPermission().permission;
}

/** The requested path and query of the current page request ("/" when unknown). */
export async function currentPath(): Promise<string> {
  const value = (await headers()).get(PATHNAME_HEADER);
  return value && value.startsWith("/") && !value.startsWith("//") ? value : "/";
}

export async function signInRedirectPath(): Promise<string> {
  return `/sign-in?callbackUrl=${encodeURIComponent(await currentPath())}`;
}

/** Pages and layouts: anonymous → redirect to /sign-in?callbackUrl=…; lacking → 403 page. */
export async function requirePagePermission(permission: Permission): Promise<SessionUser> {
  const user = await getSessionUser();
  if (!user) redirect(await signInRedirectPath());
  if (!roleHas(user.role, permission)) {
    deniedPermission().permission = permission;
    forbidden();
  }
  return user;
}

/** Pages that any signed-in user may see. */
export async function requireSignedIn(): Promise<SessionUser> {
  const user = await getSessionUser();
  if (!user) redirect(await signInRedirectPath());
  return user;
}

/** Server actions: throws AccessDeniedError (status 401 or 403). */
export async function requireActionPermission(permission: Permission): Promise<SessionUser> {
  const user = await getSessionUser();
  if (!user) throw new AccessDeniedError(401, permission);
  if (!roleHas(user.role, permission)) throw new AccessDeniedError(403, permission);
  return user;
}

function jsonError(status: 401 | 403, body: Record<string, unknown>): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store" } });
}

/**
 * Route handlers: 401 JSON when not signed in, 403 JSON naming the missing permissions,
 * otherwise calls `handler` with the user and the resolved route params (catch-all
 * segments joined with "/"). An empty `requiredPermissions` means any signed-in user.
 */
export function withPermission(
  handler: (req: Request, ctx: { user: SessionUser; params: Record<string, string> }) => Promise<Response>,
  opts: { requiredPermissions: Permission[] },
): (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response> {
  return async (req, ctx) => {
    const user = await getSessionUser();
    if (!user) {
      return jsonError(401, { error: "unauthenticated", message: "Sign in to use this endpoint (or your session has expired)." });
    }
    const missing = opts.requiredPermissions.filter((p) => !roleHas(user.role, p));
    if (missing.length > 0) {
      return jsonError(403, {
        error: "forbidden",
        missingPermissions: missing,
        message: `Your role does not allow this. Missing: ${missing.map((p) => `${p} (${PERMISSIONS[p]})`).join(", ")}.`,
      });
    }
    const raw = ((await ctx?.params) ?? {}) as Record<string, string | string[] | undefined>;
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (value !== undefined) params[key] = Array.isArray(value) ? value.join("/") : value;
    }
    return handler(req, { user, params });
  };
}

/** Client IP and user agent of the current request, for access-log entries. */
export async function requestContext(): Promise<{ ip: string | null; userAgent: string | null }> {
  return readRequestContext();
}
