// Security headers for every response (docs/security.md, "Security headers and cookies").
// Pure: no I/O, no environment reads. Deliberately not marked "server-only": next.config.ts
// imports it, and Node loads that file outside Next's bundler, where the marker throws.

/** One response header, in the shape next.config.ts `headers()` takes. */
export interface HeaderEntry {
  key: string;
  value: string;
}

/**
 * x-forwarded-proto whose first (client-facing) entry is https, in the anchored-regex syntax
 * of next.config `has` conditions. The same rule decides HSTS for every response and
 * upgrade-insecure-requests for pages. A client can forge the header on a plain-http
 * connection, but that only earns it an HSTS header that browsers ignore over http.
 */
export const HTTPS_FORWARDED_PROTO_PATTERN = "[Hh][Tt][Tt][Pp][Ss](?:\\s*,.*)?";
const HTTPS_FORWARDED_PROTO = new RegExp(`^${HTTPS_FORWARDED_PROTO_PATTERN}$`);

/** Whether a request reached the TLS-terminating proxy over HTTPS. */
export function isHttpsRequest(forwardedProto: string | null | undefined): boolean {
  return forwardedProto != null && HTTPS_FORWARDED_PROTO.test(forwardedProto);
}

/** Two years, subdomains included; no `preload` (joining the preload list is the operator's call). */
export const STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains";

/** For JSON, downloads and static files: nothing may load from them and nobody may frame them. */
export const RESOURCE_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** Powerful features the dashboard never uses; clipboard stays allowed (the copy buttons). */
export const PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()";

/** Sent with every response, page or not. */
export const COMMON_SECURITY_HEADERS: readonly HeaderEntry[] = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  // Not no-referrer: with it browsers send `Origin: null` on same-origin POSTs, which Next's
  // server-action origin check rejects. Cross-origin requests still get only the origin.
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Permissions-Policy", value: PERMISSIONS_POLICY },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
];

/**
 * Paths proxy.ts does not run on (its matcher excludes them), in next.config `source`
 * syntax: they get RESOURCE_CONTENT_SECURITY_POLICY from next.config.ts instead of a page
 * policy. tests/server/security-headers.test.ts keeps the two lists in step.
 */
export const NON_PAGE_SOURCES: readonly string[] = ["/api/:path*", "/_next/:path*", "/favicon.ico", "/favicon.svg", "/logo.svg", "/robots.txt"];

/** next.config.ts `headers()`: common headers everywhere, HSTS over HTTPS, a CSP for non-pages. */
export function configSecurityHeaders() {
  return [
    { source: "/:path*", headers: [...COMMON_SECURITY_HEADERS] },
    {
      source: "/:path*",
      has: [{ type: "header" as const, key: "x-forwarded-proto", value: HTTPS_FORWARDED_PROTO_PATTERN }],
      headers: [{ key: "Strict-Transport-Security", value: STRICT_TRANSPORT_SECURITY }],
    },
    ...NON_PAGE_SOURCES.map((source) => ({ source, headers: [{ key: "Content-Security-Policy", value: RESOURCE_CONTENT_SECURITY_POLICY }] })),
  ];
}

/** 128 random bits, base64: unguessable and fresh for every page request. */
export function createNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

export interface PagePolicyOptions {
  nonce: string;
  /** The request came over HTTPS (isHttpsRequest): adds upgrade-insecure-requests. */
  https: boolean;
  /** `next dev`: React needs eval for its debugging aids, and dev injects un-nonced styles. */
  dev: boolean;
}

/**
 * The page policy. Next reads the nonce from this header on the request and stamps its own
 * scripts with it; 'strict-dynamic' lets those load their chunks. Styles: stylesheets must
 * come from this origin or carry the nonce, but style *attributes* are allowed, because
 * server-rendered HTML carries them (next/image's `color:transparent`, the progress bar's
 * width, recharts' SVG) and nonces cannot cover attributes. Attributes cannot run script or
 * select elements, so they are the least dangerous thing to relax.
 */
export function pageContentSecurityPolicy({ nonce, https, dev }: PagePolicyOptions): string {
  const directives = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    dev ? "style-src 'self' 'unsafe-inline'" : `style-src 'self' 'nonce-${nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ];
  if (https) directives.push("upgrade-insecure-requests");
  return directives.join("; ");
}
