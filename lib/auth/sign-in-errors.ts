/**
 * Sign-in failure codes. The server throws them from the credentials check; next-auth
 * carries the message to the sign-in page as `?error=<code>` (a throttled attempt is
 * answered 429 by the auth route with the same `?error=` url); the page shows the plain
 * text below. Client-safe (no server imports).
 */
export const SIGN_IN_ERROR_CODES = {
  invalid: "invalid_credentials",
  locked: "too_many_attempts",
  deactivated: "account_deactivated",
} as const;

/** `too_many_attempts:<minutes>`: the wait is part of the code so the page can show it. */
export function lockedErrorCode(minutes: number): string {
  return `${SIGN_IN_ERROR_CODES.locked}:${Math.max(1, Math.ceil(minutes))}`;
}

export function signInErrorMessage(code: string | null | undefined): string | null {
  if (!code) return null;
  const [kind, arg] = code.split(":");
  switch (kind) {
    case SIGN_IN_ERROR_CODES.invalid:
    case "CredentialsSignin":
      return "The email or password is not correct.";
    case SIGN_IN_ERROR_CODES.locked: {
      const minutes = Number(arg);
      const n = Number.isFinite(minutes) && minutes >= 1 ? Math.ceil(minutes) : 1;
      // Locks are per account and address (lib/auth/sign-in.ts), so an administrator can lift one.
      return `Too many attempts, try again in ${n} minute${n === 1 ? "" : "s"}. An administrator can unlock sign-in sooner.`;
    }
    case SIGN_IN_ERROR_CODES.deactivated:
      return "This account has been deactivated. Ask an administrator to reactivate it.";
    case "AccessDenied":
      return "Single sign-on did not grant access to this dashboard. Ask an administrator.";
    case "OAuthSignin":
    case "OAuthCallback":
    case "OAuthCreateAccount":
    case "Callback":
      return "Single sign-on failed. Try again, or sign in with your email and password.";
    case "SessionRequired":
      return "Please sign in to continue.";
    default:
      return "Sign-in failed. Please try again.";
  }
}

/** Only same-site paths are followed after sign-in (no open redirect to another host). */
export function safeCallbackPath(value: string | null | undefined, fallback = "/decisions"): string {
  if (!value) return fallback;
  let path = value;
  // next-auth hands back absolute URLs of this site; keep only their path.
  if (/^https?:\/\//i.test(path)) {
    try {
      const u = new URL(path);
      path = u.pathname + u.search + u.hash;
    } catch {
      return fallback;
    }
  }
  if (!path.startsWith("/") || path.startsWith("//") || path.startsWith("/\\")) return fallback;
  if (path.startsWith("/sign-in") || path.startsWith("/api/auth")) return fallback;
  return path;
}
