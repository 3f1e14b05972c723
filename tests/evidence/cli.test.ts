import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { migrateDatabase, openDatabase, queryRows } from "@/db/client";
import { generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import { BUNDLE_FILES as F, parseRecordLine } from "@/lib/evidence/bundle-format";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { deriveActorType } from "@/lib/ledger/xapi/actor-type";
import { createUser } from "@/lib/services/users";
import { bytes, rezip, text, unzip } from "./fixture";
import { loadPersonalDataKeys } from "@/lib/privacy/personal-data-keys";

/**
 * `decision-ledger export` and `decision-ledger verify` as a user runs them: child processes
 * on an embedded database in a temp DATA_DIR (verify needs no database at all).
 */
const ROOT = path.resolve(__dirname, "../..");
let dataDir: string;
let env: NodeJS.ProcessEnv;
/** The CLI reads its personal-data keys from the environment: the same keys must seal and open. */
const KEY_ENV = { PERSONAL_DATA_KEK: randomBytes(32).toString("hex"), PERSONAL_DATA_INDEX_KEY: randomBytes(32).toString("hex") };

/**
 * Runs the CLI as a child process without blocking the test worker (a synchronous spawn holds
 * its event loop, and vitest's worker RPC times out when several run in one test).
 */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(ROOT, "bin/decision-ledger.mjs"), ...args],
      { cwd: ROOT, env, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") return reject(error);
        resolve({ status: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

describe("decision-ledger export / verify", () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "dl-h7-cli-"));
    env = { ...process.env, DATA_DIR: dataDir, LEDGER_ORIGIN: "cli.evidence.test", DATABASE_URL: "", ...KEY_ENV };
    const keys = loadPersonalDataKeys({ ...KEY_ENV });
    const database = await openDatabase({ dataDir: path.join(dataDir, "pglite") });
    await migrateDatabase(database);
    const all = generateDemoStatements({ count: 200, now: new Date(), days: 10, seed: "h7-cli" });
    await appendDecisions(database.db, keys, all.slice(0, 100), { name: "h7-cli-writer" });
    await appendDecisions(database.db, keys, all.slice(100), { name: "h7-cli-writer" });
    const actor = { email: "cli", role: "system" };
    await createUser(database.db, { email: "officer@cli.test", name: "Olivia Officer", role: "compliance_officer", password: "correct horse battery", actor });
    await createUser(database.db, { email: "auditor@cli.test", name: "Aldo Auditor", role: "auditor", password: "correct horse battery", actor });
    await database.close();
  }, 120_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("exports a filtered selection as a named user, logs it, and the bundle verifies offline", async () => {
    const out = path.join(dataDir, "loans.zip");
    const r = await cli(["export", "--out", out, "--as", "officer@cli.test", "--actor-type", "ai,human_approved_ai"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Wrote .*loans\.zip: \d+ record\(s\)/);
    const key = /--key '([^']+)'/.exec(r.stdout)![1]!;

    const files = unzip(new Uint8Array(readFileSync(out)));
    const lines = text(files[F.records]).split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(["ai", "human_approved_ai"]).toContain(deriveActorType(JSON.parse(parseRecordLine(l)!.canonical)));

    const ok = await cli(["verify", out, "--key", key]);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^PASS/);
    expect(ok.stdout).not.toMatch(/only against the key inside/);
    // The key may also be given as a file; without a key the result warns.
    const keyFile = path.join(dataDir, "ledger.vkey");
    writeFileSync(keyFile, key + "\n");
    expect((await cli(["verify", out, "--key", keyFile])).status).toBe(0);
    const bundledOnly = await cli(["verify", out, "--json"]);
    expect(bundledOnly.status).toBe(0);
    expect(JSON.parse(bundledOnly.stdout)).toMatchObject({ ok: true, keyUsed: "bundled" });

    // The export is in the access log as the named user, with the manifest's hash.
    const database = await openDatabase({ dataDir: path.join(dataDir, "pglite") });
    try {
      const rows = await queryRows(
        database.db,
        sql`select user_email as email, event->'details' as details from access_events where action = 'evidence.export'`,
        z.object({ email: z.string(), details: z.record(z.string(), z.unknown()) }),
      );
      expect(rows).toContainEqual(expect.objectContaining({ email: "officer@cli.test", details: expect.objectContaining({ phase: "completed", recordCount: lines.length }) }));
    } finally {
      await database.close();
    }
  });

  it("exits 1 and names the record when the bundle was tampered with", async () => {
    const out = path.join(dataDir, "loans.zip");
    const files = unzip(new Uint8Array(readFileSync(out)));
    const lines = text(files[F.records]).split("\n").filter(Boolean);
    const victim = parseRecordLine(lines[0]!)!;
    lines[0] = lines[0]!.replace(/"timestamp":"(\d{4})/, (_, y: string) => `"timestamp":"${Number(y) + 1}`);
    files[F.records] = bytes(lines.join("\n") + "\n");
    const tampered = path.join(dataDir, "tampered.zip");
    writeFileSync(tampered, rezip(files));
    const r = await cli(["verify", tampered]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAIL/);
    expect(r.stdout).toContain(`record_modified [position ${victim.seq}, id ${victim.id}]`);
  });

  it("refuses bad invocations with exit 2 and unknown users with exit 1", async () => {
    expect((await cli(["verify"])).status).toBe(2);
    expect((await cli(["export", "--out", path.join(dataDir, "x.zip")])).status).toBe(2);
    const badType = await cli(["export", "--out", path.join(dataDir, "x.zip"), "--as", "officer@cli.test", "--actor-type", "robot"]);
    expect(badType.status).toBe(2);
    expect(badType.stderr).toMatch(/--actor-type/);
    const badDate = await cli(["export", "--out", path.join(dataDir, "x.zip"), "--as", "officer@cli.test", "--from", "last tuesday"]);
    expect(badDate.status).toBe(2);
    const unknown = await cli(["export", "--out", path.join(dataDir, "x.zip"), "--as", "nobody@cli.test"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no active user/);
    expect((await cli(["verify", path.join(dataDir, "missing.zip")])).status).toBe(1);
    expect(readdirSync(dataDir).filter((f) => f.startsWith("x.zip"))).toEqual([]);
  });

  it("leaves personal data out by default, and every record's content is still checked", async () => {
    const out = path.join(dataDir, "auditor.zip");
    const r = await cli(["export", "--out", out, "--as", "auditor@cli.test"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/200 record\(s\), personal data left out/);
    const files = unzip(new Uint8Array(readFileSync(out)));
    const manifest = JSON.parse(text(files[F.manifest]));
    expect(manifest).toMatchObject({ personalData: "withheld", recordCount: 200, withheldRecords: 0, disclosure: null });
    expect(files[F.openings]).toBeUndefined();
    const v = await cli(["verify", out, "--json"]);
    expect(v.status, v.stdout).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, recordsChecked: 200, recordsVerifiedByBytes: 200, withheldRecords: 0 });
  });

  it("includes personal data only with the permission and a reason", async () => {
    const out = path.join(dataDir, "disclosed.zip");
    const noReason = await cli(["export", "--out", out, "--as", "officer@cli.test", "--include-personal-data"]);
    expect(noReason.status).toBe(2);
    expect(noReason.stderr).toMatch(/--reason/);
    const short = await cli(["export", "--out", out, "--as", "officer@cli.test", "--include-personal-data", "--reason", "because"]);
    expect(short.status).toBe(2);
    expect(short.stderr).toMatch(/--reason: .*at least 10 characters/);
    const auditor = await cli(["export", "--out", out, "--as", "auditor@cli.test", "--include-personal-data", "--reason", "Audit sample AUD-7 of March"]);
    expect(auditor.status).toBe(1);
    expect(auditor.stderr).toMatch(/evidence\.export_personal_data/);
    expect(readdirSync(dataDir).filter((f) => f.startsWith("disclosed.zip"))).toEqual([]);
  });

  // Apart from the refusals: each child process blocks the worker, and vitest's RPC times out on a long test.
  it("verify checks the openings of a bundle that includes personal data, and names a changed one", async () => {
    const out = path.join(dataDir, "disclosed.zip");
    const r = await cli(["export", "--out", out, "--as", "officer@cli.test", "--include-personal-data", "--reason", "Court order 2026/117, loan denials", "--outcome", "denied"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\d+ personal value\(s\) included/);
    const files = unzip(new Uint8Array(readFileSync(out)));
    expect(JSON.parse(text(files[F.manifest])).disclosure).toMatchObject({ reason: "Court order 2026/117, loan denials", disclosedBy: { email: "officer@cli.test" } });
    const ok = await cli(["verify", out]);
    expect(ok.status, ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/\[ok\] {3}Personal data openings: \d+ disclosed value\(s\) open the commitments/);

    const lines = text(files[F.openings]).split("\n").filter(Boolean);
    const victim = JSON.parse(lines[0]!) as { recordId: string; pointer: string; value: unknown };
    lines[0] = JSON.stringify({ ...victim, value: "Changed Name" });
    files[F.openings] = bytes(lines.join("\n") + "\n");
    const tampered = path.join(dataDir, "disclosed-tampered.zip");
    writeFileSync(tampered, rezip(files));
    const bad = await cli(["verify", tampered]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain(`opening_invalid [position`);
    expect(bad.stdout).toContain(victim.recordId);
    expect(bad.stdout).toContain(victim.pointer);
  });
});
