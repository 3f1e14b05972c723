/**
 * What each secondary index of `decisions` costs on insert. The same rows (read back from
 * `decisions`) are inserted into `decisions_ic`, a copy of the table (same columns, primary
 * key and monthly range partitions; no triggers, no ledger around it), under different sets
 * of the decisions indexes: none, all, and all but one for each index. An index's cost is
 * (all) − (all but it); (all) − (none) is what the indexes cost together.
 *
 * Inserts are one JSON parameter per 1,000 rows expanded by json_populate_recordset, the
 * statement lib/ledger-store/insert-json-rows.ts sends; the JSON is built before the timing,
 * so only the server's work is measured. Each statement is its own transaction (autocommit).
 * The copy starts empty for every run (truncated), so the figures are the cost of indexes
 * growing from 0 to `rows` entries: an index on random keys (ids, GIN) costs more once it no
 * longer fits in shared_buffers.
 */
import { sql } from "drizzle-orm";
import { z } from "zod";
import { executeSql, queryRows, type Db } from "../../db/client";
import { bigintColumn } from "../../db/rows/columns";
import { createBaselineTable, dropSecondaryIndexes, secondaryIndexes } from "./baseline-table";
import { percentile, timed } from "./stats";

const TABLE = "decisions_ic";
const CHUNK = 1000;

/** One index set to insert under: `without` names the one index left out of "all". */
export interface IndexSet {
  label: string;
  without: string | null;
  defs: string[];
}

/** One timed insert of all the rows under one index set. */
export interface InsertRun {
  set: IndexSet;
  /** Median over the run's 1,000-row statements, µs per row: a load spike on this shared machine moves a few statements, not the median. */
  usPerRow: number;
}

export interface InsertCostResult {
  rows: number;
  indexes: { name: string; def: string }[];
  /** Every run in run order. */
  runs: InsertRun[];
}

/** A decisions index definition rewritten onto the copy (own name: index names are per schema). */
export function onCopy(def: string): string {
  const m = /^CREATE (UNIQUE )?INDEX (\S+) ON (?:ONLY )?(\S+) (.*)$/.exec(def);
  if (!m) throw new Error(`unexpected index definition: ${def}`);
  return `CREATE ${m[1] ?? ""}INDEX ic_${m[2]} ON ${TABLE} ${m[4]}`;
}

/** The first `rows` decisions (seq order, whole chunks only) as JSON arrays of CHUNK rows, in the table's own row format. */
async function readChunks(db: Db, rows: number): Promise<string[]> {
  const chunks: string[] = [];
  let last = -1;
  for (let read = 0; read + CHUNK <= rows; read += CHUNK) {
    const r = await queryRows(
      db,
      sql`select json_agg(t)::text as j, max(t.seq) as last, count(*) as n
          from (select * from decisions where seq > ${last} order by seq limit ${CHUNK}) t`,
      z.object({ j: z.string().nullable(), last: bigintColumn.nullable(), n: bigintColumn }),
    );
    if (!r[0]?.j || r[0].last === null || r[0].n < CHUNK) break;
    chunks.push(r[0].j);
    last = r[0].last;
  }
  return chunks;
}

/** Empties the copy and gives it exactly the indexes of `set` (built on the empty table: instant). */
async function prepare(db: Db, set: IndexSet): Promise<void> {
  await executeSql(db, sql.raw(`truncate ${TABLE}`));
  await dropSecondaryIndexes(db, TABLE);
  for (const def of set.defs) await executeSql(db, sql.raw(onCopy(def)));
  // Every run starts from a clean WAL position, so no run pays for a checkpoint the previous one caused.
  await executeSql(db, sql.raw("checkpoint"));
}

/** Inserts every chunk (one statement each); returns the median µs per row over the statements. */
async function insertChunks(db: Db, chunks: string[]): Promise<number> {
  const perRow: number[] = [];
  for (const json of chunks) {
    const { ms } = await timed(() =>
      executeSql(db, sql`insert into ${sql.raw(TABLE)} select * from json_populate_recordset(null::${sql.raw(TABLE)}, ${json}::json)`),
    );
    perRow.push((ms * 1000) / CHUNK);
  }
  return percentile(perRow.sort((a, b) => a - b), 50);
}

/** The partitions of the copy: autovacuum off, so none starts on one run's rows during the next. */
async function quietPartitions(db: Db): Promise<void> {
  const parts = await queryRows(db, sql`select inhrelid::regclass::text as name from pg_inherits where inhparent = ${TABLE}::regclass`, z.object({ name: z.string() }));
  for (const p of parts) await executeSql(db, sql.raw(`alter table ${p.name} set (autovacuum_enabled = off)`));
}

/**
 * Inserts the first `rows` decisions under every index set, in two rounds. Each "all but one"
 * run is paired with a run of all the indexes right next to it (before it in the first round,
 * after it in the second, which also goes through the indexes in the opposite order), so
 * drift in the machine's load falls on both sides of each difference alike.
 */
export async function measureInsertCost(db: Db, rows: number, log: (text: string) => void): Promise<InsertCostResult> {
  const indexes = await secondaryIndexes(db, "decisions");
  const months = await queryRows(
    db,
    sql`select distinct to_char(recorded_at at time zone 'UTC', 'YYYY-MM') as m from (select recorded_at from decisions order by seq limit ${rows}) t`,
    z.object({ m: z.string() }),
  );
  await createBaselineTable(db, months.map((m) => m.m), TABLE);
  await quietPartitions(db);
  const chunks = await readChunks(db, rows);
  const none: IndexSet = { label: "no secondary index", without: null, defs: [] };
  const all: IndexSet = { label: `all ${indexes.length}`, without: null, defs: indexes.map((i) => i.def) };
  const butOne = indexes.map((i): IndexSet => ({ label: `all but ${i.name}`, without: i.name, defs: indexes.filter((o) => o !== i).map((o) => o.def) }));
  const order = [
    [none, ...butOne.flatMap((b) => [all, b])],
    [...[...butOne].reverse().flatMap((b) => [b, all]), none],
  ];
  const runs: InsertRun[] = [];
  for (const [round, sets] of order.entries()) {
    for (const set of sets) {
      await prepare(db, set);
      const usPerRow = await insertChunks(db, chunks);
      runs.push({ set, usPerRow });
      log(`    round ${round + 1}: ${set.label.padEnd(44)} ${usPerRow.toFixed(1).padStart(7)} µs/row`);
    }
  }
  await executeSql(db, sql.raw(`drop table ${TABLE}`));
  return { rows: chunks.length * CHUNK, indexes, runs };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** An index's cost per row: mean over the pairs of (all) − (all but it), with the two pairs' differences. */
export function indexCost(result: InsertCostResult, name: string): { us: number; pairs: number[] } {
  const pairs: number[] = [];
  result.runs.forEach((r, i) => {
    if (r.set.without !== name) return;
    // Its paired run of all the indexes: just before it in round 1, just after it in round 2.
    const partner = [result.runs[i - 1], result.runs[i + 1]].find((p) => p && p.set.without === null && p.set.defs.length > 0)!;
    pairs.push(partner.usPerRow - r.usPerRow);
  });
  return { us: mean(pairs), pairs };
}

/** Mean µs per row of the runs without any secondary index (`"none"`) or with all of them (`"all"`). */
export function setMean(result: InsertCostResult, which: "none" | "all"): { mean: number; runs: number[] } {
  const runs = result.runs.filter((r) => r.set.without === null && (which === "none") === (r.set.defs.length === 0)).map((r) => r.usPerRow);
  return { mean: mean(runs), runs };
}
