import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { executeSql, queryRows, type Db } from "@/db/client";
import { getVerificationRun, type VerificationRunRecord } from "@/db/queries/verification-runs";
import { getEvidenceExport } from "@/db/queries/evidence-exports";
import { decisions, verificationRuns } from "@/db/schema";
import { verifyBundle } from "@/lib/evidence/verify-bundle";
import { getUnacknowledgedFailure } from "@/lib/integrity/failure-banner";
import { STALE_HEARTBEAT_SECONDS } from "@/lib/integrity/job-runner";
import { startIntegritySchedules, sweepStaleJobs } from "@/lib/integrity/scheduler";
import { loadConfig } from "@/lib/server/config";
import type { Runtime } from "@/lib/server/runtime-context";
import { exportFilePath, recordEvidenceDownload, requestEvidenceExport } from "@/lib/services/evidence";
import { ServiceInputError } from "@/lib/services/users";
import { acknowledgeVerificationFailure, enqueueScheduledVerification, requestVerification } from "@/lib/services/verification";
import { AUDITOR, buildEvidenceLedger, OFFICER, type EvidenceLedger } from "../evidence/fixture";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";

const ADMIN = { id: "00000000-0000-4000-8000-0000000000aa", email: "admin@evidence.test", name: "Ada Admin", role: "admin" };

