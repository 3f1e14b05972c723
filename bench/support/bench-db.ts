import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { executeSql, migrateDatabase, openDatabase, type Database } from "../../db/client";
import { toHex } from "../../lib/ledger/bytes";

/** The Postgres server benchmarks run on (they create and drop their own database there). */
export const BENCH_SERVER = process.env.BENCH_DATABASE_URL ?? process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface BenchDatabase extends Database {
  name: string;
  url: string;
  /** Closes the connection and drops the database (unless kept). */
  drop(): Promise<void>;
}

/** Creates (or, with `reuse`, opens) a migrated database on the bench server. */
export async function createBenchDatabase(prefix: string, opts: { reuse?: string; keep?: boolean } = {}): Promise<BenchDatabase> {
  const name = opts.reuse ?? `${prefix}_${Date.now().toString(36)}_${toHex(randomBytes(3))}`;
  const admin = await openDatabase({ url: BENCH_SERVER });
  if (!opts.reuse) await executeSql(admin.db, sql.raw(`create database ${name}`));
  const url = new URL(BENCH_SERVER);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString() });
  await migrateDatabase(database);
  return {
    ...database,
    name,
    url: url.toString(),
    async drop() {
      await database.close();
      if (!opts.keep && !opts.reuse) await executeSql(admin.db, sql.raw(`drop database if exists ${name} with (force)`));
      await admin.close();
    },
  };
}
