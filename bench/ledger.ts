/**
 * Ledger benchmark: `npm run bench:ledger`.
 *
 * Creates its own database on the Postgres server (dropped at the end) and measures:
 *
 *  (a) append throughput: appendDecisions in batches of 1,000 realistic statements (demo
 *      generator) — validation, RFC 8785 canonicalisation, leaf hash, the per-log lock,
 *      sequence numbers, hash chain and Merkle nodes — against a baseline that INSERTs the
 *      very same rows (read back afterwards) in the same batches into decisions_baseline:
 *      same columns, same indexes, same monthly partitioning, no ledger around it.
 *  (a2) the cost of privacy by construction: appendDecisions (personal values committed, openings
 *      sealed under per-subject data keys, blind-index lookups) against the previous release's
 *      append (tests/support/legacy-ledger.ts: plaintext statement hashed, nothing else), the
 *      same statements in alternating batches of 1,000 on the same log, so both meet the same
 *      table sizes and cache state.
 *  (b) full verification throughput: verifyLog over the whole decisions log (every content
 *      hash, the chain, every stored Merkle node, the root at every checkpoint, signatures,
 *      the external store) against a baseline that only reads the canonical bytes and
 *      SHA-256-hashes them in SQL, sha256(convert_to(canonical, 'UTF8')), in the same
 *      5,000-row keyset batches.
 *  (c) inclusion proof latency at LEDGER_BENCH_ROWS records (default 1,000,000): p50/p95/p99
 *      of readInclusionProof for 1,000 random leaves; each proof is also verified.
 *
 * The log is filled to LEDGER_BENCH_ROWS through appendDecisions itself (batches of 1,000,
 * the real append path), with the demo statements re-used under fresh ids; a checkpoint is
 * signed every tenth of the way, into an external checkpoint directory in the temp dir. The
 * (a2) baseline's records stay in the log, so (b) verifies both personal-data formats.
 * Before the fill (after (a)) the explorer's secondary indexes on `decisions` are dropped:
 * they cost most of each insert, and neither (b) nor (c) reads through them.
 *
 *   BENCH_DATABASE_URL        server (default TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/postgres)
 *   LEDGER_BENCH_ROWS         records in the log for (b) and (c) (default 1000000)
 *   LEDGER_BENCH_APPEND_ROWS  records appended for (a) (default 50000)
 *   LEDGER_BENCH_PRIVACY_ROWS records appended by each path for (a2) (default 20000)
 *   LEDGER_BENCH_KEEP=1       keep the database (name printed) with its key and external checkpoints
 *                             ($TMPDIR/dl-bench-ledger-<name>); LEDGER_BENCH_DB=<name> reuses one
 *                             (then (a) and the fill are skipped)
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { executeSql, queryRows, type Db } from "../db/client";
import { readLogSize } from "../db/queries/log-entries";
import { bigintColumn, byteaColumn } from "../db/rows/columns";
import { nodeHasher } from "../lib/hash/node-sha256";
import { generateDemoStatements } from "../lib/demo/generate-demo-statements";
import { verifyInclusion } from "../lib/ledger/merkle";
import { generateSignerKey } from "../lib/ledger/signed-note";
import type { XapiStatement } from "../lib/ledger/xapi/types";
import { appendDecisions } from "../lib/ledger-store/append-decisions";
import { DirectoryCheckpointStore } from "../lib/ledger-store/checkpoint-store";
import { createCheckpoint, originOf } from "../lib/ledger-store/create-checkpoint";
import { readInclusionProof, readTreeRoot } from "../lib/ledger-store/merkle-store";
import { verifyLog } from "../lib/ledger-store/verify/verify-database";
import { columnTypes, createBaselineTable, decisionColumns, dropSecondaryIndexes, insertStatement, readDecisionRows } from "./support/baseline-table";
import { createBenchDatabase } from "./support/bench-db";
import { describeMachine, formatRate, markdownTable, percentile, table, timed } from "./support/stats";
import { appendLegacyDecisions } from "../tests/support/legacy-ledger";
import { newPersonalDataKeys } from "../tests/support/personal-data-keys";

const BENCH_KEYS = newPersonalDataKeys();

const ROWS = Number(process.env.LEDGER_BENCH_ROWS ?? 1_000_000);
const APPEND_ROWS = Number(process.env.LEDGER_BENCH_APPEND_ROWS ?? 50_000);
const PRIVACY_ROWS = Number(process.env.LEDGER_BENCH_PRIVACY_ROWS ?? 20_000);
const BATCH = 1_000;
const VERIFY_BATCH = 5_000;
const PROOFS = 1_000;
const ORIGIN = "bench.decision-ledger.local";
const WRITER = { name: "ledger-bench" };

const log = (text: string) => process.stderr.write(`${text}\n`);
const n = (x: number) => Math.round(x).toLocaleString("en-US");

interface Result {
  name: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  pass: string;
}

/** A throughput measure, (a) or (b), against its baseline: the target is at least half the baseline's rate. */
function rateAgainstBaseline(name: string, rate: number, baselineRate: number): Result {
  return {
    name,
    value: formatRate(rate),
    baseline: formatRate(baselineRate),
    ratio: `${Math.round((rate / baselineRate) * 100)}%`,
    target: ">= 50%",
    pass: rate / baselineRate >= 0.5 ? "yes" : "NO",
  };
}

