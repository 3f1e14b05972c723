import "server-only";
import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { MIGRATIONS_FOLDER, queryRows, type Db } from "./client";
import { bigintColumn } from "./rows/columns";

/**
 * Whether a database has the committed migrations: the one check behind the server's start
 * (lib/server/runtime.ts) and the CLI's (cli/lib/ledger.ts), which refuse a database that is
 * behind rather than run against a schema they were not written for.
 */

export class NotMigratedError extends Error {
  constructor(location: string) {
    super(
      `The database at ${location} has no Decision Ledger schema or is behind the committed migrations. ` +
        "Run `npx decision-ledger migrate` as the database owner, or set AUTO_MIGRATE=true.",
    );
    this.name = "NotMigratedError";
  }
}

/** drizzle-kit's journal of the committed migrations (drizzle/meta/_journal.json). */
export function migrationJournalFile(migrationsFolder = MIGRATIONS_FOLDER): string {
  return path.join(migrationsFolder, "meta", "_journal.json");
}

/** Number of committed migrations; throws (ENOENT) when the journal is missing. */
export function committedMigrationCount(migrationsFolder = MIGRATIONS_FOLDER): number {
  return (JSON.parse(readFileSync(migrationJournalFile(migrationsFolder), "utf8")) as { entries: unknown[] }).entries.length;
}

const countRow = z.object({ n: bigintColumn });

/** Migrations applied to the database, or null when it has never been migrated (no drizzle schema). */
async function readAppliedMigrations(db: Db): Promise<number | null> {
  try {
    const rows = await queryRows(db, sql`select count(*) as n from drizzle.__drizzle_migrations`, countRow);
    return rows[0]?.n ?? 0;
  } catch {
    return null;
  }
}

/** Number of migrations applied to the database (0 when it has never been migrated). */
export async function appliedMigrationCount(db: Db): Promise<number> {
  return (await readAppliedMigrations(db)) ?? 0;
}

/** Whether every committed migration is applied; a database never migrated is not, even with none committed. */
export async function isMigrated(db: Db, committed = committedMigrationCount()): Promise<boolean> {
  const applied = await readAppliedMigrations(db);
  return applied !== null && applied >= committed;
}
