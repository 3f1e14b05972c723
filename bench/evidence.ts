/**
 * Evidence bundle benchmark (`npm run bench:evidence`).
 *
 * On the Postgres server (BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres)
 * it creates its own database, fills it with 100,000 realistic decisions through the real
 * ingest path (appendDecisions, batches of 1,000), then measures, for a sparse 10,000-record
 * selection and for all 100,000 records:
 *   - baseline: merely reading the same records (canonical bytes + leaf hash) in the same
 *     batches, nothing else;
 *   - export: writing the evidence bundle (records, proofs, report, manifest, receipt);
 *   - verify: `decision-ledger verify <bundle> --key … --json`, the CLI's own entry (cli/main.ts)
 *     in a child that loads nothing else (support/evidence-verify-child.ts), reading the bundle
 *     from disk as a user runs it.
 * Each measurement runs in its own child process with Node's default heap (except the row
 * that says otherwise), so its peak memory is its own: RSS sampled every 20 ms, and the
 * kernel's high-water mark (process.resourceUsage().maxRSS), which also counts the process's
 * start and module loading. Two children that only load the modules give that fixed part.
 * The database is dropped at the end.
 *
 *   npm run bench:evidence                 # 10,000 and 100,000
 *   BENCH_EVIDENCE_SIZES=10000 npm run bench:evidence
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { executeSql, migrateDatabase, openDatabase, queryRows, type Db } from "../db/client";
import { byteaColumn } from "../db/rows/columns";
import { generateDemoStatements } from "../lib/demo/generate-demo-statements";
import { toStoredFilters, type ExportSelection } from "../lib/evidence/selection";
import { noDecisionFilters } from "../lib/filters/decision-filters";
import { toHex } from "../lib/ledger/bytes";
import { generateSignerKey } from "../lib/ledger/signed-note";
import { appendDecisions } from "../lib/ledger-store/append-decisions";
import { DirectoryCheckpointStore } from "../lib/ledger-store/checkpoint-store";
import { createCheckpoint, originOf } from "../lib/ledger-store/create-checkpoint";
import { loadPersonalDataKeys } from "../lib/privacy/personal-data-keys";
import { writeEvidenceExport } from "../lib/services/evidence";
import { measured, type ChildResult } from "./support/evidence-measure";

/** PERSONAL_DATA_KEK and PERSONAL_DATA_INDEX_KEY in hex, as a deployment's environment holds them. */
type PersonalDataKeyEnv = Record<"PERSONAL_DATA_KEK" | "PERSONAL_DATA_INDEX_KEY", string>;


const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const ORIGIN = "bench.decision-ledger.local";
const SELF = fileURLToPath(import.meta.url);
// Child processes run server modules outside Next.js, as the CLI does (bin/server-conditions.mjs).
const SERVER_CONDITIONS = new URL("../bin/register-server-conditions.mjs", import.meta.url).href;
const CAPPED_HEAP_MB = 96;

async function selectionSeqs(db: Db, sel: ExportSelection): Promise<number[]> {
  const { listSelectedDecisionSeqs } = await import("../db/queries/evidence-exports");
  const { fromStoredFilters } = await import("../lib/evidence/selection");
  return listSelectedDecisionSeqs(db, { filters: sel.filters ? fromStoredFilters(sel.filters) : null, ids: sel.ids });
}

// ---------------------------------------------------------------------------------------
// Child: one measurement
// ---------------------------------------------------------------------------------------