/** The log's signing key and external checkpoint store, and how to sign a checkpoint. */
interface Signing {
  keys: { signerKey: string; verifierKey: string };
  externalStore: DirectoryCheckpointStore;
  sign(): Promise<unknown>;
}

/** Fresh ids, so a statement can be appended again as a new record (same size and shape). */
function reissue(pool: XapiStatement[], count: number, offset: number): XapiStatement[] {
  const out: XapiStatement[] = [];
  for (let i = 0; i < count; i++) out.push({ ...pool[(offset + i) % pool.length]!, id: randomUUID() });
  return out;
}

const logSize = (db: Db) => readLogSize(db, "decisions");

/**
 * The verification baseline: read canonical bytes and hash them in SQL, keyset batches in
 * seq order. The rows are shipped and decoded by the driver but not shape-checked (a zod
 * parse would add ~0.6 µs a row to the floor the verifier is measured against); the count
 * of what was read is checked once, after the timing.
 */
async function sqlHashBaseline(db: Db, size: number): Promise<void> {
  for (let a = 0; a < size; a += VERIFY_BATCH) {
    await executeSql(db, sql`select seq, sha256(convert_to(canonical, 'UTF8')) as h from decisions where seq >= ${a} and seq < ${a + VERIFY_BATCH} order by seq`);
  }
}

async function decisionCount(db: Db): Promise<number> {
  const rows = await queryRows(db, sql`select count(*) as n from decisions`, z.object({ n: bigintColumn }));
  return rows[0]?.n ?? 0;
}

async function main(): Promise<void> {
  const keep = process.env.LEDGER_BENCH_KEEP === "1" || Boolean(process.env.LEDGER_BENCH_DB);
  const bench = await createBenchDatabase("dl_bench_ledger", { reuse: process.env.LEDGER_BENCH_DB, keep });
  const db = bench.db;
  // A kept database keeps its signing key and external checkpoints beside it in the temp dir,
  // so a later run with LEDGER_BENCH_DB=<name> verifies the same signed history.
  const stateDir = keep ? path.join(tmpdir(), `dl-bench-ledger-${bench.name}`) : mkdtempSync(path.join(tmpdir(), "dl-bench-ledger-"));
  mkdirSync(stateDir, { recursive: true });
  try {
    const signing = await openSigning(db, stateDir);
    log(`database ${bench.name}${keep ? " (kept)" : ""}, external checkpoints in ${path.join(stateDir, "checkpoints")}`);
    const results: Result[] = [];
    if (!process.env.LEDGER_BENCH_DB) {
      await appendAndFill(db, signing, results);
    } else {
      // A reused database: sign whatever is there into this run's external store.
      await signing.sign();
    }
    const size = await logSize(db);
    await executeSql(db, sql.raw("vacuum analyze"));
    const verificationRuns = await measureVerification(db, size, signing, results);
    await measureProofs(db, size, results);
    await printReport(db, results, verificationRuns);
  } finally {
    if (!keep) rmSync(stateDir, { recursive: true, force: true });
    await bench.drop();
  }
}

async function openSigning(db: Db, stateDir: string): Promise<Signing> {
  const externalStore = new DirectoryCheckpointStore(path.join(stateDir, "checkpoints"));
  const keysFile = path.join(stateDir, "keys.json");
  const keys = existsSync(keysFile) ? (JSON.parse(readFileSync(keysFile, "utf8")) as Signing["keys"]) : await generateSignerKey(ORIGIN);
  writeFileSync(keysFile, JSON.stringify(keys));
  const sign = () => createCheckpoint(db, { logId: "decisions", origin: originOf(ORIGIN, "decisions"), signer: { signerKey: keys.signerKey }, externalStore });
  return { keys, externalStore, sign };
}

/**
 * (a), then the fill with the same statements. Its own function so that the statements
 * (~100 MB) are garbage by the time (b) runs: an async main() kept them reachable, and the
 * verifier then measured the collector marking them over and over (a third slower).
 */
async function appendAndFill(db: Db, signing: Signing, results: Result[]): Promise<void> {
  const pool = await measureAppend(db, results);
  await measurePrivacyCost(db, pool, results);
  await fillLog(db, pool, signing);
}

