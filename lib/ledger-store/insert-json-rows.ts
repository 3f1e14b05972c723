import "server-only";
import { getTableColumns, getTableName, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import { executeSql } from "../../db/client";
import { toHex } from "../ledger/bytes";
import type { Queryable } from "./log-append";

/**
 * Inserts rows of `table` as ONE json parameter per chunk, expanded by
 * json_populate_recordset into the table's own row type, so every value is converted by the
 * column's input function exactly as a bound parameter would be.
 *
 * Why not the query builder: it binds one parameter per value, and for the ledger's wide
 * rows building and binding those cost ~40 % of the insert (docs/benchmarks.md, "Ingest");
 * a single text parameter is parsed by the server in one pass. Works on both drivers
 * (postgres.js and PGlite), unlike COPY FROM STDIN.
 */
export async function insertRowsAsJson<T extends PgTable>(tx: Queryable, table: T, rows: T["$inferInsert"][], chunkRows = 1000): Promise<void> {
  if (rows.length === 0) return;
  const columns = getTableColumns(table);
  const keys = Object.keys(rows[0]!).filter((k) => k in columns);
  const names = keys.map((k) => `"${columns[k]!.name}"`).join(", ");
  const target = `"${getTableName(table)}"`;
  for (let i = 0; i < rows.length; i += chunkRows) {
    const json = JSON.stringify(rows.slice(i, i + chunkRows).map((row) => jsonRow(row as Record<string, unknown>, keys, columns)));
    await executeSql(
      tx,
      sql`insert into ${sql.raw(target)} (${sql.raw(names)}) select ${sql.raw(names)} from json_populate_recordset(null::${sql.raw(target)}, ${json}::json)`,
    );
  }
}

/** One row keyed by SQL column name, with values in the text forms the column types read. */
function jsonRow(row: Record<string, unknown>, keys: string[], columns: Record<string, { name: string }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = row[k];
    out[columns[k]!.name] = v instanceof Date ? v.toISOString() : v instanceof Uint8Array ? `\\x${toHex(v)}` : v;
  }
  return out;
}
