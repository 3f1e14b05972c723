import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { executeSql, queryRows, type Db } from "../../db/client";

/**
 * The append benchmark's baseline: a copy of `decisions` (same columns, same indexes, same
 * monthly range partitioning) with none of the ledger around it: no triggers, no registry,
 * no chain, no Merkle nodes. Inserting the same rows into it in the same batches is what
 * storing the decisions costs at all; the ledger's overhead is measured against that.
 */
export async function createBaselineTable(db: Db, months: string[], table = "decisions_baseline"): Promise<void> {
  await executeSql(db, sql.raw(`drop table if exists ${table}`));
  await executeSql(db, sql.raw(`create table ${table} (like decisions including all) partition by range (recorded_at)`));
  for (const month of months) {
    const start = `${month}-01T00:00:00Z`;
    const d = new Date(start);
    const end = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString();
    await executeSql(db, sql.raw(`create table ${table}_${month.replace("-", "_")} partition of ${table} for values from ('${start}') to ('${end}')`));
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

/** The secondary (non-primary-key) indexes of a table, with their CREATE INDEX definitions. */
export async function secondaryIndexes(db: Db, table = "decisions"): Promise<{ name: string; def: string }[]> {
  return queryRows(
    db,
    sql`select i.relname as name, pg_get_indexdef(i.oid) as def from pg_index x
        join pg_class i on i.oid = x.indexrelid
        where x.indrelid = ${table}::regclass and not x.indisprimary
        order by i.relname`,
    z.object({ name: z.string(), def: z.string() }),
  );
}

/**
 * Drops the secondary (explorer) indexes of `decisions` (or of a copy of it) and returns
 * their definitions. Used to fill the big benchmark log faster: (b) and (c) read by seq and
 * by Merkle node, never through these indexes, and maintaining a dozen of them (one GIN) row
 * by row is most of what an insert costs.
 */
export async function dropSecondaryIndexes(db: Db, table = "decisions"): Promise<string[]> {
  const rows = await secondaryIndexes(db, table);
  for (const r of rows) await executeSql(db, sql.raw(`drop index if exists "${r.name}"`));
  return rows.map((r) => r.def);
}
