import "server-only";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { formatVerifierKey, generateSignerKey, parseSignerKey } from "../ledger/signed-note";
import { DirectoryCheckpointStore } from "../ledger-store/checkpoint-store";
import type { CheckpointSigner } from "../ledger-store/create-checkpoint";
import type { ServerConfig } from "./config";

// Where a deployment's checkpoint signer key and external checkpoint store are, for the
// server and the command line alike: the CLI must sign and verify with exactly the key the
// server uses, found in the same places in the same order.

const GENERATED_KEY_FILE = "signing-key";

/**
 * The configured signer key: LEDGER_SIGNING_KEY, else the file LEDGER_SIGNING_KEY_FILE, else
 * a key generated earlier into DATA_DIR; null when there is none. A named key file that does
 * not exist is an error (a typo must not silently fall back to a demo key) unless
 * `missingKeyFileOk`, for the verifier, which only looks for a key to trust.
 */
export function readConfiguredSignerKey(config: ServerConfig, opts: { missingKeyFileOk?: boolean } = {}): string | null {
  if (config.LEDGER_SIGNING_KEY) return config.LEDGER_SIGNING_KEY;
  const keyFile = config.LEDGER_SIGNING_KEY_FILE;
  if (keyFile && (!opts.missingKeyFileOk || existsSync(keyFile))) return readFileSync(keyFile, "utf8").trim() || null;
  const generated = path.resolve(config.DATA_DIR, GENERATED_KEY_FILE);
  return existsSync(generated) ? readFileSync(generated, "utf8").trim() || null : null;
}

export async function verifierKeyOf(signerKey: string): Promise<string> {
  const parsed = await parseSignerKey(signerKey);
  return formatVerifierKey(parsed.name, parsed.publicKey);
}

/**
 * The configured signer, generating one into DATA_DIR (mode 0600, demo only: `warn` says so
 * and prints its verifier key) when none is configured. Two processes starting together
 * cannot end up with different keys: the file is created exclusively and the loser reads it.
 */
export async function loadOrCreateSigner(
  config: ServerConfig,
  warn: (text: string) => void,
): Promise<{ signer: CheckpointSigner; verifierKey: string }> {
  let signerKey = readConfiguredSignerKey(config);
  if (!signerKey) {
    const file = path.resolve(config.DATA_DIR, GENERATED_KEY_FILE);
    const generated = await generateSignerKey(config.LEDGER_ORIGIN);
    mkdirSync(path.dirname(file), { recursive: true });
    try {
      writeFileSync(file, generated.signerKey + "\n", { mode: 0o600, flag: "wx" });
      signerKey = generated.signerKey;
      warn(
        `WARNING: generated a checkpoint signing key in ${file}. This is for the demo only: in production supply your own ` +
          `through LEDGER_SIGNING_KEY_FILE (kept outside the database) and publish its verifier key. Verifier key: ${generated.verifierKey}`,
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      signerKey = readFileSync(file, "utf8").trim();
    }
  }
  return { signer: { signerKey }, verifierKey: await verifierKeyOf(signerKey) };
}

/** The external write-once checkpoint store: CHECKPOINT_DIR, default DATA_DIR/checkpoints. */
export function configuredCheckpointStore(config: ServerConfig): DirectoryCheckpointStore {
  // turbopackIgnore: a runtime path, not a file for the build to trace.
  return new DirectoryCheckpointStore(path.resolve(/*turbopackIgnore: true*/ config.CHECKPOINT_DIR ?? path.join(config.DATA_DIR, "checkpoints")));
}
