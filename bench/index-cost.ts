/**
 * Index cost benchmark: `npm run bench:index-cost` (issue 11: keep only indexes a benchmarked
 * query uses; measure each index's cost).
 *
 * Creates its own database on the Postgres server (dropped at the end), fills `decisions`
 * through appendDecisions (batches of 1,000, the demo statements in runs of 100,000 over 90
 * days with seeds 1..n, as bench:explorer seeds), VACUUM ANALYZE, then:
 *
 *  1. plans: every query function of the explorer (listDecisions, countDecisions and its row
 *     path, histogramDecisions through the counts and through the rows, getDecision,
 *     listRelatedDecisions, listDecisionFilterOptions, the person search through
 *     personal_data_lookups) over the filter cases of bench:explorer, and appendDecisions'
 *     lookup of stored ids (readExisting); each statement they send is EXPLAINed (FORMAT
 *     JSON) as it goes out (bench/support/index-plans.ts) and the indexes in its plan listed;
 *  2. insert cost: the first INDEX_BENCH_INSERT_ROWS rows inserted into a copy of the table
 *     under no secondary index, all of them, and all but one for each index, each "all but
 *     one" run next to a run of all, in two rounds of opposite order
 *     (bench/support/index-insert-cost.ts); cost of an index = (all) − (all but it), µs/row.
 *
 * Prints a Markdown report (index → size → cost → queries that use it, then each query's
 * indexes per case).
 *
 *   BENCH_DATABASE_URL       server (default TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/postgres)
 *   INDEX_BENCH_ROWS         decisions appended (default 200000)
 *   INDEX_BENCH_INSERT_ROWS  rows inserted per run (default 25000)
 *   INDEX_BENCH_KEEP=1       keep the database (name printed); INDEX_BENCH_DB=<name> reuses one (no fill)
 */
import { randomUUID } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { executeSql, queryRows, type Database, type Db } from "../db/client";
import { bigintColumn } from "../db/rows/columns";
import {
  countDecisionRows,
  countDecisions,
  getDecision,
  histogramDecisions,
  listDecisionFilterOptions,
  listDecisions,
  listRelatedDecisions,
} from "../db/queries/decisions";
import { generateDemoStatements } from "../lib/demo/generate-demo-statements";
import { noDecisionFilters, type DecisionFilters } from "../lib/filters/decision-filters";
import { appendDecisions } from "../lib/ledger-store/append-decisions";
import { createBenchDatabase } from "./support/bench-db";
import { explorerAggregateCases, explorerPageCases, pickFilterValues } from "./support/explorer-cases";
import { indexCost, measureInsertCost, setMean, type InsertCostResult } from "./support/index-insert-cost";
import { compareIdLookups, type IdLookupForm } from "./support/id-lookups";
import { explainCalls, parentNames, type ExplainedQuery } from "./support/index-plans";
import { markdownTable, timed } from "./support/stats";
import { newPersonalDataKeys } from "../tests/support/personal-data-keys";

const BENCH_KEYS = newPersonalDataKeys();
const ROWS = Number(process.env.INDEX_BENCH_ROWS ?? 200_000);
// 25,000 rather than 50,000: 58 runs must fit the ~10 minute budget on this loaded 2-core machine.
const INSERT_ROWS = Number(process.env.INDEX_BENCH_INSERT_ROWS ?? 25_000);
const GENERATOR_RUN = 100_000;
const BATCH = 1000;
const DAYS = 90;
const WRITER = { name: "bench-index-cost" };

const log = (text: string) => process.stderr.write(`[bench:index-cost] ${text}\n`);
const load = () => loadavg().map((x) => x.toFixed(2)).join(" / ");

async function fill(db: Db, now: Date): Promise<number> {
  const { ms } = await timed(async () => {
    for (let written = 0, run = 0; written < ROWS; run++) {
      const statements = generateDemoStatements({ count: Math.min(GENERATOR_RUN, ROWS - written), now, days: DAYS, seed: run + 1 });
      for (let i = 0; i < statements.length; i += BATCH) await appendDecisions(db, BENCH_KEYS, statements.slice(i, i + BATCH), WRITER, now);
      written += statements.length;
      log(`    ${written.toLocaleString("en")} appended`);
    }
  });
  return ms / 1000;
}

/** The aggregate query functions (count, its row path, histogram through the counts and through the rows) for one filter case. */
function aggregateCalls(caseName: string, filters: DecisionFilters, now: Date): [string, string, (db: Db) => Promise<unknown>][] {
  return [
    ["countDecisions", caseName, (db) => countDecisions(db, filters)],
    ["countDecisionRows", caseName, (db) => countDecisionRows(db, filters)],
    ["histogramDecisions", caseName, (db) => histogramDecisions(db, filters, now)],
    ["histogramDecisions (rows)", caseName, (db) => histogramDecisions(db, filters, now, { useCounts: false })],
  ];
}

