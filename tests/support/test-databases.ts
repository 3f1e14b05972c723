import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { executeSql, migrateDatabase, openDatabase, type Database, type DatabaseKind } from "../../db/client";

/**
 * The server every database test also runs on. Tests create and drop their own database
 * there; nothing depends on what a previous run left. Set TEST_POSTGRES_URL=off to run
 * only on PGlite (CI never does).
 */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export const DATABASE_KINDS: DatabaseKind[] = TEST_POSTGRES_URL === "off" ? ["pglite"] : ["pglite", "postgres"];

export interface TestDatabase extends Database {
  /** A URL for a second connection to the same database (Postgres only), e.g. for parallel writers. */
  url?: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === "pglite") {
    const database = await openDatabase({ dataDir: "memory://" });
    await migrateDatabase(database);
    return { ...database, drop: () => database.close() };
  }
  const name = `dl_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const admin = await openDatabase({ url: TEST_POSTGRES_URL });
  await executeSql(admin.db, sql.raw(`create database ${name}`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString() });
  await migrateDatabase(database);
  return {
    ...database,
    url: url.toString(),
    async drop() {
      await database.close();
      await executeSql(admin.db, sql.raw(`drop database if exists ${name} with (force)`));
      await admin.close();
    },
  };
}
