import "server-only";
import type { AuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import type { OAuthConfig } from "next-auth/providers/oauth";
import { getUserByEmail } from "../../db/queries/users";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import { loadConfig, type ServerConfig } from "../server/config";
import { getRuntime } from "../server/runtime";
import { authSecret } from "../server/secrets";
import { findOrCreateSsoUser } from "../services/users";
import { requestContext } from "./request-context";
import { recordSignIn, recordSignOut, verifyCredentials } from "./sign-in";
import { SIGN_IN_ERROR_CODES } from "./sign-in-errors";
import { createUserSession, revokeUserSession } from "./user-sessions";

declare module "next-auth" {
  interface Session {
    user: { id: string; email?: string | null; name?: string | null };
    /** Unix seconds of the sign-in: the guard refuses sessions older than SESSION_MAX_AGE_SECONDS. */
    signedInAt: number;
    /** user_sessions.id: the guard accepts the cookie only while this row is active. */
    sessionId: string | null;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    /** users.id. The token carries no role: the guard re-reads role and active flag per request. */
    uid?: string;
    signedInAt?: number;
    provider?: string;
    /** user_sessions.id, created at sign-in; revoked by sign-out, "sign out everywhere", a role change or deactivation. */
    sid?: string;
  }
}

export const OIDC_PROVIDER_ID = "oidc";

export function isOidcConfigured(config: Pick<ServerConfig, "OIDC_ISSUER" | "OIDC_CLIENT_ID" | "OIDC_CLIENT_SECRET"> = loadConfig()): boolean {
  return Boolean(config.OIDC_ISSUER && config.OIDC_CLIENT_ID && config.OIDC_CLIENT_SECRET);
}

interface OidcProfile {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
}

function oidcProvider(config: ServerConfig): OAuthConfig<OidcProfile> {
  const issuer = config.OIDC_ISSUER!.replace(/\/+$/, "");
  return {
    id: OIDC_PROVIDER_ID,
    name: "Single sign-on",
    type: "oauth",
    wellKnown: `${issuer}/.well-known/openid-configuration`,
    issuer,
    clientId: config.OIDC_CLIENT_ID,
    clientSecret: config.OIDC_CLIENT_SECRET,
    authorization: { params: { scope: "openid email profile" } },
    idToken: true,
    checks: ["pkce", "state"],
    profile(profile) {
      return { id: profile.sub, email: profile.email ?? null, name: profile.name ?? profile.preferred_username ?? profile.email ?? null };
    },
  };
}

function buildAuthOptions(config: ServerConfig): AuthOptions {
  const maxAge = config.SESSION_MAX_AGE_SECONDS;
  const providers: AuthOptions["providers"] = [
    CredentialsProvider({
      id: "credentials",
      name: "Email and password",
      credentials: {
        email: { label: "Email", type: "email" },
        password: { label: "Password", type: "password" },
      },
      async authorize(credentials) {
        const { db } = await getRuntime();
        const result = await verifyCredentials(db, {
          email: credentials?.email,
          password: credentials?.password,
          ...(await requestContext()),
        });
        // next-auth passes a thrown message to the sign-in page as ?error=<code>.
        if (!result.ok) throw new Error(result.code);
        return { id: result.user.id, email: result.user.email, name: result.user.name };
      },
    }),
  ];
  if (isOidcConfigured(config)) providers.push(oidcProvider(config));

  return {
    secret: authSecret(config),
    providers,
    session: { strategy: "jwt", maxAge },
    jwt: { maxAge },
    pages: { signIn: "/sign-in", error: "/sign-in", signOut: "/sign-in" },
    callbacks: {
      async signIn({ user, account, profile }) {
        if (account?.provider !== OIDC_PROVIDER_ID) return true;
        const { db } = await getRuntime();
        const ctx = await requestContext();
        const oidc = profile as OidcProfile | undefined;
        const email = (oidc?.email ?? user.email ?? "").trim().toLowerCase();
        const refuse = async (reason: string, code: string, found?: { id: string; role: string }) => {
          await appendAccessEvent(db, {
            action: "auth.sign_in_failed",
            outcome: "failure",
            user: { id: found?.id, email: email || undefined, role: found?.role },
            target: email || null,
            details: { reason, provider: OIDC_PROVIDER_ID },
            ...ctx,
          });
          return `/sign-in?error=${code}`;
        };
        // Accounts are matched by email, so an unverified email could claim someone else's account.
        if (!email || oidc?.email_verified === false) return refuse("email_missing_or_unverified", "AccessDenied");
        const dbUser = await findOrCreateSsoUser(db, {
          email,
          name: oidc?.name ?? user.name ?? null,
          defaultRole: config.OIDC_DEFAULT_ROLE,
          actor: { email: `oidc:${config.OIDC_ISSUER}`, ...ctx },
        });
        if (!dbUser.active) return refuse("deactivated", SIGN_IN_ERROR_CODES.deactivated, dbUser);
        return true;
      },
      async jwt({ token, user, account }) {
        if (user && account) {
          // First call after sign-in: pin the database id and the time of sign-in.
          if (account.provider === "credentials") {
            token.uid = user.id;
          } else {
            const { db } = await getRuntime();
            token.uid = (await getUserByEmail(db, { email: user.email ?? "" }))?.id;
          }
          token.signedInAt = Math.floor(Date.now() / 1000);
          token.provider = account.provider;
          // The server-side session the cookie stands for. No user, no session: the guard refuses the token.
          if (token.uid) {
            const { db } = await getRuntime();
            const { id } = await createUserSession(db, { userId: token.uid, provider: account.provider, ...(await requestContext()) });
            token.sid = id;
          }
        }
        return token;
      },
      async session({ session, token }) {
        session.user = { id: token.uid ?? "", email: token.email ?? null, name: token.name ?? null };
        session.signedInAt = token.signedInAt ?? 0;
        session.sessionId = token.sid ?? null;
        return session;
      },
    },
    events: {
      // Awaited by next-auth: if the access-log entry cannot be written the sign-in fails,
      // so no session exists that the log does not show.
      async signIn({ user, account }) {
        const { db } = await getRuntime();
        const userId =
          account?.provider === "credentials" ? user.id : (await getUserByEmail(db, { email: user.email ?? "" }))?.id;
        if (userId) await recordSignIn(db, { userId, provider: account?.provider ?? "unknown", ...(await requestContext()) });
      },
      // next-auth clears the cookie even when this throws, so the session row is revoked
      // FIRST: a failed log write must not leave a captured copy of the cookie usable.
      async signOut({ token }) {
        const { db } = await getRuntime();
        const ctx = await requestContext();
        if (token?.sid) {
          await revokeUserSession(db, {
            id: token.sid,
            userId: token.uid,
            reason: "sign_out",
            actor: { id: token.uid, email: token.email ?? "unknown", ...ctx },
          });
        }
        await recordSignOut(db, { userId: token?.uid ?? null, email: token?.email ?? null, ...ctx });
      },
    },
  };
}

let cached: { key: string; options: AuthOptions } | null = null;

/**
 * next-auth options, built on first use (not at import: `next build` imports route modules
 * without a runtime environment) and reused while the configuration is unchanged.
 */
export function getAuthOptions(): AuthOptions {
  const config = loadConfig();
  const key = JSON.stringify([config.DATA_DIR, config.NEXTAUTH_SECRET, config.SESSION_MAX_AGE_SECONDS, config.OIDC_ISSUER, config.OIDC_CLIENT_ID]);
  if (!cached || cached.key !== key) cached = { key, options: buildAuthOptions(config) };
  return cached.options;
}
