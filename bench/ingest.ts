/**
 * HTTP ingest benchmark: `npm run bench:ingest`.
 *
 * Serves the production build (NEXT_DIST_DIR, default .next; run `npm run build` first, the
 * bench does not build) through scripts/server.mjs, the server `npm start` and the end-to-end
 * tests run, on 127.0.0.1 against a fresh migrated database on the Postgres server (dropped
 * at the end), with an ingest API key made by the service the CLI uses (createApiKey). Then
 * POSTs demo statements (lib/demo/generate-demo-statements.ts, each request under fresh ids)
 * to /api/v1/decisions over a matrix of batch sizes × concurrent clients, each client with
 * one request in flight, and reports records/s and the p50/p99 request latency per cell.
 * Every answer must be a 201 naming each statement sent as a new record, or the bench stops
 * with the response. At the end the ledger must hold exactly the acknowledged records.
 *
 * Beside the cells, in the same run and database, on the same statements: a bare COPY into
 * `(id uuid, doc jsonb)` and seed 000's hand-built design (append-only table, BEFORE INSERT
 * trigger chaining SHA-256 row hashes), each measured before and after the matrix
 * (bench/support/ingest-baselines.ts). The targets of issue 11 are printed, not asserted.
 *
 * The server runs with DEMO=false, no scheduled checkpoint or verification (interval 0), and
 * an ingest rate limit of 1,000,000 requests/s per key (burst 1,000,000): only ingest is measured.
 *
 *   BENCH_DATABASE_URL              server (default TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/postgres)
 *   NEXT_DIST_DIR                   the build to serve (default .next)
 *   INGEST_BENCH_BATCHES            statements per request (default 1,10,100,1000)
 *   INGEST_BENCH_CLIENTS            concurrent clients (default 1,4,16)
 *   INGEST_BENCH_SECONDS            no request starts after this many seconds of a cell (default 10)
 *   INGEST_BENCH_RECORDS            no request starts that would pass this many records in a cell (default 32000)
 *   INGEST_BENCH_BASELINE_RECORDS   records per baseline measure (default 32000)
 *   INGEST_BENCH_POOL               distinct demo statements, re-used under fresh ids (default 10000)
 */
import { execFileSync } from "node:child_process";
import postgres, { type Sql } from "postgres";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "../db/client";
import { readLogSize } from "../db/queries/log-entries";
import { createApiKey } from "../lib/services/api-keys";
import { createBenchDatabase } from "./support/bench-db";
import { checkSeed000Chain, copyBaseline, createBaselineTables, seed000Baseline } from "./support/ingest-baselines";
import { runCell, type CellResult, type IngestTarget } from "./support/ingest-client";
import { productionBuild, startBenchServer, type BenchServer } from "./support/ingest-server";
import { StatementPool } from "./support/statement-pool";
import { describeMachine, formatRate, markdownTable, table } from "./support/stats";

const list = (value: string | undefined, fallback: number[]) => (value ? value.split(",").map((v) => Number(v.trim())) : fallback);
const BATCHES = list(process.env.INGEST_BENCH_BATCHES, [1, 10, 100, 1000]);
const CLIENTS = list(process.env.INGEST_BENCH_CLIENTS, [1, 4, 16]);
const SECONDS = Number(process.env.INGEST_BENCH_SECONDS ?? 10);
const RECORDS = Number(process.env.INGEST_BENCH_RECORDS ?? 32_000);
const BASELINE_RECORDS = Number(process.env.INGEST_BENCH_BASELINE_RECORDS ?? 32_000);
const POOL = Number(process.env.INGEST_BENCH_POOL ?? 10_000);
/** The seed-000 design is inserted in the batches of the target cell (16 clients × 100). */
const BASELINE_BATCH = 100;
const BASELINE_WRITERS = [1, 16];

const log = (text: string) => process.stderr.write(`${text}\n`);
const uptime = () => execFileSync("uptime", { encoding: "utf8" }).trim();

/** One baseline measure's rate in each round (before and after the matrix). */
interface Baseline {
  name: string;
  rates: number[];
}

