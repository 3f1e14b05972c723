/**
 * Decision explorer benchmark: `npm run bench:explorer`.
 *
 * Seeds EXPLORER_BENCH_ROWS (default 1,000,000) demo decisions into a fresh database on the
 * Postgres server (created here and dropped at the end), written through appendDecisions in
 * batches of 1,000 — the real append path, so every record is validated, canonicalised,
 * hashed, chained and Merkle-noded exactly as in production. Then times the query functions
 * of db/queries/decisions.ts over a matrix of filter combinations and prints, for each, the
 * p50/p95 of the page query (newest 50), the p95 of the capped count, and the top of the
 * EXPLAIN ANALYZE plan with the indexes it used.
 *
 *   BENCH_DATABASE_URL   server to use (default TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/postgres)
 *   EXPLORER_BENCH_ROWS  number of decisions (default 1000000)
 *   EXPLORER_BENCH_RUNS  timed runs per case (default 25, after 3 warm-up runs)
 *   EXPLORER_BENCH_KEEP  "1": keep the database (its name is printed) for later runs
 *   EXPLORER_BENCH_DB    reuse an existing (seeded) database by name instead of seeding
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
  countDecisions,
  countDecisionsSql,
  decisionFilterSql,
  histogramDecisions,
  listDecisionFilterOptions,
  listDecisions,
  listDecisionsSql,
  type ListDecisionsParams,
} from "../db/queries/decisions";
import { generateDemoStatements } from "../lib/demo/generate-demo-statements";
import { createUser } from "../lib/services/users";
import { appendDecisions } from "../lib/ledger-store/append-decisions";
import { noDecisionFilters, type DecisionCursor, type DecisionFilters, type DecisionSort } from "../lib/filters/decision-filters";
import { createBenchDatabase, type BenchDatabase } from "./support/bench-db";
import { percentile } from "./support/stats";
import { newPersonalDataKeys } from "../tests/support/personal-data-keys";

const BENCH_KEYS = newPersonalDataKeys();

const ROWS = Number(process.env.EXPLORER_BENCH_ROWS ?? 1_000_000);
const RUNS = Number(process.env.EXPLORER_BENCH_RUNS ?? 25);
const WARMUP = 3;
const GENERATOR_RUN = 100_000;
const BATCH = 1000;
const TARGET_P95_MS = 50;
const DAY = 86_400_000;

const NONE = noDecisionFilters();
const NEWEST: DecisionSort = { key: "occurredAt", direction: "desc" };

function log(message: string): void {
  process.stdout.write(`[bench:explorer] ${message}\n`);
}

async function seed(database: Database, now: Date): Promise<{ seconds: number; rowsPerSecond: number }> {
  const started = performance.now();
  let written = 0;
  for (let run = 0; written < ROWS; run++) {
    const count = Math.min(GENERATOR_RUN, ROWS - written);
    const statements = generateDemoStatements({ count, now, days: 90, seed: run + 1 });
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

interface Case {
  name: string;
  group: string;
  params: ListDecisionsParams;
  count?: boolean;
}

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

/** Filter values taken from the data, as a reviewer would pick them. */
interface Picks {
  entityId: string;
  session: string;
}

async function main(): Promise<void> {
  const reuse = process.env.EXPLORER_BENCH_DB;
  const keep = process.env.EXPLORER_BENCH_KEEP === "1" || Boolean(reuse);
  const database = await createBenchDatabase("dl_bench_explorer", { reuse, keep });
  try {
    const data = await prepareData(database, Boolean(reuse));
    const picks = await pickFilterValues(database, data.now);
    const cases = await benchCases(database, data.now, picks);
    const loadBefore = loadavg()[0]!;
    const results = await timeCases(database, cases);
    const countPlans = await explainCounts(database, cases);
    const histo = await timeHistograms(database, data.now);
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
    const text = formatReport({ data, loadBefore, results, countPlans, histo, options, pages });
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
  } else {
    const r = await queryRows(database.db, sql`select max(occurred_at)::text as hi from decisions`, z.object({ hi: z.string() }));
    now = new Date(new Date(r[0]!.hi).getTime() + 1000);
  }
  const total = (await queryRows(database.db, sql`select count(*) as n from decisions`, z.object({ n: bigintColumn })))[0]!.n;
  const size = (await queryRows(database.db, sql`select pg_size_pretty(pg_database_size(current_database())) as s`, z.object({ s: z.string() })))[0]!.s;
  log(`${total.toLocaleString("en")} decisions, database size ${size}`);
  return { version, seedLine, now, total, size };
}

