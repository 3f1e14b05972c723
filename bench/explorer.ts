/**
 * Decision explorer benchmark: `npm run bench:explorer`.
 *
 * Seeds EXPLORER_BENCH_ROWS (default 1,000,000) demo decisions into a fresh database on the
 * Postgres server (created here and dropped at the end), written through appendDecisions in
 * batches of 1,000 — the real append path, so every record is validated, canonicalised,
 * hashed, chained and Merkle-noded exactly as in production. Then times the query functions
 * of db/queries/decisions.ts over a matrix of filter combinations and prints, for each, the
 * p50/p95 of the page query (newest 50), the p95 of the count, and the top of the EXPLAIN
 * ANALYZE plan with the indexes it used. Then the aggregates: count and histogram for
 * windows of 24 h, 7 d, 90 d and the whole ledger under several filters, each through the
 * decision counts (rollups) and through the row path in the same run, and the size of the
 * count tables.
 *
 *   BENCH_DATABASE_URL   server to use (default TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/postgres)
 *   EXPLORER_BENCH_ROWS  number of decisions (default 1000000; 10000000 for the 10M run)
 *   EXPLORER_BENCH_DAYS  days the decisions span (default 90; 365 gives a year, the 10M shape)
 *   EXPLORER_BENCH_RUNS  timed runs per case (default 25, after 3 warm-up runs)
 *   EXPLORER_BENCH_KEEP  "1": keep the database (its name is printed) for later runs
 *   EXPLORER_BENCH_DB    reuse an existing (seeded) database by name instead of seeding
 *   EXPLORER_BENCH_SEED_ONLY  "1": seed (and keep) the database, then stop before the timings
 *   EXPLORER_BENCH_OUT   write the markdown report to this file as well
 *   EXPLORER_BENCH_PAGE_URL  base URL of a dashboard server running against the same database
 *                        (e.g. DATABASE_URL=<printed url> npx next start): then /decisions is also
 *                        timed over HTTP, signed in as a compliance officer the bench creates
 *
 * Data: the demo generator (lib/demo/generate-demo-statements.ts) in runs of 100,000
 * statements over the same 90 days with seeds 1..n (one run of 1M would not fit in the
 * default Node heap). Sequential ids of loan applications and ED encounters restart in every
 * run, so those entities carry ~10× the decisions of the demo: a harder case for the entity
 * filter, not an easier one.
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { executeSql, queryRows, type Database } from "../db/client";
import { bigintColumn } from "../db/rows/columns";
import {
  countDecisionRows,
  countDecisions,
  countDecisionsSql,
  histogramDecisions,
  listDecisionFilterOptions,
  listDecisions,
  listDecisionsSql,
} from "../db/queries/decisions";
import { generateDemoStatements } from "../lib/demo/generate-demo-statements";
import { createUser } from "../lib/services/users";
import { appendDecisions } from "../lib/ledger-store/append-decisions";
import { createBenchDatabase, type BenchDatabase } from "./support/bench-db";
import { explorerAggregateCases, explorerPageCases, pickFilterValues, type ExplorerCase } from "./support/explorer-cases";
import { percentile } from "./support/stats";
import { newPersonalDataKeys } from "../tests/support/personal-data-keys";

const BENCH_KEYS = newPersonalDataKeys();

const ROWS = Number(process.env.EXPLORER_BENCH_ROWS ?? 1_000_000);
const RUNS = Number(process.env.EXPLORER_BENCH_RUNS ?? 25);
const WARMUP = 3;
const SEED_ONLY = process.env.EXPLORER_BENCH_SEED_ONLY === "1";
const GENERATOR_RUN = 100_000;
const BATCH = 1000;
const TARGET_P95_MS = 50;
const DAY = 86_400_000;
/** Days the generated decisions span (every generator run covers all of them). */
const DAYS = Number(process.env.EXPLORER_BENCH_DAYS ?? 90);


function log(message: string): void {
  process.stdout.write(`[bench:explorer] ${message}\n`);
}

async function seed(database: Database, now: Date): Promise<{ seconds: number; rowsPerSecond: number }> {
  const started = performance.now();
  let written = 0;
  for (let run = 0; written < ROWS; run++) {
    const count = Math.min(GENERATOR_RUN, ROWS - written);
    const statements = generateDemoStatements({ count, now, days: DAYS, seed: run + 1 });
    for (let i = 0; i < statements.length; i += BATCH) {
      await appendDecisions(database.db, BENCH_KEYS, statements.slice(i, i + BATCH), { name: "bench-explorer" }, now);
      written += Math.min(BATCH, statements.length - i);
      if (written % 50_000 === 0 || written === ROWS) {
        const s = (performance.now() - started) / 1000;
        log(`seeded ${written.toLocaleString("en")} / ${ROWS.toLocaleString("en")} (${Math.round(written / s).toLocaleString("en")} rows/s)`);
      }
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return { seconds, rowsPerSecond: written / seconds };
}

async function time(fn: () => Promise<unknown>): Promise<{ p50: number; p95: number; max: number }> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), max: samples[samples.length - 1]! };
}