/** Runs every baseline once on the same statement sequence and appends its rate to `into`. */
async function runBaselines(pg: Sql, pool: StatementPool, into: Baseline[]): Promise<void> {
  const records = pool.cursor()(BASELINE_RECORDS);
  const measures: [string, () => Promise<number>][] = [
    ["COPY into (id uuid, doc jsonb), no index, one stream", () => copyBaseline(pg, records)],
    ...BASELINE_WRITERS.map((w): [string, () => Promise<number>] => [
      `seed 000 design (trigger-chained SHA-256), batches of ${BASELINE_BATCH}, ${w} writer${w > 1 ? "s" : ""}`,
      async () => {
        const seconds = await seed000Baseline(pg, records, BASELINE_BATCH, w);
        await checkSeed000Chain(pg, BASELINE_RECORDS);
        return seconds;
      },
    ]),
  ];
  for (const [name, measure] of measures) {
    const rate = BASELINE_RECORDS / (await measure());
    log(`  ${name}: ${formatRate(rate)}`);
    const found = into.find((b) => b.name === name);
    if (found) found.rates.push(rate);
    else into.push({ name, rates: [rate] });
  }
}

async function runMatrix(target: IngestTarget, pool: StatementPool, acknowledged: string[]): Promise<CellResult[]> {
  const cells: CellResult[] = [];
  for (const batch of BATCHES) {
    for (const clients of CLIENTS) {
      const cell = await runCell(target, pool.cursor(), { batch, clients, maxRecords: RECORDS, maxSeconds: SECONDS }, acknowledged);
      log(`  batch ${batch} x ${clients} client(s): ${formatRate(cell.rate)}, p50 ${cell.p50Ms.toFixed(1)} ms, p99 ${cell.p99Ms.toFixed(1)} ms (${cell.records} records in ${cell.seconds.toFixed(1)} s)`);
      cells.push(cell);
    }
  }
  return cells;
}

/**
 * Nothing acknowledged before it is committed: after the run the decisions log holds exactly
 * the acknowledged records, no fewer (an acknowledged record lost) and no more.
 */
async function checkCommitted(db: Db, acknowledged: string[]): Promise<string> {
  const size = await readLogSize(db, "decisions");
  const stored = new Set((await queryRows(db, sql`select id::text as id from decisions`, z.object({ id: z.string() }))).map((r) => r.id));
  const missing = acknowledged.filter((id) => !stored.has(id)).length;
  if (size !== acknowledged.length || stored.size !== acknowledged.length || missing > 0) {
    throw new Error(`the ledger does not hold exactly the acknowledged records: ${acknowledged.length} acknowledged, log size ${size}, ${stored.size} decision rows, ${missing} acknowledged ids missing`);
  }
  return `${acknowledged.length.toLocaleString("en-US")} records acknowledged = log size ${size.toLocaleString("en-US")} = decision rows, every acknowledged id stored`;
}

async function main(): Promise<void> {
  const build = productionBuild(); // before anything is created: no build, no run
  const loadBefore = uptime();
  log(`serving ${build.distDir}/ built ${build.builtAt.toISOString()}; generating ${POOL.toLocaleString("en-US")} demo statements`);
  const pool = new StatementPool(POOL);
  const bench = await createBenchDatabase("dl_bench_ingest");
  const pg = postgres(bench.url, { max: Math.max(...BASELINE_WRITERS), onnotice: () => {} });
  let server: BenchServer | undefined;
  try {
    const { secret } = await createApiKey(bench.db, { owner: "ingest-bench", createdBy: "bench" });
    server = await startBenchServer(bench.url);
    log(`database ${bench.name}, server ${server.baseUrl}`);
    const target = { url: server.baseUrl, apiKey: secret };
    const acknowledged: string[] = [];
    // Loads the route and warms the JIT and the connection pool; its records count like the others.
    await runCell(target, pool.cursor(), { batch: 10, clients: 4, maxRecords: 2_000, maxSeconds: 3 }, acknowledged);
    await createBaselineTables(pg);
    const baselines: Baseline[] = [];
    log("baselines, round 1:");
    await runBaselines(pg, pool, baselines);
    log("HTTP matrix:");
    const cells = await runMatrix(target, pool, acknowledged);
    log("baselines, round 2:");
    await runBaselines(pg, pool, baselines);
    const committed = await checkCommitted(bench.db, acknowledged);
    const machine = describeMachine(await serverVersion(pg));
    printReport({ cells, baselines, committed, machine, loadBefore, loadAfter: uptime(), build, pool });
  } finally {
    const code = await server?.stop();
    if (code !== undefined && code !== 143) log(`the server exited with ${code}:\n${server?.output()}`);
    await pg.end({ timeout: 5 });
    await bench.drop();
  }
}

