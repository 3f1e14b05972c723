import "server-only";
import { headers } from "next/headers";

/**
 * The client's address and user agent for the access log and the sign-in throttle.
 * X-Forwarded-For: the RIGHTMOST entry is used. A reverse proxy appends the address it saw
 * (nginx `$proxy_add_x_forwarded_for`), so the rightmost entry is the one a client cannot
 * forge; entries to its left are whatever the client sent. Without a proxy Next sets the
 * header to the socket address when the client sent none.
 */
export function clientInfoFromHeaders(h: Pick<Headers, "get">): { ip: string | null; userAgent: string | null } {
  const forwarded = h.get("x-forwarded-for")?.split(",").map((s) => s.trim()).filter(Boolean).pop();
  const ip = forwarded || h.get("x-real-ip")?.trim() || null;
  const userAgent = h.get("user-agent")?.slice(0, 512) ?? null;
  return { ip: ip ? normalizeIp(ip) : null, userAgent };
}

/** "::ffff:127.0.0.1" → "127.0.0.1", so one client is counted once by the sign-in throttle. */
function normalizeIp(ip: string): string {
  const v4mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  return (v4mapped ? v4mapped[1]! : ip).slice(0, 64);
}

/** Request context of the current page render, route handler or server action. */
export async function requestContext(): Promise<{ ip: string | null; userAgent: string | null }> {
  try {
    return clientInfoFromHeaders(await headers());
  } catch (error) {
    // Next's own control-flow errors (dynamic rendering bail-out) carry a digest: let them through.
    if (error && typeof error === "object" && "digest" in error) throw error;
    // Outside a request (CLI, scripts, tests): nothing to report.
    return { ip: null, userAgent: null };
  }
}
