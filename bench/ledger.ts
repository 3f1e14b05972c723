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
 * signed every tenth of the way, into an external checkpoint directory in the temp dir.
 * Before the fill (after (a)) the explorer's secondary indexes on `decisions` are dropped:
 * they cost most of each insert, and neither (b) nor (c) reads through them.
 *
 *   BENCH_DATABASE_URL        server (default TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/postgres)
 *   LEDGER_BENCH_ROWS         records in the log for (b) and (c) (default 1000000)
 *   LEDGER_BENCH_APPEND_ROWS  records appended for (a) (default 50000)
 *   LEDGER_BENCH_KEEP=1       keep the database (name printed) with its key and external checkpoints
 *                             ($TMPDIR/dl-bench-ledger-<name>); LEDGER_BENCH_DB=<name> reuses one
 *                             (then (a) and the fill are skipped)
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { queryRowsUnchecked, type Db } from "../db/client";
import { generateDemoStatements } from "../lib/demo/generate-demo-statements";
import { sha256 } from "../lib/ledger-store/hash-node";
import { verifyInclusion } from "../lib/ledger/merkle";
import { generateSignerKey } from "../lib/ledger/signed-note";
import type { XapiStatement } from "../lib/ledger/statement";
import { appendDecisions } from "../lib/ledger-store/append-decisions";
import { DirectoryCheckpointStore } from "../lib/ledger-store/checkpoint-store";
import { createCheckpoint, originOf } from "../lib/ledger-store/create-checkpoint";
import { readInclusionProof, readTreeRoot } from "../lib/ledger-store/merkle-store";
import { verifyLog } from "../lib/ledger-store/verify/verify-database";
import { columnTypes, createBaselineTable, decisionColumns, dropSecondaryIndexes, insertStatement, readDecisionRows } from "./support/baseline-table";
import { createBenchDatabase } from "./support/bench-db";
import { formatRate, markdownTable, percentile, table, timed } from "./support/stats";

const ROWS = Number(process.env.LEDGER_BENCH_ROWS ?? 1_000_000);
const APPEND_ROWS = Number(process.env.LEDGER_BENCH_APPEND_ROWS ?? 50_000);
const BATCH = 1_000;
const VERIFY_BATCH = 5_000;
const PROOFS = 1_000;
const ORIGIN = "bench.decision-ledger.local";
const WRITER = { name: "ledger-bench" };

const log = (text: string) => process.stderr.write(`${text}\n`);
const n = (x: number) => Math.round(x).toLocaleString("en-US");

/** Fresh ids, so a statement can be appended again as a new record (same size and shape). */
function reissue(pool: XapiStatement[], count: number, offset: number): XapiStatement[] {
  const out: XapiStatement[] = [];
  for (let i = 0; i < count; i++) out.push({ ...pool[(offset + i) % pool.length]!, id: randomUUID() });
  return out;
}

async function logSize(db: Db): Promise<number> {
  const rows = await queryRowsUnchecked<{ n: string | number | null }>(db, sql`select max(seq) + 1 as n from log_entries where log_id = 'decisions'`);
  return Number(rows[0]?.n ?? 0);
}

/** The verification baseline: read canonical bytes and hash them in SQL, keyset batches in seq order. */
async function sqlHashBaseline(db: Db, size: number): Promise<number> {
  let rows = 0;
  for (let a = 0; a < size; a += VERIFY_BATCH) {
    const r = await queryRowsUnchecked<{ seq: string; h: Uint8Array }>(
      db,
      sql`select seq, sha256(convert_to(canonical, 'UTF8')) as h from decisions where seq >= ${a} and seq < ${a + VERIFY_BATCH} order by seq`,
    );
    rows += r.length;
  }
  return rows;
}

