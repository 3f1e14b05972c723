import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { generateSignerKey, verifyNote } from "@/lib/ledger/signed-note";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { withLedger } from "@/cli/lib/ledger";
import { main } from "@/cli/main";
import { ERASURE_RECEIPT_FORMAT } from "@/lib/services/erasure-receipt";
import { busiestSubject, createPeople, demoStatements, PEOPLE } from "../privacy/erasure-fixture";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";

const ROOT = path.resolve(__dirname, "../..");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe.each(DATABASE_KINDS)("decision-ledger erase and hold against %s", (kind) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), `dl-erase-cli-${kind}-`));
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    LEDGER_ORIGIN: "erase-cli.test",
    PERSONAL_DATA_KEK: randomBytes(32).toString("hex"),
    PERSONAL_DATA_INDEX_KEY: randomBytes(32).toString("hex"),
  };
  let postgres: TestDatabase | null = null;
  let verifierKey: string;
  const statements = demoStatements(`erase-cli-${kind}`, 30);
  const subject = busiestSubject(statements);

  /** The CLI as `decision-ledger <args>` runs it, in this process (stdin: nothing piped). */
  async function cli(...args: string[]): Promise<Run> {
    let stdout = "";
    let stderr = "";
    const code = await main(args, {
      env,
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      stdin: process.stdin,
    });
    return { code, stdout, stderr };
  }

  beforeAll(async () => {
    if (kind === "postgres") {
      postgres = await createTestDatabase("postgres");
      env.DATABASE_URL = postgres.url!;
    }
    const signer = await generateSignerKey("erase-cli.test");
    env.LEDGER_SIGNING_KEY = signer.signerKey;
    verifierKey = signer.verifierKey;
    // The CLI's own opening of the configured database (PGlite: one process at a time, so between runs).
    await withLedger(
      env,
      async ({ db, personalDataKeys }) => {
        await createPeople(db);
        await appendDecisions(db, personalDataKeys(), statements, { name: "erase-cli-writer" });
      },
      { migrate: true },
    );
    expect((await cli("checkpoint")).code).toBe(0);
  });
  afterAll(async () => {
    await postgres?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("`erase --subject` explains the two steps instead of erasing", async () => {
    const res = await cli("erase", "--subject", subject.id);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('"erase request --subject <id> --reason <text> --as <you>"');
    expect(res.stderr).toContain('"erase approve <request id> --as <them>"');
    const missingAs = await cli("erase", "request", "--subject", subject.id, "--reason", "Art. 17 request DPO-1");
    expect(missingAs.code).toBe(2);
    expect(missingAs.stderr).toContain("--as is required");
  });

  test("a hold refuses the erasure; released, four eyes, approval prints a receipt that verifies, verify-db passes", async () => {
    const placed = await cli("hold", "place", "--subject", subject.id, "--reason", "Litigation hold, case 77", "--as", PEOPLE.officer.email, "--json");
    expect(placed.code, placed.stderr).toBe(0);
    const hold = JSON.parse(placed.stdout) as { id: string };
    const held = await cli("erase", "request", "--subject", subject.id, "--reason", "Art. 17 request DPO-1", "--as", PEOPLE.ada.email);
    expect(held.code).toBe(1);
    expect(held.stderr).toContain(`A legal hold covers this data subject (hold ${hold.id})`);
    const holds = await cli("hold", "list");
    expect(holds.stdout).toContain(`${hold.id}  subject  placed by ${PEOPLE.officer.email}`);
    expect(holds.stdout).not.toContain(subject.id);
    expect((await cli("hold", "release", hold.id, "--as", PEOPLE.officer.email)).stdout).toBe(`Released legal hold ${hold.id}.\n`);

    const requested = await cli("erase", "request", "--subject", subject.id, "--reason", "Art. 17 request DPO-1", "--as", PEOPLE.ada.email);
    expect(requested.code, requested.stderr).toBe(0);
    expect(requested.stdout).toContain(`matches 1 data key(s) covering ${subject.recordIds.length} record(s)`);
    const requestId = /Erasure request ([0-9a-f-]{36}) is pending/.exec(requested.stdout)![1]!;

    const sameAdmin = await cli("erase", "approve", requestId, "--as", PEOPLE.ada.email);
    expect(sameAdmin.code).toBe(1);
    expect(sameAdmin.stderr).toContain("Four eyes");
    const officer = await cli("erase", "approve", requestId, "--as", PEOPLE.officer.email);
    expect(officer.code).toBe(1);
    expect(officer.stderr).toContain("may not approve an erasure");

    const approved = await cli("erase", "approve", requestId, "--as", PEOPLE.bo.email);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(new RegExp(`^Erased 1 data key\\(s\\): \\d+ value\\(s\\) in ${subject.recordIds.length} record\\(s\\)`));
    const receipt = approved.stdout.slice(approved.stdout.indexOf(ERASURE_RECEIPT_FORMAT));
    const verified = await verifyNote(receipt, [verifierKey]);
    expect(verified.text).toContain(`request ${requestId}\n`);
    expect(verified.text).toContain(`records-affected ${subject.recordIds.length}\n`);
    expect(verified.text).toContain("origin erase-cli.test\n");

    const list = await cli("erase", "list");
    expect(list.stdout).toContain(`${requestId}  completed  requested by ${PEOPLE.ada.email}`);
    expect(list.stdout).not.toContain(subject.id);
    expect((await cli("erase", "reject", requestId, "--as", PEOPLE.ada.email)).stderr).toContain("already completed");

    expect((await cli("checkpoint")).code).toBe(0);
    const verify = await cli("verify-db");
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});

test("the installed command line answers `erase --subject` with how to request and approve", () => {
  const res = spawnSync(process.execPath, [path.join(ROOT, "bin", "decision-ledger.mjs"), "erase", "--subject", "cust-1"], {
    cwd: ROOT,
    encoding: "utf8",
    // No database is opened: the usage answer comes first.
    env: { ...process.env, DATA_DIR: path.join(tmpdir(), "dl-erase-cli-unused") },
  });
  expect(res.status).toBe(2);
  expect(res.stderr).toContain("erasure takes two admins");
  expect(res.stderr).toContain("Usage: decision-ledger erase request");
});