/** Every benchmarked query function with its arguments: [function, case, call]. */
async function benchmarkedCalls(database: Database, now: Date): Promise<[string, string, (db: Db) => Promise<unknown>][]> {
  const db = database.db;
  const picks = await pickFilterValues(database, now);
  const pages = await explorerPageCases(database, now, picks, (name) => log(`skipped "${name}": too few rows`));
  const calls: [string, string, (db: Db) => Promise<unknown>][] = [];
  for (const c of pages) {
    calls.push(["listDecisions", c.name, (h) => listDecisions(h, { ...c.params, limit: 50 })]);
    calls.push(...aggregateCalls(c.name, c.params.filters, now));
  }
  for (const [name, filters] of explorerAggregateCases(now)) calls.push(...aggregateCalls(name, filters, now));
  const one = (
    await queryRows(
      db,
      sql`select id, entity_type, entity_id, session_id from decisions where entity_id is not null and session_id is not null order by seq desc offset 100 limit 1`,
      z.object({ id: z.string(), entity_type: z.string().nullable(), entity_id: z.string(), session_id: z.string() }),
    )
  )[0]!;
  calls.push(["getDecision", "one decision by id", (h) => getDecision(h, one.id)]);
  calls.push(["listRelatedDecisions", "same entity, same session", (h) => listRelatedDecisions(h, { id: one.id, entityType: one.entity_type, entityId: one.entity_id, sessionId: one.session_id })]);
  calls.push(["listDecisionFilterOptions", "filter options", (h) => listDecisionFilterOptions(h)]);
  const person = (await queryRows(db, sql`select blind_index from personal_data_lookups order by seq desc offset 100 limit 1`, z.object({ blind_index: z.string() })))[0];
  if (person) {
    const filters = { ...noDecisionFilters(), personalIdentifierIndexes: [person.blind_index] };
    calls.push(["listDecisions", "person search (personal_data_lookups)", (h) => listDecisions(h, { filters, sort: { key: "occurredAt", direction: "desc" }, limit: 50 })]);
    calls.push(...aggregateCalls("person search (personal_data_lookups)", filters, now));
  }
  // readExisting runs inside the append's sequencing transaction: a real batch of 1,000 new records.
  const batch = generateDemoStatements({ count: BATCH, now, days: DAYS, seed: 999 }).map((s) => ({ ...s, id: randomUUID() }));
  calls.push(["appendDecisions (readExisting)", "batch of 1,000 ids", (h) => appendDecisions(h, BENCH_KEYS, batch, WRITER, now)]);
  return calls;
}

async function explainAll(database: Database, now: Date, parents: Map<string, string>): Promise<ExplainedQuery[]> {
  const out: ExplainedQuery[] = [];
  for (const [query, caseName, run] of await benchmarkedCalls(database, now)) out.push(...(await explainCalls(database.db, parents, { query, caseName }, run)));
  return out;
}

/** Bytes of each decisions index summed over its partitions. */
async function indexSizes(db: Db): Promise<Map<string, number>> {
  const rows = await queryRows(
    db,
    sql`select p.relname as name, sum(pg_relation_size(i.inhrelid)) as bytes from pg_inherits i join pg_class p on p.oid = i.inhparent
        where p.relkind = 'I' and i.inhparent in (select indexrelid from pg_index where indrelid = 'decisions'::regclass) group by p.relname`,
    z.object({ name: z.string(), bytes: bigintColumn }),
  );
  return new Map(rows.map((r) => [r.name, r.bytes]));
}

/** "listDecisions 12/39, countDecisionRows 3/61" for one index: per query function, the cases whose plan uses it. */
function usedBy(index: string, explained: ExplainedQuery[]): string {
  const byQuery = new Map<string, { used: Set<string>; all: Set<string> }>();
  for (const e of explained) {
    const q = byQuery.get(e.query) ?? { used: new Set(), all: new Set() };
    q.all.add(e.caseName);
    if (e.indexes.includes(index)) q.used.add(e.caseName);
    byQuery.set(e.query, q);
  }
  const parts = [...byQuery].filter(([, q]) => q.used.size > 0).map(([name, q]) => `${name} ${q.used.size}/${q.all.size}`);
  return parts.length > 0 ? parts.join(", ") : "**none**";
}

interface Report {
  rows: number;
  fillSeconds: number | null;
  loadBefore: string;
  cost: InsertCostResult;
  explained: ExplainedQuery[];
  sizes: Map<string, number>;
  idLookups: IdLookupForm[];
}

