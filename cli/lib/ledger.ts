import { existsSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import path from "node:path";
import { migrateDatabase, openDatabase, type Database, type Db } from "../../db/client";
import { committedMigrationCount, isMigrated, migrationJournalFile, NotMigratedError } from "../../db/migrations";
import { getUserByEmail } from "../../db/queries/users";
import type { ExternalCheckpointStore } from "../../lib/ledger-store/checkpoint-store";
import type { CheckpointSigner } from "../../lib/ledger-store/create-checkpoint";
import { loadConfig, type ServerConfig } from "../../lib/server/config";
import { loadOrCreatePersonalDataKeys } from "../../lib/server/personal-data-keys";
import { configuredCheckpointStore, loadOrCreateSigner } from "../../lib/server/signing-key";
import type { PersonalDataKeys } from "../../lib/privacy/personal-data-keys";
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
  /** The personal-data keys, loaded (or, for the demo, generated) on first use: most commands never need them. */
  personalDataKeys(): PersonalDataKeys;
  close(): Promise<void>;
}

/** Number of committed migrations (drizzle/meta/_journal.json), or a CliError saying where to run from. */
export function committedMigrations(): number {
  const file = migrationJournalFile();
  if (!existsSync(file)) {
    throw new CliError(`cannot find ${file}: run decision-ledger from the root of a Decision Ledger checkout`);
  }
  return committedMigrationCount();
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
    } else if (!(await isMigrated(database.db, expected))) {
      throw new NotMigratedError(database.location);
    }
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
  let keys: PersonalDataKeys | undefined;
  const personalDataKeys = () => (keys ??= loadOrCreatePersonalDataKeys(config, (text) => process.stderr.write(text + "\n")));
  return { config, database, db: database.db, personalDataKeys, close: () => database.close() };
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
 * The checkpoint signer and external store the server uses (lib/server/signing-key.ts). When
 * no key exists yet (the server never ran), one is generated into DATA_DIR as the server would.
 */
export async function loadSigner(
  config: ServerConfig,
  warn: (text: string) => void,
): Promise<{ signer: CheckpointSigner; verifierKey: string; externalStore: ExternalCheckpointStore }> {
  const { signer, verifierKey } = await loadOrCreateSigner(config, (text) => warn(text + "\n"));
  return { signer, verifierKey, externalStore: configuredCheckpointStore(config) };
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
