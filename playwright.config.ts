import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";

/**
 * End-to-end tests against the PRODUCTION server (scripts/server.mjs, the entry `npm start`
 * runs) on a fresh embedded database. Env: E2E_PORT (default 3100), NEXT_DIST_DIR (the build to serve, default .next),
 * E2E_DATA_DIR (default: a new temp directory per run).
 */
const PORT = Number(process.env.E2E_PORT ?? 3100);
const DIST_DIR = process.env.NEXT_DIST_DIR ?? ".next";
const BASE_URL = `http://localhost:${PORT}`;

// Created once by the main process; workers inherit the variable and reuse the directory.
if (!process.env.E2E_DATA_DIR) {
  process.env.E2E_DATA_DIR = mkdtempSync(path.join(os.tmpdir(), "dl-e2e-"));
  // Ours to remove after the run (e2e/global-setup.ts), unless E2E_KEEP_DATA=1.
  process.env.E2E_DATA_DIR_TEMPORARY = "1";
}
const DATA_DIR = process.env.E2E_DATA_DIR;
process.env.E2E_BASE_URL = BASE_URL;
process.env.E2E_PORT = String(PORT); // e2e/support/roles.ts keys the saved sessions by port

if (!existsSync(path.join(DIST_DIR, "BUILD_ID"))) {
  throw new Error(
    `No production build in ${DIST_DIR}/ (BUILD_ID missing). The end-to-end tests run against the production server (scripts/server.mjs): ` +
      `build first with \`${DIST_DIR === ".next" ? "" : `NEXT_DIST_DIR=${DIST_DIR} `}npx next build\`.`,
  );
}

const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results/playwright",
  globalSetup: "./e2e/global-setup.ts",
  fullyParallel: true,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  workers: process.env.CI ? 2 : 4,
  timeout: 90_000,
  expect: { timeout: 30_000 },
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [["list"], ["json"]] : [["list"]],
  use: {
    baseURL: BASE_URL,
    browserName: "chromium",
    launchOptions: { executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    locale: "en-GB",
    timezoneId: "UTC",
  },
  projects: [
    { name: "setup", testMatch: /auth\.setup\.ts$/ },
    { name: "chromium", testMatch: /.*\.spec\.ts$/, dependencies: ["setup"] },
  ],
  webServer: {
    // The same entry as `npm start` (Next's custom-server API with our malformed-request answers).
    command: `node scripts/server.mjs --port ${PORT}`,
    url: `${BASE_URL}/sign-in`,
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      NEXT_DIST_DIR: DIST_DIR,
      DATA_DIR,
      DATABASE_URL: "",
      NEXTAUTH_URL: BASE_URL,
      NEXTAUTH_SECRET: "",
    },
  },
});