interface PlanSummary {
  top: string;
  indexes: string[];
  seqScan: boolean;
}

/** EXPLAIN ANALYZE of a query: its top node, the indexes used, and whether any node is a Seq Scan. */
async function explain(database: Database, query: SQL): Promise<PlanSummary> {
  const rows = await queryRows(database.db, sql`explain (analyze, costs off, timing off) ${query}`, z.object({ "QUERY PLAN": z.string() }));
  const lines = rows.map((r) => r["QUERY PLAN"]);
  const nodes = lines.map((l) => l.replace(/^\s*(->\s*)?/, "")).filter((l) => /^[A-Z]/.test(l) && !/^(Planning|Execution)/.test(l));
  const indexes = [...new Set(lines.flatMap((l) => [...l.matchAll(/(?:using|on) (decisions_\w+_idx|decisions_\w+_pkey)/g)].map((m) => m[1]!.replace(/^decisions_\d{4}_\d{2}_/, "decisions_"))))];
  const top = (nodes[0] ?? "").replace(/\s*\(actual.*$/, "");
  const firstScan = nodes.find((n) => /Scan/.test(n))?.replace(/\s*\(actual.*$/, "") ?? "";
  return { top: firstScan && firstScan !== top ? `${top} → ${firstScan}` : top, indexes, seqScan: lines.some((l) => /Seq Scan/.test(l)) };
}

type Case = ExplorerCase;

interface Result {
  c: Case;
  rows: number;
  list: { p50: number; p95: number; max: number };
  count?: { p95: number; value: string };
  plan: PlanSummary;
}

/** Signs in through next-auth's credentials endpoints and returns the session cookie header. */
async function signIn(base: string, email: string, password: string): Promise<string> {
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair!.indexOf("=");
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const csrfRes = await fetch(`${base}/api/auth/csrf`);
  keep(csrfRes);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const res = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookie() },
    body: new URLSearchParams({ csrfToken, email, password, json: "true" }),
  });
  keep(res);
  if (![...jar.keys()].some((k) => k.includes("session-token"))) throw new Error(`sign-in to ${base} failed (${res.status})`);
  return cookie();
}

/** Server response time of the whole /decisions page (guard, access log, queries, render). */
async function timePages(database: Database, base: string, cases: [string, string][]): Promise<{ name: string; p50: number; p95: number }[]> {
  const email = `bench-${Date.now().toString(36)}@bench.example.test`;
  const { generatedPassword } = await createUser(database.db, {
    email,
    name: "Explorer Bench",
    role: "compliance_officer",
    actor: { email: "bench:explorer", role: "admin" },
  });
  const cookie = await signIn(base, email, generatedPassword!);
  const out: { name: string; p50: number; p95: number }[] = [];
  for (const [name, query] of cases) {
    const t = await time(async () => {
      const res = await fetch(`${base}/decisions${query}`, { headers: { cookie } });
      if (res.status !== 200) throw new Error(`GET /decisions${query} answered ${res.status}`);
      await res.text();
    });
    out.push({ name: `${name} (\`/decisions${query}\`)`, p50: t.p50, p95: t.p95 });
    log(`page ${name.padEnd(50)} p50 ${t.p50.toFixed(1)} ms  p95 ${t.p95.toFixed(1)} ms`);
  }
  return out;
}

/** The data the cases run on, seeded here or found in a reused database. */
interface BenchData {
  version: string;
  seedLine: string;
  now: Date;
  total: number;
  size: string;
}