function report(r: Report): string {
  const { cost, explained } = r;
  const none = setMean(cost, "none");
  const all = setMean(cost, "all");
  const mb = (b: number | undefined) => (b === undefined ? "–" : (b / 1048576).toFixed(1));
  const indexRows = cost.indexes.map((i) => {
    const c = indexCost(cost, i.name);
    return [i.name, mb(r.sizes.get(i.name)), c.us.toFixed(1), c.pairs.map((p) => p.toFixed(1)).join(", "), usedBy(i.name, explained)];
  });
  const sum = cost.indexes.reduce((s, i) => s + indexCost(cost, i.name).us, 0);
  const others = [...new Set(explained.flatMap((e) => e.indexes))].filter((i) => !cost.indexes.some((d) => d.name === i)).sort();
  // The count tables are small and read whole on purpose; a Seq Scan elsewhere is news.
  const bigSeqScans = (e: ExplainedQuery) => e.seqScans.filter((t) => !t.startsWith("decision_counts_"));
  const seq = explained.filter((e) => bigSeqScans(e).length > 0);
  const lines = [
    `${r.rows.toLocaleString("en")} decisions${r.fillSeconds === null ? "" : `, appended in ${r.fillSeconds.toFixed(0)} s`}; ${cpus().length} CPUs; load average (1/5/15 min) ${r.loadBefore} before, ${load()} after.`,
    `Insert: ${cost.rows.toLocaleString("en")} rows per run into an empty copy of \`decisions\`, one json_populate_recordset statement per 1,000 rows; µs/row = median over a run's statements; ` +
      `each "all but one" run paired with an adjacent run of all the indexes, two rounds in opposite orders.`,
    "",
    `No secondary index: ${none.mean.toFixed(1)} µs/row (runs ${none.runs.map((x) => x.toFixed(1)).join(", ")}); all ${cost.indexes.length}: ${all.mean.toFixed(1)} µs/row ` +
      `(${all.runs.length} runs, ${Math.min(...all.runs).toFixed(1)} … ${Math.max(...all.runs).toFixed(1)}); ` +
      `the indexes together: ${(all.mean - none.mean).toFixed(1)} µs/row (${((all.mean / none.mean - 1) * 100).toFixed(0)}% on top of the bare insert); sum of the per-index costs: ${sum.toFixed(1)} µs/row.`,
    "",
    markdownTable(["Index", "MB", "Cost µs/row", "The two pairs", "Used by (function: cases whose plan uses it / cases)"], indexRows),
    "",
    `Other indexes in the plans: ${others.join(", ") || "none"}.`,
    `Plans with a Seq Scan: ${seq.length === 0 ? "none" : seq.map((e) => `${e.query} / ${e.caseName} (${bigSeqScans(e).join(", ")})`).join("; ")} (the count tables' own Seq Scans not listed).`,
    "",
    "Lookups by id, today and through log_entries (p50 / p95 ms):",
    "",
    markdownTable(
      ["Form", "p50 ms", "p95 ms", "Indexes in the plan"],
      r.idLookups.map((f) => [f.name, f.p50.toFixed(2), f.p95.toFixed(2), f.indexes.join(", ") + (f.seqScans.length > 0 ? ` (Seq Scan: ${f.seqScans.join(", ")})` : "")]),
    ),
    "",
    markdownTable(["Function", "Case", "Indexes in the plan"], explained.map((e) => [e.query, e.caseName, e.indexes.join(", ") + (e.seqScans.length > 0 ? ` (Seq Scan: ${e.seqScans.join(", ")})` : "")])),
  ];
  return lines.join("\n");
}

async function main(): Promise<void> {
  const reuse = process.env.INDEX_BENCH_DB;
  const bench = await createBenchDatabase("dl_bench_index_cost", { reuse, keep: process.env.INDEX_BENCH_KEEP === "1" });
  try {
    const loadBefore = load();
    let fillSeconds: number | null = null;
    let now: Date;
    if (!reuse) {
      now = new Date();
      log(`database ${bench.name}: appending ${ROWS.toLocaleString("en")} decisions in batches of ${BATCH} (load ${loadBefore})...`);
      fillSeconds = await fill(bench.db, now);
    } else {
      const hi = (await queryRows(bench.db, sql`select max(occurred_at)::text as hi from decisions`, z.object({ hi: z.string() })))[0]!.hi;
      now = new Date(new Date(hi).getTime() + 1000);
    }
    await executeSql(bench.db, sql.raw("vacuum analyze"));
    const rows = (await queryRows(bench.db, sql`select count(*) as n from decisions`, z.object({ n: bigintColumn })))[0]!.n;
    log("explaining the benchmarked queries...");
    const parents = await parentNames(bench.db);
    const explained = await explainAll(bench, now, parents);
    const idLookups = await compareIdLookups(bench.db, parents);
    const sizes = await indexSizes(bench.db);
    log(`insert cost: ${INSERT_ROWS.toLocaleString("en")} rows per index set (load ${load()})...`);
    const cost = await measureInsertCost(bench.db, INSERT_ROWS, log);
    process.stdout.write(`\n${report({ rows, fillSeconds, loadBefore, cost, explained, sizes, idLookups })}\n`);
  } finally {
    await bench.drop();
    log(process.env.INDEX_BENCH_KEEP === "1" || reuse ? `kept database ${bench.name}` : `dropped database ${bench.name}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