async function child(): Promise<void> {
  const job = JSON.parse(readFileSync(process.env.BENCH_EVIDENCE_JOB!, "utf8")) as {
    kind: "modules" | "baseline" | "export";
    url: string;
    selection: ExportSelection;
    out: string;
    signerKey: string;
    verifierKey: string;
    checkpointDir: string;
    personalDataKeys: PersonalDataKeyEnv;
  };
  let result: ChildResult;
  if (job.kind === "modules") {
    // What the export child loads (this file's imports) before it starts: the fixed part of its peak.
    result = await measured(async () => ({ records: 0 }));
  } else {
    const database = await openDatabase({ url: job.url });
    try {
      const db = database.db;
      if (job.kind === "baseline") {
        result = await measured(async () => {
          const seqs = await selectionSeqs(db, job.selection);
          let bytes = 0;
          for (let i = 0; i < seqs.length; i += 1000) {
            const batch = seqs.slice(i, i + 1000);
            const rows = await queryRows(
              db,
              sql`select d.canonical, e.leaf_hash from log_entries e join decisions d on d.seq = e.seq and d.recorded_at = e.recorded_at
                  where e.log_id = 'decisions' and e.seq = any(${sql.raw(`array[${batch.join(",")}]::bigint[]`)}) order by e.seq`,
              z.object({ canonical: z.string(), leaf_hash: byteaColumn }),
            );
            for (const r of rows) bytes += r.canonical.length + r.leaf_hash.length;
          }
          return { records: seqs.length, bytes };
        });
      } else {
        result = await measured(async () => {
          const r = await writeEvidenceExport(
            {
              db,
              origin: ORIGIN,
              verifierKey: job.verifierKey,
              signer: { signerKey: job.signerKey },
              externalStore: new DirectoryCheckpointStore(job.checkpointDir),
              exportsDir: path.dirname(job.out),
              personalDataKeys: loadPersonalDataKeys(job.personalDataKeys),
            },
            {
              bundleId: "00000000-0000-4000-8000-00000000be9c",
              selection: job.selection,
              actor: { id: "bench", email: "bench@decision-ledger.local", name: "Benchmark", role: "compliance_officer" },
              disclosure: { reason: "benchmark of a full evidence export" },
              outPath: job.out,
            },
          );
          return { records: r.recordCount, bytes: statSync(job.out).size };
        });
      }
    } finally {
      await database.close();
    }
  }
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

/** The verify child: a process that loads only what `decision-ledger verify` loads. */
const VERIFY_CHILD = fileURLToPath(new URL("./support/evidence-verify-child.ts", import.meta.url));

function runChild(job: Record<string, unknown>, dir: string, nodeArgs: string[] = []): ChildResult {
  // The job (with up to 10,000 ids) goes through a file: too large for an environment variable.
  const jobFile = path.join(dir, `job-${String(job.kind)}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  const script = job.kind === "verify" ? VERIFY_CHILD : SELF;
  const r = spawnSync(process.execPath, [...nodeArgs, "--import", SERVER_CONDITIONS, "--import", "tsx", script], {
    env: { ...process.env, BENCH_EVIDENCE_CHILD: "1", BENCH_EVIDENCE_JOB: jobFile },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("BENCH_RESULT "));
  if (r.status !== 0 || !line) throw new Error(`benchmark child (${String(job.kind)}) failed:\n${r.stderr}`);
  return JSON.parse(line.slice("BENCH_RESULT ".length)) as ChildResult;
}

// ---------------------------------------------------------------------------------------
// Parent: build the ledger, run the matrix, print
// ---------------------------------------------------------------------------------------

async function parent(): Promise<void> {
  const sizes = (process.env.BENCH_EVIDENCE_SIZES ?? "10000,100000").split(",").map(Number);
  const total = Math.max(...sizes);
  // BENCH_EVIDENCE_KEEP_DB=<name> keeps the database (and its keys) for the next run, which then
  // skips seeding: for iterating on the exporter. Without it everything is created and dropped.
  const keep = process.env.BENCH_EVIDENCE_KEEP_DB;
  const name = keep ?? `dl_bench_evidence_${toHex(randomBytes(4))}`;
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error("BENCH_EVIDENCE_KEEP_DB must be a plain database name");
  const admin = await openDatabase({ url: ADMIN_URL });
  const exists = (await queryRows(admin.db, sql`select 1 as found from pg_database where datname = ${name}`, z.object({ found: z.number() }))).length > 0;
  if (!exists) await executeSql(admin.db, sql.raw(`create database ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const tmp = mkdtempSync(path.join(tmpdir(), "dl-bench-evidence-"));
  const stateDir = keep ? path.join(tmpdir(), `dl-bench-evidence-${name}`) : tmp;
  mkdirSync(stateDir, { recursive: true });
  const keysFile = path.join(stateDir, "keys.json");
  // The personal-data keys go to the children as the environment a server reads them from.
  const keys = existsSync(keysFile)
    ? (JSON.parse(readFileSync(keysFile, "utf8")) as { signerKey: string; verifierKey: string; personalDataKeys: PersonalDataKeyEnv })
    : {
        ...(await generateSignerKey(ORIGIN)),
        personalDataKeys: { PERSONAL_DATA_KEK: randomBytes(32).toString("hex"), PERSONAL_DATA_INDEX_KEY: randomBytes(32).toString("hex") },
      };
  writeFileSync(keysFile, JSON.stringify(keys));
  const checkpointDir = path.join(stateDir, "checkpoints");
  try {
    const database = await openDatabase({ url: url.toString() });
    await migrateDatabase(database);
    let ids = (
      await queryRows(database.db, sql`select entry_id from log_entries where log_id = 'decisions' order by seq`, z.object({ entry_id: z.string() }))
    ).map((r) => r.entry_id);
    if (ids.length < total) {
      const t0 = performance.now();
      const statements = generateDemoStatements({ count: total - ids.length, now: new Date(), days: 90, seed: `bench-evidence-${ids.length}` });
      for (let i = 0; i < statements.length; i += 1000) {
        const r = await appendDecisions(database.db, loadPersonalDataKeys(keys.personalDataKeys), statements.slice(i, i + 1000), { name: "bench-writer" });
        ids.push(...r.records.map((x) => x.id));
        if ((i / 1000) % 20 === 19) {
          await createCheckpoint(database.db, {
            logId: "decisions",
            origin: originOf(ORIGIN, "decisions"),
            signer: { signerKey: keys.signerKey },
            externalStore: new DirectoryCheckpointStore(checkpointDir),
          });
        }
        if ((i / 1000) % 10 === 9) process.stderr.write(`\rseeded ${i + 1000} of ${statements.length}`);
      }
      process.stderr.write(`\rseeded ${statements.length} decisions in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }
    ids = ids.slice(0, total);
    await database.close();

    const rows: { size: number; what: string; r: ChildResult }[] = [];
    process.stderr.write("modules…\n");
    const modules = runChild({ kind: "modules" }, tmp);
    const cliModules = runChild({ kind: "verify", out: null }, tmp);
    for (const size of sizes) {
      // A sparse selection (every k-th record) below the full size, the whole ledger at it.
      const selection: ExportSelection =
        size >= total
          ? {
              filters: toStoredFilters(noDecisionFilters()),
              ids: null,
            }
          : { filters: null, ids: ids.filter((_, i) => i % Math.floor(total / size) === 0).slice(0, size) };
      const out = path.join(tmp, `bundle-${size}.zip`);
      const job = { url: url.toString(), selection, out, signerKey: keys.signerKey, verifierKey: keys.verifierKey, checkpointDir, personalDataKeys: keys.personalDataKeys };
      for (const kind of ["baseline", "export", "verify"] as const) {
        process.stderr.write(`${kind} ${size}…\n`);
        rows.push({ size, what: kind, r: runChild({ ...job, kind }, tmp) });
      }
      // The same export with V8's old generation capped: shows the live set is small and does
      // not grow with the export (the uncapped peak is mostly garbage V8 had not collected yet).
      process.stderr.write(`export ${size} (capped heap)…\n`);
      rows.push({ size, what: "export-capped", r: runChild({ ...job, kind: "export" }, tmp, [`--max-old-space-size=${CAPPED_HEAP_MB}`]) });
    }

    const fmt = (n: number, d = 0) => n.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
    console.log(`\nEvidence bundles: ${cpus().length} CPU(s) (${cpus()[0]?.model ?? "?"}), ${fmt(totalmem() / 1024 ** 3, 1)} GB RAM, Node ${process.version}, Postgres at ${url.host}\n`);
    console.log(
      `Children that only load their modules: ${fmt(modules.maxRssMb)} MB max RSS for the export's, ${fmt(cliModules.maxRssMb)} MB for \`decision-ledger verify\`'s.\n`,
    );
    console.log("| Records | Operation | Time | Records/s | vs. baseline | Peak RSS (sampled) | Max RSS (kernel) | Peak heap | Bundle size |");
    console.log("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const { size, what, r } of rows) {
      const base = rows.find((x) => x.size === size && x.what === "baseline")!.r;
      console.log(
        `| ${fmt(size)} | ${
          {
            baseline: "read records only (baseline)",
            export: "export bundle",
            "export-capped": `export bundle, --max-old-space-size=${CAPPED_HEAP_MB}`,
            verify: "verify bundle (offline, CLI)",
          }[what]
        } | ${fmt(r.ms / 1000, 2)} s | ${fmt(
          r.records / (r.ms / 1000),
        )} | ${what === "baseline" ? "1.0×" : `${fmt(r.ms / base.ms, 1)}×`} | ${fmt(r.peakRssMb)} MB | ${fmt(r.maxRssMb)} MB | ${fmt(r.peakHeapMb)} MB | ${what.startsWith("export") && r.bytes ? `${fmt(r.bytes / 1024 / 1024, 1)} MB` : ""} |`,
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    if (!keep) await executeSql(admin.db, sql.raw(`drop database if exists ${name} with (force)`));
    await admin.close();
  }
}

if (process.env.BENCH_EVIDENCE_CHILD) {
  await child();
  process.exit(0);
} else {
  await parent();
  process.exit(0);
}
