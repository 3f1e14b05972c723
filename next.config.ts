import type { NextConfig } from "next";
import { configSecurityHeaders } from "./lib/server/security-headers";

const nextConfig: NextConfig = {
  // PGlite loads its WASM and data files from its package directory at run time, and
  // postgres.js opens sockets: both stay outside the server bundle.
  serverExternalPackages: ["@electric-sql/pglite", "postgres"],
  // Lets several dev servers (one per contributor or test run) share a checkout.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: false },
  // forbidden() from next/navigation: the guard renders app/forbidden.tsx with HTTP 403
  // when a signed-in user lacks a page's permission.
  experimental: { authInterrupts: true },
  // nosniff, Referrer-Policy, framing, HSTS over HTTPS, and the CSP of API routes and assets
  // (pages get theirs, with a nonce, from proxy.ts).
  async headers() {
    return configSecurityHeaders();
  },
};

export default nextConfig;
