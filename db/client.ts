import "server-only";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { SQL } from "drizzle-orm";
import { z } from "zod";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import * as schema from "./schema";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type DatabaseKind = "pglite" | "postgres";

export interface Database {
  db: Db;
  kind: DatabaseKind;
  /** Where the data lives, for messages: the PGlite directory or the server URL without password. */
  location: string;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = path.join(process.cwd(), "drizzle");

export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseUnavailableError";
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}

/**
 * Opens the Postgres server at `url`, or with no url the embedded PGlite database in
 * `dataDir`. Both speak the same SQL and run the same migrations.
 */
export async function openDatabase(opts: { url?: string; dataDir?: string }): Promise<Database> {
  if (opts.url) {
    const { default: postgres } = await import("postgres");
    const { drizzle } = await import("drizzle-orm/postgres-js");
    const client = postgres(opts.url, { max: 10, onnotice: () => {}, connect_timeout: 10 });
    const location = redactUrl(opts.url);
    try {
      await client`select 1`;
    } catch (error) {
      await client.end({ timeout: 1 }).catch(() => {});
      throw new DatabaseUnavailableError(
        `Cannot reach the Postgres server at ${location}: ${(error as Error).message}. ` +
          "Check DATABASE_URL, or unset it to use the embedded database in ./data.",
        { cause: error },
      );
    }
    const db = drizzle(client, { schema }) as unknown as Db;
    return { db, kind: "postgres", location, close: () => client.end({ timeout: 5 }) };
  }
  const dataDir = opts.dataDir ?? path.join(process.cwd(), "data", "pglite");
  if (dataDir !== "memory://") mkdirSync(dataDir, { recursive: true });
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const client = dataDir === "memory://" ? new PGlite() : new PGlite(dataDir);
  await client.waitReady;
  const db = drizzle(client, { schema }) as unknown as Db;
  return { db, kind: "pglite", location: dataDir, close: () => client.close() };
}

/** Applies the committed migrations under drizzle/ (idempotent). */
export async function migrateDatabase(database: Database, migrationsFolder = MIGRATIONS_FOLDER): Promise<void> {
  if (database.kind === "postgres") {
    const { migrate } = await import("drizzle-orm/postgres-js/migrator");
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await migrate(database.db as any, { migrationsFolder });
  } else {
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await migrate(database.db as any, { migrationsFolder });
  }
}

/** Rows of a raw query as the driver returns them (postgres.js an array, PGlite `{ rows }`). */
async function rawRows(db: Pick<Db, "execute">, query: SQL): Promise<unknown[]> {
  const result = (await db.execute(query)) as unknown;
  if (Array.isArray(result)) return result;
  const rows = (result as { rows?: unknown }).rows;
  if (!Array.isArray(rows)) throw new Error("the database driver returned no rows array");
  return rows;
}

/**
 * Rows of a raw SQL query, each checked against `row` (a zod schema) at the boundary, so a
 * column renamed in a migration or a driver returning another type fails here, named, and
 * not as `undefined` three calls later. The row type is inferred from the schema.
 */
export async function queryRows<S extends z.ZodType>(db: Pick<Db, "execute">, query: SQL, row: S): Promise<z.output<S>[]> {
  const rows = await rawRows(db, query);
  return rows.map((r, i) => {
    const parsed = row.safeParse(r);
    if (!parsed.success) throw new RowShapeError(i, parsed.error);
    return parsed.data;
  });
}

/** A statement run for its effect (DDL, locks, inserts without RETURNING): rows are not read. */
export async function executeSql(db: Pick<Db, "execute">, query: SQL): Promise<void> {
  await db.execute(query);
}

export class RowShapeError extends Error {
  constructor(index: number, error: z.ZodError) {
    super(`row ${index} of a query has an unexpected shape: ${z.prettifyError(error)}`);
    this.name = "RowShapeError";
  }
}