async function pickFilterValues(database: Database, now: Date): Promise<Picks> {
  const popularEntity = (
    await queryRows(
      database.db,
      sql`select entity_id, count(*) as n from decisions where entity_type = 'loan-application' and occurred_at > ${new Date(now.getTime() - 7 * DAY).toISOString()}::timestamptz
          and verb = 'denied' group by entity_id order by count(*) desc limit 1`,
      z.object({ entity_id: z.string(), n: bigintColumn }),
    )
  )[0]!;
  const session = (
    await queryRows(
      database.db,
      sql`select session_id from decisions where session_id is not null and ai_system = 'Community Safety Classifier' order by occurred_at desc offset 500 limit 1`,
      z.object({ session_id: z.string() }),
    )
  )[0]!.session_id;
  return { entityId: popularEntity.entity_id, session };
}

/** The cursor after the `offset`-th row (1-based) of a list: the start of a deep page. */
async function cursorAt(database: Database, filters: DecisionFilters, sort: DecisionSort, offset: number): Promise<DecisionCursor | null> {
  const expr = sort.key === "occurredAt" ? "d.occurred_at" : sort.key === "confidence" ? "coalesce(d.confidence, -2)" : "coalesce(d.latency_ms, -1)";
  const value = sort.key === "occurredAt" ? `to_char(d.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` : expr;
  const dir = sql.raw(sort.direction);
  const r = (
    await queryRows(
      database.db,
      sql`select ${sql.raw(value)} as v, d.seq from decisions d where ${decisionFilterSql(filters)}
          order by ${sql.raw(expr)} ${dir}, d.seq ${dir} offset ${offset - 1} limit 1`,
      z.object({ v: z.union([z.string(), z.number()]), seq: bigintColumn }),
    )
  )[0];
  if (!r) return null;
  return { dir: "after", sort: sort.key, value: sort.key === "occurredAt" ? String(r.v) : Number(r.v), seq: r.seq };
}

