import { spawnSync } from "node:child_process";
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
import { TEST_KEYS } from "@/tests/support/personal-data-keys";

/**
 * `decision-ledger export` and `decision-ledger verify` as a user runs them: child processes
 * on an embedded database in a temp DATA_DIR (verify needs no database at all).
 */
const ROOT = path.resolve(__dirname, "../..");
let dataDir: string;
let env: NodeJS.ProcessEnv;

function cli(args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, "bin/decision-ledger.mjs"), ...args], { cwd: ROOT, env, encoding: "utf8", timeout: 120_000 });
}

describe("decision-ledger export / verify", () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "dl-h7-cli-"));
    env = { ...process.env, DATA_DIR: dataDir, LEDGER_ORIGIN: "cli.evidence.test", DATABASE_URL: "" };
    const database = await openDatabase({ dataDir: path.join(dataDir, "pglite") });
    await migrateDatabase(database);
    const all = generateDemoStatements({ count: 200, now: new Date(), days: 10, seed: "h7-cli" });
    await appendDecisions(database.db, TEST_KEYS, all.slice(0, 100), { name: "h7-cli-writer" });
    await appendDecisions(database.db, TEST_KEYS, all.slice(100), { name: "h7-cli-writer" });
    const actor = { email: "cli", role: "system" };
    await createUser(database.db, { email: "officer@cli.test", name: "Olivia Officer", role: "compliance_officer", password: "correct horse battery", actor });
    await createUser(database.db, { email: "auditor@cli.test", name: "Aldo Auditor", role: "auditor", password: "correct horse battery", actor });
    await database.close();
  }, 120_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("exports a filtered selection as a named user, logs it, and the bundle verifies offline", async () => {
    const out = path.join(dataDir, "loans.zip");
    const r = cli(["export", "--out", out, "--as", "officer@cli.test", "--actor-type", "ai,human_approved_ai"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Wrote .*loans\.zip: \d+ record\(s\)/);
    const key = /--key '([^']+)'/.exec(r.stdout)![1]!;

    const files = unzip(new Uint8Array(readFileSync(out)));
    const lines = text(files[F.records]).split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(["ai", "human_approved_ai"]).toContain(deriveActorType(JSON.parse(parseRecordLine(l)!.canonical)));

    const ok = cli(["verify", out, "--key", key]);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^PASS/);
    expect(ok.stdout).not.toMatch(/only against the key inside/);
    // The key may also be given as a file; without a key the result warns.
    const keyFile = path.join(dataDir, "ledger.vkey");
    writeFileSync(keyFile, key + "\n");
    expect(cli(["verify", out, "--key", keyFile]).status).toBe(0);
    const bundledOnly = cli(["verify", out, "--json"]);
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

  it("exits 1 and names the record when the bundle was tampered with", () => {
    const out = path.join(dataDir, "loans.zip");
    const files = unzip(new Uint8Array(readFileSync(out)));
    const lines = text(files[F.records]).split("\n").filter(Boolean);
    const victim = parseRecordLine(lines[0]!)!;
    lines[0] = lines[0]!.replace(/"timestamp":"(\d{4})/, (_, y: string) => `"timestamp":"${Number(y) + 1}`);
    files[F.records] = bytes(lines.join("\n") + "\n");
    const tampered = path.join(dataDir, "tampered.zip");
    writeFileSync(tampered, rezip(files));
    const r = cli(["verify", tampered]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAIL/);
    expect(r.stdout).toContain(`record_modified [position ${victim.seq}, id ${victim.id}]`);
  });

  it("refuses bad invocations with exit 2 and unknown users with exit 1", () => {
    expect(cli(["verify"]).status).toBe(2);
    expect(cli(["export", "--out", path.join(dataDir, "x.zip")]).status).toBe(2);
    const badType = cli(["export", "--out", path.join(dataDir, "x.zip"), "--as", "officer@cli.test", "--actor-type", "robot"]);
    expect(badType.status).toBe(2);
    expect(badType.stderr).toMatch(/--actor-type/);
    const badDate = cli(["export", "--out", path.join(dataDir, "x.zip"), "--as", "officer@cli.test", "--from", "last tuesday"]);
    expect(badDate.status).toBe(2);
    const unknown = cli(["export", "--out", path.join(dataDir, "x.zip"), "--as", "nobody@cli.test"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no active user/);
    expect(cli(["verify", path.join(dataDir, "missing.zip")]).status).toBe(1);
    expect(readdirSync(dataDir).filter((f) => f.startsWith("x.zip"))).toEqual([]);
  });

  it("masks personal data when the user's role may not reveal it", () => {
    const out = path.join(dataDir, "auditor.zip");
    const r = cli(["export", "--out", out, "--as", "auditor@cli.test"]);
    expect(r.status, r.stderr).toBe(0);
    const manifest = JSON.parse(text(unzip(new Uint8Array(readFileSync(out)))[F.manifest]));
    expect(manifest.personalData).toBe("withheld");
    expect(manifest.recordCount).toBe(200);
    expect(cli(["verify", out]).status).toBe(0);
  });
});
