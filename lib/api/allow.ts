import "server-only";
import type { HttpMethod } from "../auth/route-rules";

/**
 * OPTIONS for a route handler: 204 with `Allow` naming what the route answers (RFC 9110
 * §9.3.7, §10.2.1). Every route under app/api/v1 exports it, built from its own handlers,
 * so the list cannot drift from the exports:
 *
 *   export const OPTIONS = optionsHandler({ GET, POST });
 *
 * HEAD is listed with GET because Next answers HEAD with the GET handler. No CORS headers:
 * the API is not meant to be called from other origins' pages. Public, like the method list
 * itself (it names methods, not who may call them).
 */
export function optionsHandler(handlers: Partial<Record<HttpMethod, unknown>>): () => Response {
  const allow = allowHeader(Object.keys(handlers).filter((m): m is HttpMethod => handlers[m as HttpMethod] !== undefined));
  return () => new Response(null, { status: 204, headers: { allow, "cache-control": "no-store" } });
}

/** The `Allow` value for a handler's methods: sorted, with HEAD when GET is there, and OPTIONS. */
export function allowHeader(methods: readonly HttpMethod[]): string {
  const all = new Set<string>([...methods, "OPTIONS"]);
  if (all.has("GET")) all.add("HEAD");
  return [...all].sort().join(", ");
}