async function main(): Promise<void> {
  const reuse = process.env.EXPLORER_BENCH_DB;
  const keep = process.env.EXPLORER_BENCH_KEEP === "1" || SEED_ONLY || Boolean(reuse);
  const database = await createBenchDatabase("dl_bench_explorer", { reuse, keep });
  try {
    const data = await prepareData(database, Boolean(reuse));
    if (SEED_ONLY) return;
    const picks = await pickFilterValues(database, data.now);
    const cases = await explorerPageCases(database, data.now, picks, (label) => log(`skipped "${label}": too few matching rows for its deep page`));
    const loadBefore = loadavg()[0]!;
    const results = await timeCases(database, cases);
    const countPlans = await explainCounts(database, cases);
    const aggregates = await timeAggregates(database, data.now);
    const countTables = await countTableFigures(database);
    const options = await time(() => listDecisionFilterOptions(database.db));
    log(`filter options (loose index scans) p50 ${options.p50.toFixed(1)} ms  p95 ${options.p95.toFixed(1)} ms`);
    const pageBase = process.env.EXPLORER_BENCH_PAGE_URL?.replace(/\/$/, "");
    const pages = pageBase
      ? await timePages(database, pageBase, [
          ["default view (last 7 days)", ""],
          ["denials by 3.2.0 in the last 7 days", "?verb=denied&version=3.2.0"],
          ["the reviewer's question (case + 3.2.0 + denied)", `?verb=denied&version=3.2.0&entity=${encodeURIComponent(picks.entityId)}`],
          ["free text, last 30 days", "?range=30d&q=debt%20income"],
          ["last 90 days, sorted by confidence", "?range=90d&sort=confidence"],
        ])
      : [];
    const text = formatReport({ data, loadBefore, results, countPlans, aggregates, countTables, options, pages });
    process.stdout.write("\n" + text + "\n");
    if (process.env.EXPLORER_BENCH_OUT) writeFileSync(process.env.EXPLORER_BENCH_OUT, text + "\n");
  } finally {
    await database.drop();
    if (keep) log(`kept database ${database.name} (EXPLORER_BENCH_DB=${database.name} reuses it; drop it with: dropdb ${database.name})`);
    else log(`dropped database ${database.name}`);
  }
}

/** Seeds the decisions (unless the database is reused) and describes what is there. */
async function prepareData(database: BenchDatabase, reused: boolean): Promise<BenchData> {
  const version = (await queryRows(database.db, sql`select version() as v`, z.object({ v: z.string() })))[0]?.v ?? "";
  let seedLine = "";
  let now: Date;
  if (!reused) {
    now = new Date();
    log(`seeding ${ROWS.toLocaleString("en")} decisions into ${database.name} ...`);
    const s = await seed(database, now);
    seedLine = `Seeded ${ROWS.toLocaleString("en")} decisions through appendDecisions (batches of ${BATCH}) in ${s.seconds.toFixed(0)} s (${Math.round(s.rowsPerSecond).toLocaleString("en")} rows/s).`;
    log(seedLine);
    log("vacuum analyze (what autovacuum does on its own after a bulk insert) ...");
    await executeSql(database.db, sql`vacuum analyze decisions`);
    await executeSql(database.db, sql`vacuum analyze log_entries`);
    await executeSql(database.db, sql`vacuum analyze decision_counts_hourly, decision_counts_daily`);
  } else {
    const r = await queryRows(database.db, sql`select max(occurred_at)::text as hi from decisions`, z.object({ hi: z.string() }));
    now = new Date(new Date(r[0]!.hi).getTime() + 1000);
  }
  const total = (await queryRows(database.db, sql`select count(*) as n from decisions`, z.object({ n: bigintColumn })))[0]!.n;
  const size = (await queryRows(database.db, sql`select pg_size_pretty(pg_database_size(current_database())) as s`, z.object({ s: z.string() })))[0]!.s;
  log(`${total.toLocaleString("en")} decisions, database size ${size}`);
  return { version, seedLine, now, total, size };
}

async function timeCases(database: Database, cases: Case[]): Promise<Result[]> {
  const results: Result[] = [];
  for (const c of cases) {
    const params = { ...c.params, limit: 50 };
    const first = await listDecisions(database.db, params);
    const list = await time(() => listDecisions(database.db, params));
    const countTiming = await time(() => countDecisions(database.db, params.filters));
    const cnt = await countDecisions(database.db, params.filters);
    const plan = await explain(database, listDecisionsSql(params));
    const r: Result = {
      c,
      rows: first.rows.length,
      list,
      count: { p95: countTiming.p95, value: cnt.capped ? `> ${cnt.count.toLocaleString("en")}` : cnt.count.toLocaleString("en") },
      plan,
    };
    results.push(r);
    log(
      `${c.name.padEnd(72)} p50 ${list.p50.toFixed(1).padStart(6)} ms  p95 ${list.p95.toFixed(1).padStart(6)} ms  count p95 ${countTiming.p95.toFixed(1).padStart(6)} ms (${r.count!.value})  ${plan.top}${plan.seqScan ? "  SEQ SCAN" : ""}`,
    );
  }
  return results;
}

