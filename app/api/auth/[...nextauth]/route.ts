import NextAuth from "next-auth";
import type { NextRequest } from "next/server";
import { getAuthOptions } from "@/lib/auth/auth-options";
import { clientInfoFromHeaders } from "@/lib/auth/request-context";
import { throttledSignInResponse } from "@/lib/auth/sign-in";
import { getRuntime } from "@/lib/server/runtime";

type Context = { params: Promise<{ nextauth: string[] }> };

// Public by design (ROUTE_RULES): this is where signing in and out happens. The options are
// built per request so `next build` never reads runtime configuration.
async function handler(req: NextRequest, ctx: Context): Promise<Response> {
  return NextAuth(req as never, ctx as never, getAuthOptions()) as Promise<Response>;
}

/**
 * A password sign-in from a throttled (account, IP) pair or IP is answered 429 with
 * Retry-After here, before next-auth runs (which can only answer 200 or a redirect).
 */
async function post(req: NextRequest, ctx: Context): Promise<Response> {
  const { nextauth } = await ctx.params;
  if (nextauth[0] === "callback" && nextauth[1] === "credentials") {
    const { db } = await getRuntime();
    const refused = await throttledSignInResponse(db, req, clientInfoFromHeaders(req.headers));
    if (refused) return refused;
  }
  return handler(req, ctx);
}

export { handler as GET, post as POST };
