import { NextResponse, type NextRequest } from "next/server";
import { createNonce, isHttpsRequest, pageContentSecurityPolicy } from "./lib/server/security-headers";

/**
 * Not an authorization layer (every page, route handler and server action runs the guard in
 * lib/auth/guard.ts itself). It does two things for pages:
 * - tells server components which path was requested, so the guard can send an anonymous
 *   visitor to /sign-in?callbackUrl=<that path>. Any value a client sent in the same header
 *   is overwritten;
 * - sets the page Content-Security-Policy with a fresh nonce, on the request (Next reads the
 *   nonce from it and stamps its own scripts) and on the response. The other security
 *   headers, and the policy for API routes and assets, come from next.config.ts.
 */
const PATHNAME_HEADER = "x-decision-ledger-path"; // = PATHNAME_HEADER in lib/auth/guard.ts

export function proxy(request: NextRequest) {
  const policy = pageContentSecurityPolicy({
    nonce: createNonce(),
    https: isHttpsRequest(request.headers.get("x-forwarded-proto")),
    dev: process.env.NODE_ENV === "development",
  });
  const headers = new Headers(request.headers);
  headers.set(PATHNAME_HEADER, request.nextUrl.pathname + request.nextUrl.search);
  headers.set("Content-Security-Policy", policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", policy);
  return response;
}

export const config = {
  // Pages only: not API routes, Next's assets or files in public/ (= NON_PAGE_SOURCES in
  // lib/server/security-headers.ts). Prefetches are matched too: they need the path header.
  matcher: ["/((?!api/|_next/|favicon\\.ico|favicon\\.svg|logo\\.svg|robots\\.txt).*)"],
};
