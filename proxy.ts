import { NextResponse, type NextRequest } from "next/server";

/**
 * Not an authorization layer (every page, route handler and server action runs the guard in
 * lib/auth/guard.ts itself). It only tells server components which path was requested, so
 * the guard can send an anonymous visitor to /sign-in?callbackUrl=<that path>. Any value a
 * client sent in the same header is overwritten.
 */
const PATHNAME_HEADER = "x-decision-ledger-path"; // = PATHNAME_HEADER in lib/auth/guard.ts

export function proxy(request: NextRequest) {
  const headers = new Headers(request.headers);
  headers.set(PATHNAME_HEADER, request.nextUrl.pathname + request.nextUrl.search);
  return NextResponse.next({ request: { headers } });
}

export const config = {
  // Pages only: not API routes, Next's assets or files in public/.
  matcher: ["/((?!api/|_next/|favicon\\.ico|favicon\\.svg|logo\\.svg|robots\\.txt).*)"],
};