/** (a) appendDecisions against plain INSERTs of the same rows; returns the statements appended. */
async function measureAppend(db: Db, results: Result[]): Promise<XapiStatement[]> {
  log(`generating ${n(APPEND_ROWS)} demo statements...`);
  const pool = generateDemoStatements({ count: APPEND_ROWS, now: new Date(), days: 90, seed: 1 });
  log(`(a) appending ${n(APPEND_ROWS)} records through appendDecisions in batches of ${n(BATCH)}...`);
  const append = await timed(async () => {
    for (let i = 0; i < pool.length; i += BATCH) await appendDecisions(db, BENCH_KEYS, pool.slice(i, i + BATCH), WRITER);
  });
  const appendRate = (APPEND_ROWS / append.ms) * 1000;
  log(`    ${formatRate(appendRate)}`);

  const columns = await decisionColumns(db);
  const types = await columnTypes(db, columns);
  const months = await queryRows(db, sql`select distinct to_char(recorded_at at time zone 'UTC', 'YYYY-MM') as m from decisions`, z.object({ m: z.string() }));
  await createBaselineTable(db, months.map((m) => m.m));
  const rows = await readDecisionRows(db, columns);
  log(`(a) baseline: inserting the same ${n(rows.length)} rows into decisions_baseline in batches of ${n(BATCH)}...`);
  const baseline = await timed(async () => {
    for (let i = 0; i < rows.length; i += BATCH) {
      const batch = rows.slice(i, i + BATCH);
      // Same shape as appendDecisions: one transaction per batch, inserts of 500 rows.
      await db.transaction(async (tx) => {
        for (let j = 0; j < batch.length; j += 500) await executeSql(tx, insertStatement("decisions_baseline", columns, types, batch.slice(j, j + 500)));
      });
    }
  });
  const baselineRate = (rows.length / baseline.ms) * 1000;
  log(`    ${formatRate(baselineRate)}`);
  await executeSql(db, sql.raw(`drop table decisions_baseline`));
  results.push(rateAgainstBaseline("(a) append, batches of 1,000", appendRate, baselineRate));
  return pool;
}

/**
 * (a2) appendDecisions against the previous release's append, PRIVACY_ROWS records each, in
 * alternating batches (which one goes first alternates too), timing each path's batches only.
 */
async function measurePrivacyCost(db: Db, pool: XapiStatement[], results: Result[]): Promise<void> {
  log(`(a2) ${n(PRIVACY_ROWS)} records through appendDecisions and ${n(PRIVACY_ROWS)} through the previous release's append, alternating batches of ${n(BATCH)}...`);
  const ms = { committed: 0, legacy: 0 };
  const paths = {
    committed: (batch: XapiStatement[]) => appendDecisions(db, BENCH_KEYS, batch, WRITER),
    legacy: (batch: XapiStatement[]) => appendLegacyDecisions(db, batch, WRITER),
  };
  const offset = await logSize(db);
  for (let i = 0; i < PRIVACY_ROWS; i += BATCH) {
    const count = Math.min(BATCH, PRIVACY_ROWS - i);
    const order = (i / BATCH) % 2 === 0 ? (["committed", "legacy"] as const) : (["legacy", "committed"] as const);
    for (const which of order) {
      const batch = reissue(pool, count, offset + 2 * i + (which === "legacy" ? count : 0));
      ms[which] += (await timed(() => paths[which](batch))).ms;
    }
  }
  const committedRate = (PRIVACY_ROWS / ms.committed) * 1000;
  const legacyRate = (PRIVACY_ROWS / ms.legacy) * 1000;
  log(`    appendDecisions ${formatRate(committedRate)}, previous release ${formatRate(legacyRate)} (${Math.round((committedRate / legacyRate) * 100)}%)`);
  results.push({ ...rateAgainstBaseline("(a2) append with commitments + encryption, vs previous append", committedRate, legacyRate), target: "-", pass: "-" });
}

/** Fills the log to ROWS records through appendDecisions, signing a checkpoint every tenth of the way. */
async function fillLog(db: Db, pool: XapiStatement[], signing: Signing): Promise<void> {
  let size = await logSize(db);
  const startSize = size;
  const step = Math.max(BATCH, Math.round(ROWS / 10 / BATCH) * BATCH);
  const dropped = await dropSecondaryIndexes(db);
  log(`filling the log to ${n(ROWS)} records through appendDecisions (checkpoint every ${n(step)}; the ${dropped.length} explorer indexes dropped first, see docs/benchmarks.md)...`);
  const fillStart = performance.now();
  let nextCheckpoint = Math.ceil((size + 1) / step) * step;
  await signing.sign();
  while (size < ROWS) {
    const count = Math.min(BATCH, ROWS - size);
    size = (await appendDecisions(db, BENCH_KEYS, reissue(pool, count, size), WRITER)).treeSize;
    if (size >= nextCheckpoint || size >= ROWS) {
      await signing.sign();
      nextCheckpoint += step;
      const s = (performance.now() - fillStart) / 1000;
      log(`    ${n(size)} records, ${formatRate((size - startSize) / s)}`);
    }
  }
}

