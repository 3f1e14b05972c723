import { existsSync, readFileSync, rmSync } from "node:fs";
import type { FullConfig } from "@playwright/test";
import { credentialsFile, ROLES, type DemoCredentials } from "./support/roles";

/**
 * Runs after the web server is up (Playwright starts webServer first). The runtime opens the
 * database and runs the demo seed on first use, which writes demo-credentials.json into the
 * fresh DATA_DIR; wait for it, then check it has one user per role.
 */
export default async function globalSetup(config: FullConfig): Promise<() => Promise<void>> {
  const baseURL = process.env.E2E_BASE_URL ?? String(config.projects[0]?.use.baseURL);
  const file = credentialsFile();
  const deadline = Date.now() + 240_000;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`The demo seed did not write ${file} within 4 minutes. Check the server log above.`);
    // Any request that needs the runtime starts it (and so the seed) if instrumentation did not.
    await fetch(`${baseURL}/api/v1/verifier-key`).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1000));
  }
  // The seed may write the file in one go, but be safe against a half-written read.
  let creds: DemoCredentials | null = null;
  for (let i = 0; i < 20 && !creds; i++) {
    try {
      creds = JSON.parse(readFileSync(file, "utf8")) as DemoCredentials;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  if (!creds) throw new Error(`${file} is not valid JSON.`);
  const missing = ROLES.filter((role) => !creds.users.some((u) => u.role === role));
  if (missing.length > 0) throw new Error(`demo-credentials.json has no user for: ${missing.join(", ")}`);

  // The temp data directory holds a full demo database (~300 MB): remove it after the run
  // unless asked to keep it for debugging (E2E_KEEP_DATA=1) or it was given by the caller.
  return async () => {
    const dir = process.env.E2E_DATA_DIR;
    if (dir && process.env.E2E_DATA_DIR_TEMPORARY === "1" && process.env.E2E_KEEP_DATA !== "1") {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