/** Count plans for the record (the count reads at most 10,001 index entries). */
async function explainCounts(database: Database, cases: Case[]): Promise<{ name: string; plan: PlanSummary }[]> {
  const countPlans: { name: string; plan: PlanSummary }[] = [];
  for (const c of cases.filter((x) => ["baseline", "text", "all"].includes(x.group) || x.name.startsWith("confidence ≤"))) {
    countPlans.push({ name: c.name, plan: await explain(database, countDecisionsSql(c.params.filters)) });
  }
  return countPlans;
}

type Timing = { p50: number; p95: number; max: number };

/** One window × filter case of the aggregates: each read through the decision counts and through the rows. */
interface AggregateResult {
  name: string;
  bucketMs: number | null;
  count: Timing & { value: string };
  countRows: Timing & { value: string };
  histogram: Timing;
  histogramRows: Timing;
}

const countText = (c: { count: number; capped: boolean }) => (c.capped ? `> ${c.count.toLocaleString("en")}` : c.count.toLocaleString("en"));

/**
 * Count and histogram for windows of 24 h, 7 d, 90 d and the whole ledger under several
 * filter combinations, each through the decision counts (the default path) and through the
 * row path (countDecisionRows, histogramDecisions useCounts: false) in the same run.
 */
async function timeAggregates(database: Database, now: Date): Promise<AggregateResult[]> {
  const cases = explorerAggregateCases(now);
  const out: AggregateResult[] = [];
  for (const [name, filters] of cases) {
    const count = await time(() => countDecisions(database.db, filters));
    const countRows = await time(() => countDecisionRows(database.db, filters));
    const histogram = await time(() => histogramDecisions(database.db, filters, now));
    const histogramRows = await time(() => histogramDecisions(database.db, filters, now, { useCounts: false }));
    const h = await histogramDecisions(database.db, filters, now);
    const r: AggregateResult = {
      name,
      bucketMs: h?.bucketMs ?? null,
      count: { ...count, value: countText(await countDecisions(database.db, filters)) },
      countRows: { ...countRows, value: countText(await countDecisionRows(database.db, filters)) },
      histogram,
      histogramRows,
    };
    out.push(r);
    log(
      `${name.padEnd(72)} count p95 ${count.p95.toFixed(1).padStart(6)} (rows ${countRows.p95.toFixed(1).padStart(6)}) ms  ` +
        `histogram p95 ${histogram.p95.toFixed(1).padStart(6)} (rows ${histogramRows.p95.toFixed(1).padStart(6)}) ms  ${r.count.value}`,
    );
  }
  return out;
}

/** Size of the two count tables and the cost of reading each whole (what a whole-ledger histogram would read from it). */
interface CountTableFigures {
  hourlyRows: number;
  dailyRows: number;
  hourlyRead: Timing;
  dailyRead: Timing;
}

async function countTableFigures(database: Database): Promise<CountTableFigures> {
  const size = async (table: string) => (await queryRows(database.db, sql`select count(*) as n from ${sql.raw(table)}`, z.object({ n: bigintColumn })))[0]!.n;
  const read = (table: string) =>
    time(() => queryRows(database.db, sql`select date_bin('1 day', bucket, '1970-01-01Z'), actor_type, sum(n) from ${sql.raw(table)} group by 1, 2`, z.object({})));
  const f = { hourlyRows: await size("decision_counts_hourly"), dailyRows: await size("decision_counts_daily"), hourlyRead: await read("decision_counts_hourly"), dailyRead: await read("decision_counts_daily") };
  log(`count tables: hourly ${f.hourlyRows} rows (whole read p95 ${f.hourlyRead.p95.toFixed(1)} ms), daily ${f.dailyRows} rows (p95 ${f.dailyRead.p95.toFixed(1)} ms)`);
  return f;
}

