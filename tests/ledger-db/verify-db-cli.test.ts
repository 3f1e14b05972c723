import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase, type Db } from "@/db/client";
import type { DatabaseVerificationReport } from "@/lib/ledger-store/verify/verify-database";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { asSuperuser, buildLedger, entryAt, newKeys, TEST_ORIGIN, TempCheckpointStore, type LedgerKeys } from "./ledger-fixture";

const ROOT = path.resolve(__dirname, "../..");
const BIN = path.join(ROOT, "bin", "decision-ledger.mjs");

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(DATABASE_URL|DATA_DIR|LEDGER_|AUTO_MIGRATE|CHECKPOINT_DIR|DEMO|NEXTAUTH_)/.test(k)) clean[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "verify-db", ...args], { cwd: ROOT, env: { ...clean, ...env } as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] as const });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code: number | null) => resolve({ code, stdout, stderr }));
  });
}

describe.each(DATABASE_KINDS)("decision-ledger verify-db (%s)", (kind) => {
  let dataDir: string;
  let keys: LedgerKeys;
  let store: TempCheckpointStore;
  let t: TestDatabase | null = null;
  let env: Record<string, string>;

  /** Runs `fn` on the database the CLI will open (PGlite allows one process at a time, so it is closed again). */
  async function withDb(fn: (db: Db) => Promise<void>): Promise<void> {
    if (t) return fn(t.db);
    const database = await openDatabase({ dataDir: path.join(dataDir, "pglite") });
    try {
      await migrateDatabase(database);
      await fn(database.db);
    } finally {
      await database.close();
    }
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "dl-h5-cli-"));
    keys = await newKeys();
    store = new TempCheckpointStore(path.join(dataDir, "external-checkpoints"));
    if (kind === "postgres") t = await createTestDatabase("postgres");
    await withDb(async (db) => {
      await buildLedger(db, keys, store, { batches: 4, perBatch: 25, checkpointEvery: 2 });
    });
    env = {
      DATA_DIR: dataDir,
      LEDGER_ORIGIN: TEST_ORIGIN,
      LEDGER_SIGNING_KEY: keys.signerKey,
      CHECKPOINT_DIR: store.directory,
      ...(t ? { DATABASE_URL: t.url!, AUTO_MIGRATE: "false" } : {}),
    };
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a clean ledger: exit 0, says how many records and checkpoints it verified", async () => {
    const r = await cli(["--log", "decisions"], env);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/decisions log: OK\. Verified all 100 records and 2 signed checkpoint\(s\)/);
    expect(r.stdout).toMatch(/Everything verifies/);
    expect(r.stderr).toMatch(/decisions: 100 of 100 records \(100%\)/);
    const deep = await cli(["--log", "decisions", "--deep"], env);
    expect(deep.code).toBe(0);
    // Both logs by default; the previous run was itself written to the access log.
    const all = await cli(["--json"], env);
    expect(all.code).toBe(0);
    const report = JSON.parse(all.stdout) as DatabaseVerificationReport;
    expect(report.ok).toBe(true);
    expect(report.logs.map((l) => l.logId)).toEqual(["decisions", "access"]);
    expect(report.logs[1]!.recordsChecked).toBeGreaterThanOrEqual(1);
  });

  it("usage errors and an unreachable database exit 2", async () => {
    expect((await cli(["--from", "5"], env)).code).toBe(2);
    expect((await cli(["--log", "everything"], env)).code).toBe(2);
    expect((await cli(["--log", "decisions", "--from", "x"], env)).code).toBe(2);
    expect((await cli(["--log", "decisions", "--from", "500"], env)).code).toBe(2);
    const unreachable = await cli(["--log", "decisions"], { ...env, DATABASE_URL: "postgres://postgres@127.0.0.1:1/nothing" });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/Cannot reach the Postgres server/);
  });

  it("a tampered ledger: exit 1, names the first broken record", async () => {
    let entryId = "";
    await withDb(async (db) => {
      entryId = (await entryAt(db, 42)).entryId;
      await asSuperuser(db, [`update decisions set canonical = replace(canonical, '"verb":{', '"verb":{"x":1,') where seq = 42`]);
    });
    const r = await cli(["--log", "decisions"], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/decisions log: FAILED/);
    expect(r.stdout).toContain(`First broken record: seq 42 (statement ${entryId})`);
    expect(r.stdout).toMatch(/Record changed \[modified_record\] at seq 42/);
    // A range that does not include it verifies.
    const before = await cli(["--log", "decisions", "--from", "0", "--to", "41"], env);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/Verified 42 records \(seq 0-41 of 100\)/);
  });
});
