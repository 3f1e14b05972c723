import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { executeSql, queryRows, type Db } from "../../db/client";

/**
 * The append benchmark's baseline: a copy of `decisions` (same columns, same indexes, same
 * monthly range partitioning) with none of the ledger around it: no triggers, no registry,
 * no chain, no Merkle nodes. Inserting the same rows into it in the same batches is what
 * storing the decisions costs at all; the ledger's overhead is measured against that.
 */
export async function createBaselineTable(db: Db, months: string[]): Promise<void> {
  await executeSql(db, sql.raw(`drop table if exists decisions_baseline`));
  await executeSql(db, sql.raw(`create table decisions_baseline (like decisions including all) partition by range (recorded_at)`));
  for (const month of months) {
    const start = `${month}-01T00:00:00Z`;
    const d = new Date(start);
    const end = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString();
    await executeSql(db, sql.raw(`create table decisions_baseline_${month.replace("-", "_")} partition of decisions_baseline for values from ('${start}') to ('${end}')`));
  }
}

/** Column list of `decisions`, in table order. */
export async function decisionColumns(db: Db): Promise<string[]> {
  const rows = await queryRows(
    db,
    sql`select column_name from information_schema.columns where table_name = 'decisions' and table_schema = current_schema() order by ordinal_position`,
    z.object({ column_name: z.string() }),
  );
  return rows.map((r) => r.column_name);
}

/** Every decision row as text values (read back after the ledger run: exactly the rows it stored). */
export async function readDecisionRows(db: Db, columns: string[]): Promise<(string | null)[][]> {
  const list = columns.map((c) => `"${c}"::text`).join(", ");
  // Every column is cast to text, so each value is a string or null.
  const rows = await queryRows(db, sql.raw(`select ${list} from decisions order by seq`), z.record(z.string(), z.string().nullable()));
  return rows.map((r) => Object.values(r));
}

/** A multi-row INSERT with one parameter per value, as drizzle's insert().values() sends it. */
export function insertStatement(table: string, columns: string[], types: string[], rows: (string | null)[][]): SQL {
  const values = sql.join(
    rows.map((r) => sql`(${sql.join(r.map((v, i) => sql`${v}::${sql.raw(types[i]!)}`), sql`, `)})`),
    sql`, `,
  );
  return sql`insert into ${sql.raw(table)} (${sql.raw(columns.map((c) => `"${c}"`).join(", "))}) values ${values}`;
}

export async function columnTypes(db: Db, columns: string[]): Promise<string[]> {
  const rows = await queryRows(
    db,
    sql`select a.attname as column_name, format_type(a.atttypid, a.atttypmod) as t from pg_attribute a
        where a.attrelid = 'decisions'::regclass and a.attnum > 0 and not a.attisdropped`,
    z.object({ column_name: z.string(), t: z.string() }),
  );
  const byName = new Map(rows.map((r) => [r.column_name, r.t]));
  return columns.map((c) => byName.get(c)!);
}

/**
 * Drops the secondary (explorer) indexes of `decisions` and returns their definitions.
 * Used only to fill the big benchmark log faster: (b) and (c) read by seq and by Merkle
 * node, never through these indexes, and maintaining a dozen of them (one GIN) row by row
 * is most of what an insert costs.
 */
export async function dropSecondaryIndexes(db: Db): Promise<string[]> {
  const rows = await queryRows(
    db,
    sql`select i.relname as name, pg_get_indexdef(i.oid) as def from pg_index x
        join pg_class i on i.oid = x.indexrelid
        where x.indrelid = 'decisions'::regclass and not x.indisprimary`,
    z.object({ name: z.string(), def: z.string() }),
  );
  for (const r of rows) await executeSql(db, sql.raw(`drop index if exists "${r.name}"`));
  return rows.map((r) => r.def);
}
