import "server-only";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Reads a generated secret from DATA_DIR, creating it on first use. Only for the embedded
 * demo: production supplies its own through the environment.
 */
export function readOrCreateSecretFile(dataDir: string, name: string, create: () => string): { value: string; created: boolean } {
  const file = path.resolve(dataDir, name);
  if (existsSync(file)) return { value: readFileSync(file, "utf8").trim(), created: false };
  mkdirSync(path.dirname(file), { recursive: true });
  const value = create();
  writeFileSync(file, value + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return { value, created: true };
}

export function authSecret(env: { NEXTAUTH_SECRET?: string; DATA_DIR: string }): string {
  if (env.NEXTAUTH_SECRET) return env.NEXTAUTH_SECRET;
  return readOrCreateSecretFile(env.DATA_DIR, "auth-secret", () => randomBytes(32).toString("base64url")).value;
}