async function main(): Promise<void> {
  const keep = process.env.LEDGER_BENCH_KEEP === "1" || Boolean(process.env.LEDGER_BENCH_DB);
  const bench = await createBenchDatabase("dl_bench_ledger", { reuse: process.env.LEDGER_BENCH_DB, keep });
  const db = bench.db;
  // A kept database keeps its signing key and external checkpoints beside it in the temp dir,
  // so a later run with LEDGER_BENCH_DB=<name> verifies the same signed history.
  const stateDir = keep ? path.join(tmpdir(), `dl-bench-ledger-${bench.name}`) : mkdtempSync(path.join(tmpdir(), "dl-bench-ledger-"));
  mkdirSync(stateDir, { recursive: true });
  const checkpointDir = path.join(stateDir, "checkpoints");
  const externalStore = new DirectoryCheckpointStore(checkpointDir);
  const keysFile = path.join(stateDir, "keys.json");
  const keys = existsSync(keysFile) ? (JSON.parse(readFileSync(keysFile, "utf8")) as { signerKey: string; verifierKey: string }) : await generateSignerKey(ORIGIN);
  writeFileSync(keysFile, JSON.stringify(keys));
  const signCheckpoint = () =>
    createCheckpoint(db, { logId: "decisions", origin: originOf(ORIGIN, "decisions"), signer: { signerKey: keys.signerKey }, externalStore });
  log(`database ${bench.name}${keep ? " (kept)" : ""}, external checkpoints in ${checkpointDir}`);

  const results: { name: string; value: string; baseline: string; ratio: string; target: string; pass: string }[] = [];
  try {
    // ---------------------------------------------------------------- (a) append
    let appendRate = NaN;
    if (!process.env.LEDGER_BENCH_DB) {
      log(`generating ${n(APPEND_ROWS)} demo statements...`);
      const pool = generateDemoStatements({ count: APPEND_ROWS, now: new Date(), days: 90, seed: 1 });
      log(`(a) appending ${n(APPEND_ROWS)} records through appendDecisions in batches of ${n(BATCH)}...`);
      const append = await timed(async () => {
        for (let i = 0; i < pool.length; i += BATCH) await appendDecisions(db, pool.slice(i, i + BATCH), WRITER);
      });
      appendRate = (APPEND_ROWS / append.ms) * 1000;
      log(`    ${formatRate(appendRate)}`);

      const columns = await decisionColumns(db);
      const types = await columnTypes(db, columns);
      const months = await queryRowsUnchecked<{ m: string }>(db, sql`select distinct to_char(recorded_at at time zone 'UTC', 'YYYY-MM') as m from decisions`);
      await createBaselineTable(db, months.map((m) => m.m));
      const rows = await readDecisionRows(db, columns);
      log(`(a) baseline: inserting the same ${n(rows.length)} rows into decisions_baseline in batches of ${n(BATCH)}...`);
      const baseline = await timed(async () => {
        for (let i = 0; i < rows.length; i += BATCH) {
          const batch = rows.slice(i, i + BATCH);
          // Same shape as appendDecisions: one transaction per batch, inserts of 500 rows.
          await db.transaction(async (tx) => {
            for (let j = 0; j < batch.length; j += 500) await queryRowsUnchecked(tx, insertStatement("decisions_baseline", columns, types, batch.slice(j, j + 500)));
          });
        }
      });
      const baselineRate = (rows.length / baseline.ms) * 1000;
      log(`    ${formatRate(baselineRate)}`);
      await queryRowsUnchecked(db, sql.raw(`drop table decisions_baseline`));
      results.push({
        name: "(a) append, batches of 1,000",
        value: formatRate(appendRate),
        baseline: formatRate(baselineRate),
        ratio: `${Math.round((appendRate / baselineRate) * 100)}%`,
        target: ">= 50%",
        pass: appendRate / baselineRate >= 0.5 ? "yes" : "NO",
      });

      // ---------------------------------------------------------------- fill
      let size = await logSize(db);
      const step = Math.max(BATCH, Math.round(ROWS / 10 / BATCH) * BATCH);
      const dropped = await dropSecondaryIndexes(db);
      log(`filling the log to ${n(ROWS)} records through appendDecisions (checkpoint every ${n(step)}; the ${dropped.length} explorer indexes dropped first, see docs/benchmarks.md)...`);
      const fillStart = performance.now();
      let nextCheckpoint = Math.ceil((size + 1) / step) * step;
      await signCheckpoint();
      while (size < ROWS) {
        const count = Math.min(BATCH, ROWS - size);
        size = (await appendDecisions(db, reissue(pool, count, size), WRITER)).treeSize;
        if (size >= nextCheckpoint || size >= ROWS) {
          await signCheckpoint();
          nextCheckpoint += step;
          const s = (performance.now() - fillStart) / 1000;
          log(`    ${n(size)} records, ${formatRate((size - APPEND_ROWS) / s)}`);
        }
      }
    } else {
      // A reused database: sign whatever is there into this run's external store.
      await signCheckpoint();
    }

    const size = await logSize(db);
    await queryRowsUnchecked(db, sql.raw("vacuum analyze"));

    // ---------------------------------------------------------------- (b) verification
    log(`(b) verification of ${n(size)} records; SQL read+hash baseline first (also warms the cache)...`);
    const runs: { verify: number[]; baseline: number[] } = { verify: [], baseline: [] };
    let checkpoints = 0;
    for (let round = 0; round < 2; round++) {
      const base = await timed(() => sqlHashBaseline(db, size));
      if (base.value !== size) throw new Error(`baseline read ${base.value} rows, expected ${size}`);
      runs.baseline.push((size / base.ms) * 1000);
      log(`    baseline round ${round + 1}: ${formatRate(runs.baseline[round]!)}`);
      const v = await timed(() => verifyLog(db, { logId: "decisions", verifierKeys: [keys.verifierKey], externalStore, origin: originOf(ORIGIN, "decisions") }));
      if (!v.value.ok) throw new Error(`verification failed: ${JSON.stringify(v.value.failures.slice(0, 3))}`);
      checkpoints = v.value.checkpointsChecked;
      runs.verify.push((size / v.ms) * 1000);
      log(`    verifyLog round ${round + 1}: ${formatRate(runs.verify[round]!)} (${n(v.value.recordsChecked)} records, ${checkpoints} checkpoints)`);
    }
    const verifyRate = Math.max(...runs.verify);
    const baselineRate = Math.max(...runs.baseline);
    results.push({
      name: `(b) full verification, ${n(size)} records`,
      value: formatRate(verifyRate),
      baseline: formatRate(baselineRate),
      ratio: `${Math.round((verifyRate / baselineRate) * 100)}%`,
      target: ">= 50%",
      pass: verifyRate / baselineRate >= 0.5 ? "yes" : "NO",
    });

    // ---------------------------------------------------------------- (c) inclusion proofs
    log(`(c) ${PROOFS} inclusion proofs at size ${n(size)}...`);
    const root = await readTreeRoot(db, "decisions", size);
    const leaves = new Map<number, Uint8Array>();
    const indexes = Array.from({ length: PROOFS }, () => Math.floor(Math.random() * size));
    const leafRows = await queryRowsUnchecked<{ seq: string | number; leaf_hash: Uint8Array }>(
      db,
      sql`select seq, leaf_hash from log_entries where log_id = 'decisions' and seq = any(${sql.raw(`array[${indexes.join(",")}]::bigint[]`)})`,
    );
    for (const r of leafRows) leaves.set(Number(r.seq), r.leaf_hash);
    for (let i = 0; i < 50; i++) await readInclusionProof(db, "decisions", indexes[i]!, size); // warm-up
    const latencies: number[] = [];
    for (const index of indexes) {
      const t0 = performance.now();
      const proof = await readInclusionProof(db, "decisions", index, size);
      latencies.push(performance.now() - t0);
      await verifyInclusion(sha256, index, size, leaves.get(index)!, proof, root);
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

    // ---------------------------------------------------------------- report
    const header = ["measure", "ledger", "baseline", "ratio", "target", "met"];
    const rows = results.map((r) => [r.name, r.value, r.baseline, r.ratio, r.target, r.pass]);
    const cpu = cpus()[0]?.model ?? "unknown CPU";
    const [server] = await queryRowsUnchecked<{ v: string }>(db, sql`select version() as v`);
    const machine = `${cpus().length} vCPU (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${server?.v.split(" on ")[0]}`;
    process.stdout.write(`\nLedger benchmark (${machine})\n\n${table(header, rows)}\n\n`);
    process.stdout.write(`Markdown:\n\n${markdownTable(header, rows)}\n\nMachine: ${machine}\n`);
    process.stdout.write(`Verification runs (records/s): verifyLog ${runs.verify.map(n).join(", ")}; SQL baseline ${runs.baseline.map(n).join(", ")}\n`);
  } finally {
    if (!keep) rmSync(stateDir, { recursive: true, force: true });
    await bench.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
