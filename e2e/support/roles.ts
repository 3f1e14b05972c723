import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ROLES, type Role } from "../../lib/auth/permissions";

export { ROLES, type Role };

export interface DemoUser {
  email: string;
  password: string;
  role: Role;
  name: string;
}

export interface DemoCredentials {
  users: DemoUser[];
  /** An ingest API key secret created by the demo seed. */
  apiKey: string | null;
}

/** The test server's data directory (set by playwright.config.ts). */
export function e2eDataDir(): string {
  const dir = process.env.E2E_DATA_DIR;
  if (!dir) throw new Error("E2E_DATA_DIR is not set: run the tests through `npx playwright test` (playwright.config.ts sets it).");
  return dir;
}

export function credentialsFile(): string {
  return path.join(e2eDataDir(), "demo-credentials.json");
}

/** The demo users and API key the server's demo seed wrote into its data directory. */
export function demoCredentials(): DemoCredentials {
  const file = credentialsFile();
  if (!existsSync(file)) throw new Error(`${file} does not exist: the server's demo seed has not run (is DEMO disabled?).`);
  return JSON.parse(readFileSync(file, "utf8")) as DemoCredentials;
}

export function demoUser(role: Role): DemoUser {
  const user = demoCredentials().users.find((u) => u.role === role);
  if (!user) throw new Error(`The demo seed created no user with the role ${role}.`);
  return user;
}

/**
 * Saved browser states that must be REFUSED everywhere (e2e/auth.setup.ts): "deactivated" is
 * the cookie of a compliance officer whom the admin deactivated after it signed in;
 * "signed-out" is the cookie of an admin session saved just before it signed out.
 */
export const REFUSED_STATES = ["deactivated", "signed-out"] as const;
export type RefusedState = (typeof REFUSED_STATES)[number];
export type SavedState = Role | RefusedState;

/**
 * Where the setup project saved the browser state of a role (or a refused state):
 * e2e/.auth/port-<port>/. One directory per server port, so test runs against different
 * servers at the same time (each with its own session secret) never read each other's cookies.
 */
export function storageStateFor(state: SavedState): string {
  const port = process.env.E2E_PORT ?? "3100";
  return path.join(fileURLToPath(new URL("../.auth/", import.meta.url)), `port-${port}`, `${state}.json`);
}

/**
 * Resolves once the server's demo seed has stored every decision (it continues in the
 * background after the server is ready, oldest first), so views over "the last 7 days" or
 * the whole ledger are complete and stable while a test compares or verifies them.
 */
export async function waitForDemoSeed(timeoutMs = 280_000): Promise<void> {
  const file = path.join(e2eDataDir(), "demo-seed.json");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, "utf8")) as { completedAt: string | null }).completedAt) return;
      } catch {
        // being written: read again
      }
    }
    if (Date.now() > deadline) throw new Error("the demo seed did not finish within the time limit");
    await new Promise((r) => setTimeout(r, 1000));
  }
}