/** (b) verifyLog over the whole log against the SQL read+hash baseline, best of two rounds each. */
async function measureVerification(db: Db, size: number, signing: Signing, results: Result[]): Promise<string> {
  log(`(b) verification of ${n(size)} records; SQL read+hash baseline first (also warms the cache)...`);
  const runs: { verify: number[]; baseline: number[] } = { verify: [], baseline: [] };
  for (let round = 0; round < 2; round++) {
    const base = await timed(() => sqlHashBaseline(db, size));
    runs.baseline.push((size / base.ms) * 1000);
    log(`    baseline round ${round + 1}: ${formatRate(runs.baseline[round]!)}`);
    const v = await timed(() =>
      verifyLog(db, { logId: "decisions", verifierKeys: [signing.keys.verifierKey], externalStore: signing.externalStore, origin: originOf(ORIGIN, "decisions") }),
    );
    if (!v.value.ok) throw new Error(`verification failed: ${JSON.stringify(v.value.failures.slice(0, 3))}`);
    runs.verify.push((size / v.ms) * 1000);
    log(`    verifyLog round ${round + 1}: ${formatRate(runs.verify[round]!)} (${n(v.value.recordsChecked)} records, ${v.value.checkpointsChecked} checkpoints)`);
  }
  const read = await decisionCount(db);
  if (read !== size) throw new Error(`baseline read ${read} rows, expected ${size}`);
  const verifyRate = Math.max(...runs.verify);
  const baselineRate = Math.max(...runs.baseline);
  results.push(rateAgainstBaseline(`(b) full verification, ${n(size)} records`, verifyRate, baselineRate));
  return `Verification runs (records/s): verifyLog ${runs.verify.map(n).join(", ")}; SQL baseline ${runs.baseline.map(n).join(", ")}`;
}

/** (c) latency of readInclusionProof for PROOFS random leaves; each proof is also verified. */
async function measureProofs(db: Db, size: number, results: Result[]): Promise<void> {
  log(`(c) ${PROOFS} inclusion proofs at size ${n(size)}...`);
  const root = await readTreeRoot(db, "decisions", size);
  const leaves = new Map<number, Uint8Array>();
  const indexes = Array.from({ length: PROOFS }, () => Math.floor(Math.random() * size));
  const leafRows = await queryRows(
    db,
    sql`select seq, leaf_hash from log_entries where log_id = 'decisions' and seq = any(${sql.raw(`array[${indexes.join(",")}]::bigint[]`)})`,
    z.object({ seq: bigintColumn, leaf_hash: byteaColumn }),
  );
  for (const r of leafRows) leaves.set(r.seq, r.leaf_hash);
  for (let i = 0; i < 50; i++) await readInclusionProof(db, "decisions", indexes[i]!, size); // warm-up
  const latencies: number[] = [];
  for (const index of indexes) {
    const t0 = performance.now();
    const proof = await readInclusionProof(db, "decisions", index, size);
    latencies.push(performance.now() - t0);
    verifyInclusion(nodeHasher, index, size, leaves.get(index)!, proof, root);
  }
  latencies.sort((a, b) => a - b);
  const [p50, p95, p99] = [50, 95, 99].map((p) => percentile(latencies, p));
  results.push({
    name: `(c) inclusion proof at ${n(size)}, p50 / p95 / p99`,
    value: `${p50!.toFixed(2)} / ${p95!.toFixed(2)} / ${p99!.toFixed(2)} ms`,
    baseline: "-",
    ratio: "-",
    target: "p99 < 5 ms",
    pass: p99! < 5 ? "yes" : "NO",
  });
}

async function printReport(db: Db, results: Result[], verificationRuns: string): Promise<void> {
  const header = ["measure", "ledger", "baseline", "ratio", "target", "met"];
  const rows = results.map((r) => [r.name, r.value, r.baseline, r.ratio, r.target, r.pass]);
  const [server] = await queryRows(db, sql`select version() as v`, z.object({ v: z.string() }));
  const machine = describeMachine(server?.v);
  process.stdout.write(`\nLedger benchmark (${machine})\n\n${table(header, rows)}\n\n`);
  process.stdout.write(`Markdown:\n\n${markdownTable(header, rows)}\n\nMachine: ${machine}\n`);
  process.stdout.write(`${verificationRuns}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