/** The matrix of filter combinations, then deep pages (those with enough rows). */
async function benchCases(database: Database, now: Date, picks: Picks): Promise<Case[]> {
  const ago = (days: number) => new Date(now.getTime() - days * DAY);
  const f = (p: Partial<DecisionFilters>): DecisionFilters => ({ ...NONE, ...p });
  const d7 = ago(7);
  const prefix = picks.entityId.slice(0, -2);
  const cases: Case[] = [
    { group: "baseline", name: "no filters, newest 50 (baseline)", params: { filters: NONE, sort: NEWEST } },
    { group: "time", name: "last 24 hours", params: { filters: f({ from: ago(1) }), sort: NEWEST } },
    { group: "time", name: "last 7 days", params: { filters: f({ from: d7 }), sort: NEWEST } },
    { group: "time", name: "last 30 days", params: { filters: f({ from: ago(30) }), sort: NEWEST } },
    { group: "time", name: "last 90 days", params: { filters: f({ from: ago(90) }), sort: NEWEST } },
    { group: "time", name: "custom week, 37–30 days ago", params: { filters: f({ from: ago(37), to: ago(30) }), sort: NEWEST } },
    { group: "single", name: `entity id exact (${picks.entityId})`, params: { filters: f({ entityId: picks.entityId }), sort: NEWEST } },
    { group: "single", name: `entity id prefix (${prefix}…)`, params: { filters: f({ entityId: prefix, entityMatch: "prefix" }), sort: NEWEST } },
    { group: "single", name: "entity type patient-encounter", params: { filters: f({ entityType: "patient-encounter" }), sort: NEWEST } },
    { group: "single", name: "actor type human", params: { filters: f({ actorTypes: ["human"] }), sort: NEWEST } },
    { group: "single", name: "actor types ai_assisted_human + human", params: { filters: f({ actorTypes: ["ai_assisted_human", "human"] }), sort: NEWEST } },
    { group: "single", name: "AI system ED Triage Assistant", params: { filters: f({ aiSystems: ["ED Triage Assistant"] }), sort: NEWEST } },
    { group: "single", name: "model version 3.0.4 (retired in week 1)", params: { filters: f({ modelVersions: ["3.0.4"] }), sort: NEWEST } },
    { group: "single", name: "model version 5.4.0-beta.2 (5% canary)", params: { filters: f({ modelVersions: ["5.4.0-beta.2"] }), sort: NEWEST } },
    { group: "single", name: "verb overrode", params: { filters: f({ verbs: ["overrode"] }), sort: NEWEST } },
    { group: "single", name: "outcome denied", params: { filters: f({ outcomes: ["denied"] }), sort: NEWEST } },
    { group: "single", name: "human review overridden", params: { filters: f({ humanReview: ["overridden"] }), sort: NEWEST } },
    { group: "single", name: "session id", params: { filters: f({ sessionId: picks.session }), sort: NEWEST } },
    { group: "single", name: "confidence 0.40–0.45", params: { filters: f({ confidenceMin: 0.4, confidenceMax: 0.45 }), sort: NEWEST } },
    { group: "single", name: "confidence ≤ 0.05", params: { filters: f({ confidenceMax: 0.05 }), sort: NEWEST } },
    { group: "text", name: 'free text "debt income"', params: { filters: f({ text: "debt income" }), sort: NEWEST } },
    { group: "text", name: 'free text "timed out" (errors)', params: { filters: f({ text: '"timed out"' }), sort: NEWEST } },
    { group: "text", name: 'free text "harassment -spam", last 7 days', params: { filters: f({ text: "harassment -spam", from: d7 }), sort: NEWEST } },
    { group: "pairs", name: "7 days + verb denied", params: { filters: f({ from: d7, verbs: ["denied"] }), sort: NEWEST } },
    { group: "pairs", name: "7 days + model version 3.2.0", params: { filters: f({ from: d7, modelVersions: ["3.2.0"] }), sort: NEWEST } },
    { group: "pairs", name: "AI system loans + outcome denied", params: { filters: f({ aiSystems: ["Loan Underwriting Assistant"], outcomes: ["denied"] }), sort: NEWEST } },
    { group: "pairs", name: "actor human_approved_ai + review approved", params: { filters: f({ actorTypes: ["human_approved_ai"], humanReview: ["approved"] }), sort: NEWEST } },
    { group: "pairs", name: "30 days + confidence ≤ 0.3", params: { filters: f({ from: ago(30), confidenceMax: 0.3 }), sort: NEWEST } },
    { group: "pairs", name: "7 days + entity id", params: { filters: f({ from: d7, entityId: picks.entityId }), sort: NEWEST } },
    { group: "pairs", name: "verb overrode + confidence ≤ 0.2", params: { filters: f({ verbs: ["overrode"], confidenceMax: 0.2 }), sort: NEWEST } },
    {
      group: "all",
      name: "the reviewer's question: 7 d + loans + 3.2.0 + denied + entity + human-approved",
      params: {
        filters: f({
          from: d7,
          aiSystems: ["Loan Underwriting Assistant"],
          modelVersions: ["3.2.0"],
          verbs: ["denied"],
          entityType: "loan-application",
          entityId: picks.entityId,
          actorTypes: ["human_approved_ai"],
        }),
        sort: NEWEST,
      },
    },
    {
      group: "all",
      name: "everything: 30 d + system + version + verb + outcome + actor + review + confidence + text",
      params: {
        filters: f({
          from: ago(30),
          aiSystems: ["Loan Underwriting Assistant"],
          modelVersions: ["3.2.0"],
          verbs: ["denied"],
          outcomes: ["denied"],
          actorTypes: ["human_approved_ai"],
          humanReview: ["approved"],
          confidenceMin: 0.5,
          text: "debt",
        }),
        sort: NEWEST,
      },
    },
    { group: "sort", name: "sort confidence, highest first", params: { filters: NONE, sort: { key: "confidence", direction: "desc" } } },
    { group: "sort", name: "sort confidence, lowest first, 7 days", params: { filters: f({ from: d7 }), sort: { key: "confidence", direction: "asc" } } },
    { group: "sort", name: "sort latency, slowest first, ED triage", params: { filters: f({ aiSystems: ["ED Triage Assistant"] }), sort: { key: "latencyMs", direction: "desc" } } },
  ];
  const deep: [string, DecisionFilters, DecisionSort, number][] = [
    ["page 201 (after 10,000 rows), no filters", NONE, NEWEST, 10_000],
    ["page 10,001 (after 500,000 rows), no filters", NONE, NEWEST, 500_000],
    ["page 101 of 30 d + outcome denied", f({ from: ago(30), outcomes: ["denied"] }), NEWEST, 5_000],
    ["page 201 sorted by confidence", NONE, { key: "confidence", direction: "desc" }, 10_000],
  ];
  for (const [label, filters, sort, offset] of deep) {
    const cursor = await cursorAt(database, filters, sort, offset);
    if (cursor) cases.push({ group: "deep", name: label, params: { filters, sort, cursor } });
    else log(`skipped "${label}": fewer than ${offset} matching rows`);
  }
  return cases;
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

async function timeHistograms(database: Database, now: Date): Promise<{ name: string; p95: number; p50: number }[]> {
  const ago = (days: number) => new Date(now.getTime() - days * DAY);
  const f = (p: Partial<DecisionFilters>): DecisionFilters => ({ ...NONE, ...p });
  const d7 = ago(7);
  const histo: { name: string; p95: number; p50: number }[] = [];
  for (const [label, filters] of [
    ["last 24 hours", f({ from: ago(1), to: now })],
    ["last 7 days", f({ from: d7, to: now })],
    ["last 7 days + verb denied", f({ from: d7, to: now, verbs: ["denied"] })],
    ["last 30 days", f({ from: ago(30), to: now })],
    ["last 90 days (every row)", f({ from: ago(90), to: now })],
  ] as [string, DecisionFilters][]) {
    const t = await time(() => histogramDecisions(database.db, filters, now));
    histo.push({ name: label, ...t });
    log(`histogram ${label.padEnd(40)} p50 ${t.p50.toFixed(1)} ms  p95 ${t.p95.toFixed(1)} ms`);
  }
  return histo;
}

function formatReport(r: {
  data: BenchData;
  loadBefore: number;
  results: Result[];
  countPlans: { name: string; plan: PlanSummary }[];
  histo: { name: string; p95: number; p50: number }[];
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
    `Page query = \`listDecisions\` (newest 50 unless noted), ${RUNS} timed runs after ${WARMUP} warm-up runs; count = \`countDecisions\` (exact up to 10,000). Plan = EXPLAIN ANALYZE top node → first scan node; indexes used.`,
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
    "| Histogram (`histogramDecisions`) | p50 ms | p95 ms |",
    "| --- | ---: | ---: |",
    ...r.histo.map((h) => `| ${h.name} | ${h.p50.toFixed(1)} | ${h.p95.toFixed(1)} |`),
    `| Filter options (\`listDecisionFilterOptions\`, 5 loose index scans) | ${r.options.p50.toFixed(1)} | ${r.options.p95.toFixed(1)} |`,
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

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
