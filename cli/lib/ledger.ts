import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { MIGRATIONS_FOLDER, migrateDatabase, openDatabase, queryRows, type Database, type Db } from "../../db/client";
import { bigintColumn } from "../../db/rows/columns";
import { getUserByEmail } from "../../db/queries/users";
import { formatVerifierKey, generateSignerKey, parseSignerKey } from "../../lib/ledger/signed-note";
import { DirectoryCheckpointStore, type ExternalCheckpointStore } from "../../lib/ledger-store/checkpoint-store";
import type { CheckpointSigner } from "../../lib/ledger-store/create-checkpoint";
import { loadConfig, type ServerConfig } from "../../lib/server/config";
import { NotMigratedError } from "../../lib/server/runtime";
import type { ServiceActor } from "../../lib/services/users";
import { CliError } from "../command";

/**
 * What commands share: the server's configuration and database, opened WITHOUT the
 * server's background work (no demo seed, no checkpoint schedule, no job runner), so a
 * command does exactly what it says and exits.
 */
export interface CliLedger {
  config: ServerConfig;
  database: Database;
  db: Db;
  close(): Promise<void>;
}

/** Number of committed migrations (drizzle/meta/_journal.json). */
export function committedMigrations(): number {
  const file = path.join(MIGRATIONS_FOLDER, "meta", "_journal.json");
  if (!existsSync(file)) {
    throw new CliError(`cannot find ${file}: run decision-ledger from the root of a Decision Ledger checkout`);
  }
  return (JSON.parse(readFileSync(file, "utf8")) as { entries: unknown[] }).entries.length;
}

const countRow = z.object({ n: bigintColumn });

/** Number of migrations applied to the database (0 when it has never been migrated). */
export async function appliedMigrations(db: Db): Promise<number> {
  try {
    const rows = await queryRows(db, sql`select count(*) as n from drizzle.__drizzle_migrations`, countRow);
    return rows[0]?.n ?? 0;
  } catch {
    return 0;
  }
}

/**
 * Opens the configured database. Same migration policy as the server: the embedded
 * database, or AUTO_MIGRATE=true, is migrated on open; otherwise a database behind the
 * committed migrations is refused with the instruction to run `decision-ledger migrate`.
 */
export async function openLedger(env: Record<string, string | undefined>, opts: { migrate?: boolean } = {}): Promise<CliLedger> {
  const config = loadConfig(env);
  const expected = committedMigrations();
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: path.resolve(config.DATA_DIR, "pglite") });
  try {
    if (opts.migrate ?? (database.kind === "pglite" || config.AUTO_MIGRATE)) {
      await migrateDatabase(database);
    } else if ((await appliedMigrations(database.db)) < expected) {
      throw new NotMigratedError(database.location);
    }
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
  return { config, database, db: database.db, close: () => database.close() };
}

/** Runs `fn` with an open ledger and always closes it (PGlite must close to flush its files). */
export async function withLedger<T>(
  env: Record<string, string | undefined>,
  fn: (ledger: CliLedger) => Promise<T>,
  opts: { migrate?: boolean } = {},
): Promise<T> {
  const ledger = await openLedger(env, opts);
  try {
    return await fn(ledger);
  } finally {
    await ledger.close();
  }
}

/**
 * The checkpoint signer the server uses, from the same places in the same order:
 * LEDGER_SIGNING_KEY, LEDGER_SIGNING_KEY_FILE, else DATA_DIR/signing-key. When none exists
 * yet (the server never ran), one is generated into DATA_DIR exactly as the server would.
 */
export async function loadSigner(
  config: ServerConfig,
  warn: (text: string) => void,
): Promise<{ signer: CheckpointSigner; verifierKey: string; externalStore: ExternalCheckpointStore }> {
  let signerKey = config.LEDGER_SIGNING_KEY;
  if (!signerKey && config.LEDGER_SIGNING_KEY_FILE) signerKey = readFileSync(config.LEDGER_SIGNING_KEY_FILE, "utf8").trim();
  if (!signerKey) {
    const file = path.resolve(config.DATA_DIR, "signing-key");
    if (existsSync(file)) signerKey = readFileSync(file, "utf8").trim();
    if (!signerKey) {
      const generated = await generateSignerKey(config.LEDGER_ORIGIN);
      signerKey = generated.signerKey;
      writeFileSync(file, signerKey + "\n", { mode: 0o600, flag: "wx" });
      warn(
        `WARNING: generated a checkpoint signing key in ${file} (demo only: in production set LEDGER_SIGNING_KEY_FILE). ` +
          `Verifier key: ${generated.verifierKey}\n`,
      );
    }
  }
  const parsed = await parseSignerKey(signerKey);
  return {
    signer: { signerKey },
    verifierKey: await formatVerifierKey(parsed.name, parsed.publicKey),
    externalStore: new DirectoryCheckpointStore(path.resolve(config.CHECKPOINT_DIR ?? path.join(config.DATA_DIR, "checkpoints"))),
  };
}

/** The operating-system account running the command, recorded as the user agent of CLI access-log entries. */
export function cliUserAgent(): string {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return `decision-ledger-cli (${user}@${hostname()})`;
}

/** The actor recorded when no --as is given. */
export const CLI_SYSTEM_ACTOR_EMAIL = "cli";

/**
 * Who the access log names for a CLI action: the active dashboard user given with --as,
 * or the "cli" system actor. The operating-system user is always kept as the user agent.
 */
export async function resolveActor(db: Db, asEmail: string | undefined): Promise<ServiceActor> {
  const userAgent = cliUserAgent();
  if (!asEmail) return { id: null, email: CLI_SYSTEM_ACTOR_EMAIL, role: "system", ip: null, userAgent };
  const user = await getUserByEmail(db, { email: asEmail });
  if (!user || !user.active) throw new CliError(`--as ${asEmail}: no active user with this email`);
  return { id: user.id, email: user.email, role: user.role, ip: null, userAgent };
}