async function serverVersion(pg: Sql): Promise<string | undefined> {
  const [row] = await pg<{ v: string }[]>`select version() as v`;
  return row?.v;
}

interface Report {
  cells: CellResult[];
  baselines: Baseline[];
  committed: string;
  machine: string;
  loadBefore: string;
  loadAfter: string;
  build: { distDir: string; builtAt: Date };
  pool: StatementPool;
}

/** One target: the cell's rate must reach `share` of `reference` (a baseline's rate, or a fixed rate with share 1). */
interface Target {
  name: string;
  cell: CellResult | undefined;
  reference: number;
  share: number;
  against: string;
}

/** The targets against this run's figures; a missing cell (matrix shrunk by env) is "not measured". */
function targetRows(cells: CellResult[], baselines: Baseline[]): string[][] {
  const cell = (batch: number, clients: number) => cells.find((c) => c.batch === batch && c.clients === clients);
  const best = (prefix: string) => Math.max(...baselines.filter((b) => b.name.startsWith(prefix)).flatMap((b) => b.rates));
  const copy = best("COPY");
  const seed000 = best("seed 000");
  const targets: Target[] = [
    { name: "16 clients x 100 >= 60% of COPY", cell: cell(100, 16), reference: copy, share: 0.6, against: `COPY ${formatRate(copy)}` },
    { name: "16 clients x 100 >= seed 000 design", cell: cell(100, 16), reference: seed000, share: 1, against: `seed 000 ${formatRate(seed000)}` },
    { name: "16 clients x 1 >= 1,500/s", cell: cell(1, 16), reference: 1500, share: 1, against: "1,500/s" },
  ];
  return targets.map(({ name, cell: c, reference, share, against }) =>
    c ? [name, formatRate(c.rate), against, `${Math.round((c.rate / reference) * 100)}%`, c.rate >= share * reference ? "yes" : "NO"] : [name, "not measured", against, "-", "-"],
  );
}

function printReport(r: Report): void {
  const cellHeader = ["batch x clients", "requests", "records", "seconds", "records/s", "p50 ms", "p99 ms"];
  const cellRows = r.cells.map((c) => [`${c.batch} x ${c.clients}`, String(c.requests), c.records.toLocaleString("en-US"), c.seconds.toFixed(1), formatRate(c.rate), c.p50Ms.toFixed(1), c.p99Ms.toFixed(1)]);
  const baselineHeader = ["baseline", "before the matrix", "after the matrix"];
  const baselineRows = r.baselines.map((b) => [b.name, ...b.rates.map(formatRate)]);
  const targetHeader = ["target (issue 11)", "measured", "against", "ratio", "met"];
  const targets = targetRows(r.cells, r.baselines);
  const tables: [string[], string[][]][] = [
    [cellHeader, cellRows],
    [baselineHeader, baselineRows],
    [targetHeader, targets],
  ];
  const notes = [
    `Statements: the demo generator, ${r.pool.size.toLocaleString("en-US")} distinct, ~${Math.round(r.pool.meanBytes()).toLocaleString("en-US")} bytes of JSON each, fresh ids per request.`,
    `Cells bounded by ${SECONDS} s and ${RECORDS.toLocaleString("en-US")} records; baselines ${BASELINE_RECORDS.toLocaleString("en-US")} records each; targets compare against the faster baseline round.`,
    `Committed: ${r.committed}.`,
    `Build: ${r.build.distDir}/ of ${r.build.builtAt.toISOString()}. Machine: ${r.machine}.`,
    `uptime before: ${r.loadBefore}`,
    `uptime after:  ${r.loadAfter}`,
  ].join("\n");
  process.stdout.write(`\nIngest benchmark (HTTP POST /api/v1/decisions)\n\n${tables.map(([h, rows]) => table(h, rows)).join("\n\n")}\n\n${notes}\n`);
  process.stdout.write(`\nMarkdown:\n\n${tables.map(([h, rows]) => markdownTable(h, rows)).join("\n\n")}\n\n${notes}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