function formatReport(r: {
  data: BenchData;
  loadBefore: number;
  results: Result[];
  countPlans: { name: string; plan: PlanSummary }[];
  aggregates: AggregateResult[];
  countTables: CountTableFigures;
  options: { p50: number; p95: number };
  pages: { name: string; p50: number; p95: number }[];
}): string {
  const { data, results } = r;
  const report: string[] = [];
  const baseline = results[0]!;
  const worst = [...results].sort((a, b) => b.list.p95 - a.list.p95)[0]!;
  const over = results.filter((x) => x.list.p95 > TARGET_P95_MS);
  const seqScans = results.filter((x) => x.plan.seqScan);
  report.push(
    `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${data.version.split(" on ")[0]} (default server settings), ${data.total.toLocaleString("en")} decisions (database ${data.size}); ` +
      `${cpus().length} CPUs, 1-minute load average ${r.loadBefore.toFixed(1)} before and ${loadavg()[0]!.toFixed(1)} after the timings.`,
  );
  if (data.seedLine) report.push(data.seedLine);
  report.push(
    `Page query = \`listDecisions\` (newest 50 unless noted), ${RUNS} timed runs after ${WARMUP} warm-up runs; count = \`countDecisions\` (exact from the decision counts when they can answer the filters, otherwise exact up to 10,000). Plan = EXPLAIN ANALYZE top node → first scan node; indexes used.`,
    "",
    "| Case | Rows | p50 ms | p95 ms | Count p95 ms | Count | Plan (top → scan) | Indexes |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
  );
  for (const x of results) {
    report.push(
      `| ${x.c.name} | ${x.rows} | ${x.list.p50.toFixed(1)} | ${x.list.p95.toFixed(1)} | ${x.count!.p95.toFixed(1)} | ${x.count!.value} | ${x.plan.top}${x.plan.seqScan ? " (Seq Scan!)" : ""} | ${x.plan.indexes.join(", ")} |`,
    );
  }
  report.push(
    "",
    `Baseline (no filters, newest 50): p95 ${baseline.list.p95.toFixed(1)} ms. Slowest page query: "${worst.c.name}" at p95 ${worst.list.p95.toFixed(1)} ms ` +
      `(${(worst.list.p95 / Math.max(0.01, baseline.list.p95)).toFixed(1)}× the baseline). ` +
      (over.length === 0 ? `Every case is within the ${TARGET_P95_MS} ms p95 target.` : `Over the ${TARGET_P95_MS} ms target: ${over.map((x) => `"${x.c.name}" (${x.list.p95.toFixed(1)} ms)`).join(", ")}.`) +
      (seqScans.length === 0 ? " No page query plan contains a Seq Scan." : ` Plans with a Seq Scan: ${seqScans.map((x) => x.c.name).join(", ")}.`),
    "",
    "Count plans: " + r.countPlans.map((c) => `${c.name}: ${c.plan.top} [${c.plan.indexes.join(", ")}]${c.plan.seqScan ? " (Seq Scan!)" : ""}`).join("; ") + ".",
    "",
    `Filter options (\`listDecisionFilterOptions\`, 5 loose index scans): p50 ${r.options.p50.toFixed(1)} ms, p95 ${r.options.p95.toFixed(1)} ms.`,
    "",
    ...formatAggregates(r.aggregates, r.countTables),
  );
  if (r.pages.length > 0) {
    report.push(
      "",
      `Whole page over HTTP (\`next start\` on this machine, same database; guard, access-log write, page query, count, filter options, render and the streamed histogram):`,
      "",
      "| Page | p50 ms | p95 ms |",
      "| --- | ---: | ---: |",
      ...r.pages.map((p) => `| ${p.name} | ${p.p50.toFixed(1)} | ${p.p95.toFixed(1)} |`),
    );
  }
  return report.join("\n");
}

const ms = (t: Timing) => `${t.p50.toFixed(1)} / ${t.p95.toFixed(1)}`;

function formatAggregates(aggregates: AggregateResult[], t: CountTableFigures): string[] {
  const bucket = (b: number | null) => (b === null ? "–" : b >= DAY ? `${b / DAY} d` : b >= 3_600_000 ? `${b / 3_600_000} h` : `${b / 60_000} min`);
  const worst = (pick: (a: AggregateResult) => Timing) => aggregates.filter((a) => !a.name.includes("not answerable")).reduce((m, a) => Math.max(m, pick(a).p95), 0);
  return [
    "| Aggregate case (window, filters) | Bucket | Count | Count p50 / p95 ms | Row-path count | Row-path count p50 / p95 ms | Histogram p50 / p95 ms | Row-path histogram p50 / p95 ms |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...aggregates.map(
      (a) => `| ${a.name} | ${bucket(a.bucketMs)} | ${a.count.value} | ${ms(a.count)} | ${a.countRows.value} | ${ms(a.countRows)} | ${ms(a.histogram)} | ${ms(a.histogramRows)} |`,
    ),
    "",
    `Slowest over the decision counts: count p95 ${worst((a) => a.count).toFixed(1)} ms, histogram p95 ${worst((a) => a.histogram).toFixed(1)} ms. ` +
      `Count tables: hourly ${t.hourlyRows.toLocaleString("en")} rows (read whole, grouped by day: p50 / p95 ${ms(t.hourlyRead)} ms), ` +
      `daily ${t.dailyRows.toLocaleString("en")} rows (${ms(t.dailyRead)} ms).`,
  ];
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
