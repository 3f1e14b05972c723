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
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { sql, type SQL } from "drizzle-orm";
import { migrateDatabase, openDatabase, queryRowsUnchecked, type Database } from "../db/client";
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

const SERVER = process.env.BENCH_DATABASE_URL ?? process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
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

function urlFor(name: string): string {
  const u = new URL(SERVER);
  u.pathname = `/${name}`;
  return u.toString();
}

async function seed(database: Database, now: Date): Promise<{ seconds: number; rowsPerSecond: number }> {
  const started = performance.now();
  let written = 0;
  for (let run = 0; written < ROWS; run++) {
    const count = Math.min(GENERATOR_RUN, ROWS - written);
    const statements = generateDemoStatements({ count, now, days: 90, seed: run + 1 });
    for (let i = 0; i < statements.length; i += BATCH) {
      await appendDecisions(database.db, statements.slice(i, i + BATCH), { name: "bench-explorer" }, now);
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

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
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
  const rows = await queryRowsUnchecked<Record<string, string>>(database.db, sql`explain (analyze, costs off, timing off) ${query}`);
  const lines = rows.map((r) => Object.values(r)[0] ?? "");
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

async function main(): Promise<void> {
  const admin = await openDatabase({ url: SERVER });
  const reuse = process.env.EXPLORER_BENCH_DB;
  const name = reuse ?? `dl_bench_explorer_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  if (!reuse) await queryRowsUnchecked(admin.db, sql.raw(`create database ${name}`));
  const database = await openDatabase({ url: urlFor(name) });
  const report: string[] = [];
  const keep = process.env.EXPLORER_BENCH_KEEP === "1" || Boolean(reuse);
  try {
    await migrateDatabase(database);
    const version = (await queryRowsUnchecked<{ v: string }>(database.db, sql`select version() as v`))[0]?.v ?? "";
    let seedLine = "";
    let now: Date;
    if (!reuse) {
      now = new Date();
      log(`seeding ${ROWS.toLocaleString("en")} decisions into ${name} ...`);
      const s = await seed(database, now);
      seedLine = `Seeded ${ROWS.toLocaleString("en")} decisions through appendDecisions (batches of ${BATCH}) in ${s.seconds.toFixed(0)} s (${Math.round(s.rowsPerSecond).toLocaleString("en")} rows/s).`;
      log(seedLine);
      log("vacuum analyze (what autovacuum does on its own after a bulk insert) ...");
      await queryRowsUnchecked(database.db, sql`vacuum analyze decisions`);
      await queryRowsUnchecked(database.db, sql`vacuum analyze log_entries`);
    } else {
      const r = await queryRowsUnchecked<{ hi: string }>(database.db, sql`select max(occurred_at)::text as hi from decisions`);
      now = new Date(new Date(r[0]!.hi).getTime() + 1000);
    }
    const total = Number((await queryRowsUnchecked<{ n: string }>(database.db, sql`select count(*) as n from decisions`))[0]!.n);
    const size = (await queryRowsUnchecked<{ s: string }>(database.db, sql`select pg_size_pretty(pg_database_size(current_database())) as s`))[0]!.s;
    log(`${total.toLocaleString("en")} decisions, database size ${size}`);

    // Filter values taken from the data, as a reviewer would pick them.
    const popularEntity = (
      await queryRowsUnchecked<{ entity_id: string; n: string }>(
        database.db,
        sql`select entity_id, count(*) as n from decisions where entity_type = 'loan-application' and occurred_at > ${new Date(now.getTime() - 7 * DAY).toISOString()}::timestamptz
            and verb = 'denied' group by entity_id order by count(*) desc limit 1`,
      )
    )[0]!;
    const session = (
      await queryRowsUnchecked<{ session_id: string }>(database.db, sql`select session_id from decisions where session_id is not null and ai_system = 'Community Safety Classifier' order by occurred_at desc offset 500 limit 1`)
    )[0]!.session_id;
    const prefix = popularEntity.entity_id.slice(0, -2);
    const ago = (days: number) => new Date(now.getTime() - days * DAY);
    const f = (p: Partial<DecisionFilters>): DecisionFilters => ({ ...NONE, ...p });
    const d7 = ago(7);

    /** The cursor after the `offset`-th row (1-based) of a list: the start of a deep page. */
    const cursorAt = async (filters: DecisionFilters, sort: DecisionSort, offset: number): Promise<DecisionCursor | null> => {
      const expr = sort.key === "occurredAt" ? "d.occurred_at" : sort.key === "confidence" ? "coalesce(d.confidence, -2)" : "coalesce(d.latency_ms, -1)";
      const value = sort.key === "occurredAt" ? `to_char(d.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` : expr;
      const dir = sql.raw(sort.direction);
      const r = (
        await queryRowsUnchecked<{ v: string | number; seq: string }>(
          database.db,
          sql`select ${sql.raw(value)} as v, d.seq from decisions d where ${decisionFilterSql(filters)}
              order by ${sql.raw(expr)} ${dir}, d.seq ${dir} offset ${offset - 1} limit 1`,
        )
      )[0];
      if (!r) return null;
      return { dir: "after", sort: sort.key, value: sort.key === "occurredAt" ? String(r.v) : Number(r.v), seq: Number(r.seq) };
    };

    const cases: Case[] = [
      { group: "baseline", name: "no filters, newest 50 (baseline)", params: { filters: NONE, sort: NEWEST } },
      { group: "time", name: "last 24 hours", params: { filters: f({ from: ago(1) }), sort: NEWEST } },
      { group: "time", name: "last 7 days", params: { filters: f({ from: d7 }), sort: NEWEST } },
      { group: "time", name: "last 30 days", params: { filters: f({ from: ago(30) }), sort: NEWEST } },
      { group: "time", name: "last 90 days", params: { filters: f({ from: ago(90) }), sort: NEWEST } },
      { group: "time", name: "custom week, 37–30 days ago", params: { filters: f({ from: ago(37), to: ago(30) }), sort: NEWEST } },
      { group: "single", name: `entity id exact (${popularEntity.entity_id})`, params: { filters: f({ entityId: popularEntity.entity_id }), sort: NEWEST } },
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
      { group: "single", name: "session id", params: { filters: f({ sessionId: session }), sort: NEWEST } },
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
      { group: "pairs", name: "7 days + entity id", params: { filters: f({ from: d7, entityId: popularEntity.entity_id }), sort: NEWEST } },
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
            entityId: popularEntity.entity_id,
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
      const cursor = await cursorAt(filters, sort, offset);
      if (cursor) cases.push({ group: "deep", name: label, params: { filters, sort, cursor } });
      else log(`skipped "${label}": fewer than ${offset} matching rows`);
    }

    const loadBefore = loadavg()[0]!;
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

    // Count plans for the record (the count reads at most 10,001 index entries).
    const countPlans: { name: string; plan: PlanSummary }[] = [];
    for (const c of cases.filter((x) => ["baseline", "text", "all"].includes(x.group) || x.name.startsWith("confidence ≤"))) {
      countPlans.push({ name: c.name, plan: await explain(database, countDecisionsSql(c.params.filters)) });
    }

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
    const options = await time(() => listDecisionFilterOptions(database.db));
    log(`filter options (loose index scans) p50 ${options.p50.toFixed(1)} ms  p95 ${options.p95.toFixed(1)} ms`);

    const pageBase = process.env.EXPLORER_BENCH_PAGE_URL?.replace(/\/$/, "");
    const pages = pageBase
      ? await timePages(database, pageBase, [
          ["default view (last 7 days)", ""],
          ["denials by 3.2.0 in the last 7 days", "?verb=denied&version=3.2.0"],
          ["the reviewer's question (case + 3.2.0 + denied)", `?verb=denied&version=3.2.0&entity=${encodeURIComponent(popularEntity.entity_id)}`],
          ["free text, last 30 days", "?range=30d&q=debt%20income"],
          ["last 90 days, sorted by confidence", "?range=90d&sort=confidence"],
        ])
      : [];

    // ------------------------------------------------------------------ report
    const baseline = results[0]!;
    const worst = [...results].sort((a, b) => b.list.p95 - a.list.p95)[0]!;
    const over = results.filter((r) => r.list.p95 > TARGET_P95_MS);
    const seqScans = results.filter((r) => r.plan.seqScan);
    report.push(
      `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${version.split(" on ")[0]} (default server settings), ${total.toLocaleString("en")} decisions (database ${size}); ` +
        `${cpus().length} CPUs, 1-minute load average ${loadBefore.toFixed(1)} before and ${loadavg()[0]!.toFixed(1)} after the timings.`,
    );
    if (seedLine) report.push(seedLine);
    report.push(
      `Page query = \`listDecisions\` (newest 50 unless noted), ${RUNS} timed runs after ${WARMUP} warm-up runs; count = \`countDecisions\` (exact up to 10,000). Plan = EXPLAIN ANALYZE top node → first scan node; indexes used.`,
      "",
      "| Case | Rows | p50 ms | p95 ms | Count p95 ms | Count | Plan (top → scan) | Indexes |",
      "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    );
    for (const r of results) {
      report.push(
        `| ${r.c.name} | ${r.rows} | ${r.list.p50.toFixed(1)} | ${r.list.p95.toFixed(1)} | ${r.count!.p95.toFixed(1)} | ${r.count!.value} | ${r.plan.top}${r.plan.seqScan ? " (Seq Scan!)" : ""} | ${r.plan.indexes.join(", ")} |`,
      );
    }
    report.push(
      "",
      `Baseline (no filters, newest 50): p95 ${baseline.list.p95.toFixed(1)} ms. Slowest page query: "${worst.c.name}" at p95 ${worst.list.p95.toFixed(1)} ms ` +
        `(${(worst.list.p95 / Math.max(0.01, baseline.list.p95)).toFixed(1)}× the baseline). ` +
        (over.length === 0 ? `Every case is within the ${TARGET_P95_MS} ms p95 target.` : `Over the ${TARGET_P95_MS} ms target: ${over.map((r) => `"${r.c.name}" (${r.list.p95.toFixed(1)} ms)`).join(", ")}.`) +
        (seqScans.length === 0 ? " No page query plan contains a Seq Scan." : ` Plans with a Seq Scan: ${seqScans.map((r) => r.c.name).join(", ")}.`),
      "",
      "Count plans: " + countPlans.map((c) => `${c.name}: ${c.plan.top} [${c.plan.indexes.join(", ")}]${c.plan.seqScan ? " (Seq Scan!)" : ""}`).join("; ") + ".",
      "",
      "| Histogram (`histogramDecisions`) | p50 ms | p95 ms |",
      "| --- | ---: | ---: |",
      ...histo.map((h) => `| ${h.name} | ${h.p50.toFixed(1)} | ${h.p95.toFixed(1)} |`),
      `| Filter options (\`listDecisionFilterOptions\`, 5 loose index scans) | ${options.p50.toFixed(1)} | ${options.p95.toFixed(1)} |`,
    );
    if (pages.length > 0) {
      report.push(
        "",
        `Whole page over HTTP (\`next start\` on this machine, same database; guard, access-log write, page query, count, filter options, render and the streamed histogram):`,
        "",
        "| Page | p50 ms | p95 ms |",
        "| --- | ---: | ---: |",
        ...pages.map((p) => `| ${p.name} | ${p.p50.toFixed(1)} | ${p.p95.toFixed(1)} |`),
      );
    }
    const text = report.join("\n");
    process.stdout.write("\n" + text + "\n");
    if (process.env.EXPLORER_BENCH_OUT) writeFileSync(process.env.EXPLORER_BENCH_OUT, text + "\n");
  } finally {
    await database.close();
    if (keep) {
      log(`kept database ${name} (EXPLORER_BENCH_DB=${name} reuses it; drop it with: dropdb ${name})`);
    } else {
      await queryRowsUnchecked(admin.db, sql.raw(`drop database if exists ${name} with (force)`));
      log(`dropped database ${name}`);
    }
    await admin.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