async function waitFor<T>(read: () => Promise<T | null>, done: (v: T | null) => boolean, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (v !== null && done(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const finished = (r: VerificationRunRecord | null) => !!r && !["queued", "running"].includes(r.status);

const accessEventRow = z.object({ outcome: z.string(), details: z.record(z.string(), z.unknown()) });

async function accessEvents(db: Db, action: string): Promise<{ outcome: string; details: Record<string, unknown> }[]> {
  return queryRows(db, sql`select outcome, event->'details' as details from access_events where action = ${action} order by seq`, accessEventRow);
}

describe.each(DATABASE_KINDS)("integrity jobs (%s)", (kind) => {
  let database: TestDatabase;
  let ledger: EvidenceLedger;
  let runtime: Runtime;
  let stop: () => void;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    ledger = await buildEvidenceLedger(database, { batches: 2, perBatch: 150 });
    const { deps } = ledger;
    runtime = {
      config: loadConfig({ DATA_DIR: ledger.tmp, VERIFY_INTERVAL_SECONDS: "0", CHECKPOINT_INTERVAL_SECONDS: "0" }),
      database,
      db: database.db,
      readDb: database.db,
      origin: deps.origin,
      personalDataKeys: TEST_KEYS,
      signer: deps.signer,
      verifierKey: deps.verifierKey,
      externalStore: deps.externalStore,
    };
    stop = startIntegritySchedules(runtime).stop;
  }, 180_000);

  afterAll(async () => {
    stop?.();
    ledger?.cleanup();
    await database?.drop();
  });

  const wake = async (lane: "verification" | "export") => startIntegritySchedules(runtime).runner.wake(lane);

  it("runs a requested whole-ledger verification in the background, with progress and an access-log trail", async () => {
    const { run, created } = await requestVerification(database.db, { request: { scope: "all" }, actor: OFFICER });
    expect(created).toBe(true);
    expect(run.status).toBe("queued");
    // Asking again while it is queued returns the same run.
    const again = await requestVerification(database.db, { request: { scope: "all" }, actor: OFFICER });
    expect(again).toMatchObject({ created: false, run: { id: run.id } });
    await wake("verification");
    const done = await waitFor(() => getVerificationRun(database.db, { id: run.id }), finished);
    expect(done.status).toBe("passed");
    expect(done.recordsChecked).toBeGreaterThanOrEqual(300);
    expect(done.recordsTotal).toBe(done.recordsChecked);
    expect(done.checkpointsChecked).toBeGreaterThan(0);
    expect(done.failureCount).toBe(0);
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();
    const events = await accessEvents(database.db, "integrity.verify");
    expect(events).toContainEqual(expect.objectContaining({ outcome: "success", details: expect.objectContaining({ phase: "requested", runId: run.id }) }));
    expect(events).toContainEqual(expect.objectContaining({ outcome: "success", details: expect.objectContaining({ phase: "completed", runId: run.id, result: "passed" }) }));
    expect(await getUnacknowledgedFailure(database.db)).toBeNull();
  });

  it("maps a time range to the decision records written in it, and refuses bad ranges by field", async () => {
    const now = Date.now();
    const { run } = await requestVerification(database.db, {
      request: { scope: "range", from: new Date(now - 3600_000).toISOString(), to: new Date(now + 60_000).toISOString() },
      actor: OFFICER,
    });
    expect(run).toMatchObject({ fromSeq: 0, toSeq: 299, logIds: ["decisions"] });
    await wake("verification");
    const done = await waitFor(() => getVerificationRun(database.db, { id: run.id }), finished);
    expect(done.status).toBe("passed");
    expect(done.recordsChecked).toBe(300);

    const refused = async (request: unknown) => {
      try {
        await requestVerification(database.db, { request, actor: OFFICER });
      } catch (error) {
        expect(error).toBeInstanceOf(ServiceInputError);
        return (error as ServiceInputError).fieldErrors;
      }
      throw new Error("expected a refusal");
    };
    expect(Object.keys(await refused({ scope: "range", from: "2020-01-02T00:00:00Z", to: "2020-01-01T00:00:00Z" }))).toContain("to");
    expect(Object.keys(await refused({ scope: "range", from: "2020-01-01T00:00:00Z", to: "2020-01-02T00:00:00Z" }))).toContain("from");
    expect(Object.keys(await refused({ scope: "range", from: "yesterday", to: "2020-01-02T00:00:00Z" }))).toContain("from");
    expect(Object.keys(await refused({ scope: "everything" })).length).toBeGreaterThan(0);
  });

  it("schedules at most one run per interval", async () => {
    const first = await enqueueScheduledVerification(database.db, 3600);
    expect(first).not.toBeNull();
    expect(await enqueueScheduledVerification(database.db, 3600)).toBeNull();
    await wake("verification");
    const done = await waitFor(() => getVerificationRun(database.db, { id: first! }), finished);
    expect(done).toMatchObject({ status: "passed", trigger: "schedule", requestedById: null });
  });

  it("exports evidence as a background job; only the requester may download it, and the download is logged", async () => {
    const record = await requestEvidenceExport(database.db, {
      selection: { filters: null, ids: ledger.ids.slice(10, 40) },
      actor: OFFICER,
    });
    expect(record.status).toBe("queued");
    // Personal data is left out unless the request asks for it with a reason.
    expect(record.includePersonalData).toBe(false);
    await wake("export");
    const done = await waitFor(
      () => getEvidenceExport(database.db, { id: record.id }),
      (r) => !!r && !["queued", "running"].includes(r.status),
    );
    expect(done).toMatchObject({ status: "ready", recordsTotal: 30, recordsDone: 30 });
    const file = exportFilePath(path.join(ledger.tmp, "exports"), record.id);
    expect(existsSync(file)).toBe(true);
    expect(existsSync(`${file}.partial`)).toBe(false);
    const v = await verifyBundle(new Uint8Array(readFileSync(file)), { trustedKey: ledger.keys.verifierKey });
    expect(v.failures).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.bundleId).toBe(record.id);

    const deps = { db: database.db, exportsDir: path.join(ledger.tmp, "exports") };
    await expect(recordEvidenceDownload(deps, { id: record.id, actor: AUDITOR })).rejects.toMatchObject({ status: 404 });
    const ok = await recordEvidenceDownload(deps, { id: record.id, actor: OFFICER });
    expect(ok.path).toBe(file);
    const downloads = await accessEvents(database.db, "evidence.download");
    expect(downloads.at(-1)?.details).toMatchObject({ exportId: record.id, manifestSha256: done.manifestSha256 });

    // An auditor's export masks personal data; a selection that matches nothing fails clearly.
    const masked = await requestEvidenceExport(database.db, { selection: { filters: null, ids: ledger.ids.slice(0, 5) }, actor: AUDITOR });
    expect(masked.includePersonalData).toBe(false);
    const empty = await requestEvidenceExport(database.db, {
      selection: { filters: null, ids: ["6f2c1a8e-0000-4000-8000-000000000000"] },
      actor: OFFICER,
    });
    await wake("export");
    const failed = await waitFor(
      () => getEvidenceExport(database.db, { id: empty.id }),
      (r) => !!r && !["queued", "running"].includes(r.status),
    );
    expect(failed).toMatchObject({ status: "failed", error: expect.stringMatching(/nothing to export/) });
    await expect(
      requestEvidenceExport(database.db, { selection: { filters: null, ids: ["not-a-uuid"] }, actor: OFFICER }),
    ).rejects.toBeInstanceOf(ServiceInputError);
    await expect(
      requestEvidenceExport(database.db, { selection: { filters: null, ids: ledger.ids.slice(0, 1) }, actor: { ...OFFICER, role: "nobody" } }),
    ).rejects.toBeInstanceOf(ServiceInputError);
  });

  it("marks a run whose process died as interrupted", async () => {
    const [row] = await database.db
      .insert(verificationRuns)
      .values({ status: "running", trigger: "user", logIds: ["decisions"], startedAt: new Date(Date.now() - 600_000), heartbeatAt: new Date(Date.now() - 600_000) })
      .returning({ id: verificationRuns.id });
    const [fresh] = await database.db
      .insert(verificationRuns)
      .values({ status: "running", trigger: "user", logIds: ["decisions"], startedAt: new Date(), heartbeatAt: new Date() })
      .returning({ id: verificationRuns.id });
    expect(await sweepStaleJobs(database.db, "verification_runs", STALE_HEARTBEAT_SECONDS)).toBe(1);
    const [alive] = await database.db.select({ status: verificationRuns.status }).from(verificationRuns).where(eq(verificationRuns.id, fresh!.id));
    expect(alive?.status).toBe("running");
    await database.db.update(verificationRuns).set({ status: "error" }).where(eq(verificationRuns.id, fresh!.id));
    const [after] = await database.db.select({ status: verificationRuns.status }).from(verificationRuns).where(eq(verificationRuns.id, row!.id));
    expect(after?.status).toBe("interrupted");
  });

  it("a tampered record fails verification, shows the banner until an administrator acknowledges it", async () => {
    // A superuser edits one stored record behind the ledger's back.
    const [victim] = await database.db.select({ seq: decisions.seq, id: decisions.id }).from(decisions).where(eq(decisions.seq, 42));
    await database.db.transaction(async (tx) => {
      await executeSql(tx, sql.raw("set local session_replication_role = replica"));
      await executeSql(tx, sql`update decisions set canonical = replace(canonical, '"timestamp":"2', '"timestamp":"1') where seq = 42`);
    });
    const { run } = await requestVerification(database.db, { request: { scope: "all" }, actor: OFFICER });
    await wake("verification");
    const done = await waitFor(() => getVerificationRun(database.db, { id: run.id }), finished);
    expect(done.status).toBe("failed");
    expect(done.firstFailure).toMatchObject({ logId: "decisions", class: "modified_record", seq: 42, statementId: victim!.id });

    const banner = await getUnacknowledgedFailure(database.db);
    expect(banner).toMatchObject({ id: run.id, unacknowledgedRuns: 1 });
    expect(banner!.summary).toMatch(/Record changed at position 42/);

    // Only integrity.acknowledge may acknowledge, and only with a real note.
    await expect(acknowledgeVerificationFailure(database.db, { runId: run.id, note: "Looked at it, all good.", actor: OFFICER })).rejects.toBeInstanceOf(
      ServiceInputError,
    );
    await expect(acknowledgeVerificationFailure(database.db, { runId: run.id, note: "ok", actor: ADMIN })).rejects.toMatchObject({
      fieldErrors: { note: expect.any(Array) },
    });
    const acked = await acknowledgeVerificationFailure(database.db, {
      runId: run.id,
      note: "Incident INC-42 opened; the record was restored from backup by the DBA.",
      actor: ADMIN,
    });
    expect(acked.acknowledgedByEmail).toBe(ADMIN.email);
    expect(await getUnacknowledgedFailure(database.db)).toBeNull();
    await expect(
      acknowledgeVerificationFailure(database.db, { runId: run.id, note: "Acknowledging a second time.", actor: ADMIN }),
    ).rejects.toMatchObject({ status: 409 });
    const acks = await accessEvents(database.db, "integrity.acknowledge_failure");
    expect(acks.at(-1)?.details).toMatchObject({ runId: run.id, firstFailure: { class: "modified_record", seq: 42 } });
    const verifies = await accessEvents(database.db, "integrity.verify");
    expect(verifies.at(-1)).toMatchObject({ outcome: "failure", details: { phase: "completed", result: "failed" } });
  });
});
