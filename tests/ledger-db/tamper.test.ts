import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { queryRows } from "@/db/client";
import { appendAccessEvent } from "@/lib/ledger-store/append-access-event";
import { verifyDatabase, verifyLog, type VerificationReport } from "@/lib/ledger-store/verify/verify-database";
import { DATABASE_KINDS } from "../support/test-databases";
import {
  asSuperuser,
  buildLedger,
  checkpoint,
  createLedgerTemplate,
  entryAt,
  newKeys,
  rewriteHistory,
  TEST_ORIGIN,
  tempCheckpointStore,
  type LedgerCopy,
  type LedgerKeys,
  type TempCheckpointStore,
} from "./ledger-fixture";

// The ledger every test tampers with: 9 batches of 40 decisions, checkpoints signed after
// every second batch of the first eight (sizes 80, 160, 240, 320), then one more batch that
// no checkpoint covers yet (size 360). Batches of 64 make the verifier cross batch
// boundaries inside every scenario.
const LAYOUT = { batches: 8, perBatch: 40, checkpointEvery: 2, tailBatches: 1 };

describe.each(DATABASE_KINDS)("tamper detection (%s)", (kind) => {
  let template: Awaited<ReturnType<typeof createLedgerTemplate>>;
  let keys: LedgerKeys;
  let t: LedgerCopy;
  let store: TempCheckpointStore;

  beforeAll(async () => {
    keys = await newKeys();
    template = await createLedgerTemplate(kind, async (db, s) => {
      const built = await buildLedger(db, keys, s, LAYOUT);
      expect(built.checkpointSizes).toEqual([80, 160, 240, 320]);
      expect(built.size).toBe(360);
    });
  });
  afterAll(async () => {
    await template?.dispose();
  });
  beforeEach(async () => {
    t = await template.copy();
    store = t.store;
  });
  afterEach(async () => {
    await t.drop();
  });

  const verify = (opts: { fromSeq?: number; toSeq?: number; verifierKeys?: string[] } = {}) =>
    verifyLog(t.db, {
      logId: "decisions",
      verifierKeys: opts.verifierKeys ?? [keys.verifierKey],
      externalStore: store,
      origin: `${TEST_ORIGIN}/decisions`,
      batchSize: 64,
      fromSeq: opts.fromSeq,
      toSeq: opts.toSeq,
    });

  const classes = (r: VerificationReport) => r.failures.map((f) => `${f.class}@${f.seq ?? `checkpoint ${f.checkpointSize}`}`);

  it("a clean ledger verifies clean, records and checkpoints counted", async () => {
    const r = await verify();
    expect(r.failures).toEqual([]);
    expect(r).toMatchObject({ ok: true, recordsChecked: 360, checkpointsChecked: 4, logSize: 360, signedSize: 320, range: { fromSeq: 0, toSeq: 359 } });
    expect(r.warnings).toEqual([]);
    // Default batch size too (one batch).
    const whole = await verifyLog(t.db, { logId: "decisions", verifierKeys: [keys.verifierKey], externalStore: store });
    expect(whole.ok).toBe(true);
    // The deep check agrees with every derived column the append path stored.
    const deep = await verifyLog(t.db, { logId: "decisions", verifierKeys: [keys.verifierKey], externalStore: store, checkDerivedColumns: true });
    expect(deep.failures).toEqual([]);
  });

  it("a content row's id or recorded_at column changed -> modified_record", async () => {
    const a = await entryAt(t.db, 30);
    const b = await entryAt(t.db, 31);
    await asSuperuser(t.db, [
      `update decisions set id = '${randomUUID()}' where seq = 30`,
      `update decisions set recorded_at = recorded_at + interval '1 second' where seq = 31`,
    ]);
    const r = await verify();
    expect(classes(r)).toEqual(["modified_record@30", "modified_record@31"]);
    expect(r.failures[0]).toMatchObject({ statementId: a.entryId, expected: a.entryId });
    expect(r.failures[0]!.message).toMatch(/id column/);
    expect(r.failures[1]).toMatchObject({ statementId: b.entryId });
    expect(r.failures[1]!.message).toMatch(/recorded_at column/);
  });

  it("a changed filter column (outcome) is caught by the deep check, without revealing values", async () => {
    const { entryId } = await entryAt(t.db, 77);
    await asSuperuser(t.db, [`update decisions set outcome = 'approved-by-tamperer', confidence = 0.5 where seq = 77`]);
    expect((await verify()).ok).toBe(true); // not hashed: the default run cannot see it (docs/tamper-evidence.md)
    const deep = await verifyLog(t.db, { logId: "decisions", verifierKeys: [keys.verifierKey], externalStore: store, checkDerivedColumns: true });
    expect(classes(deep)).toEqual(["modified_record@77"]);
    expect(deep.failures[0]!.statementId).toBe(entryId);
    expect(deep.failures[0]!.message).toMatch(/outcome, confidence/);
    expect(JSON.stringify(deep.failures[0])).not.toContain("approved-by-tamperer");
  });

  it("modified canonical text -> modified_record naming the record", async () => {
    const { entryId } = await entryAt(t.db, 100);
    await asSuperuser(t.db, [`update decisions set canonical = replace(canonical, '"verb":{', '"verb":{"x":1,') where seq = 100`]);
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(classes(r)).toEqual(["modified_record@100"]);
    expect(r.failures[0]).toMatchObject({ seq: 100, statementId: entryId });
  });

  it("modified leaf hash -> modified_hash", async () => {
    const { entryId } = await entryAt(t.db, 150);
    await asSuperuser(t.db, [`update log_entries set leaf_hash = sha256('forged'::bytea) where log_id = 'decisions' and seq = 150`]);
    const r = await verify();
    expect(classes(r)).toEqual(["modified_hash@150"]);
    expect(r.failures[0]!.statementId).toBe(entryId);
    expect(r.failures[0]!.message).toMatch(/leaf hash/);
  });

  it("modified chain hash -> modified_hash", async () => {
    await asSuperuser(t.db, [`update log_entries set chain_hash = sha256('forged'::bytea) where log_id = 'decisions' and seq = 170`]);
    const r = await verify();
    expect(classes(r)).toEqual(["modified_hash@170"]);
    expect(r.failures[0]!.message).toMatch(/chain hash/);
  });

  it("deleted record (gap) -> missing_record", async () => {
    await asSuperuser(t.db, [
      `delete from decisions where seq = 200`,
      `delete from log_entries where log_id = 'decisions' and seq = 200`,
    ]);
    const r = await verify();
    expect(r.failures[0]).toMatchObject({ class: "missing_record", seq: 200 });
    expect(r.failures.every((f) => f.class === "missing_record")).toBe(true);
  });

  it("content row deleted, registry entry kept -> missing_record with the statement id", async () => {
    const { entryId } = await entryAt(t.db, 210);
    await asSuperuser(t.db, [`delete from decisions where seq = 210`]);
    const r = await verify();
    expect(classes(r)).toEqual(["missing_record@210"]);
    expect(r.failures[0]!.statementId).toBe(entryId);
  });

  it("forged record appended at the tail with a chain hash that does not follow -> inserted_record", async () => {
    const forgedId = randomUUID();
    await asSuperuser(t.db, [
      `insert into decisions select 360, '${forgedId}', recorded_at, occurred_at, replace(canonical, id::text, '${forgedId}'),
         writer, actor_type, actor_id, actor_name, ai_system, model_name, model_version, verb, entity_type, entity_id,
         outcome, confidence, latency_ms, session_id, reviewer_id, reviewer_name, human_review, error_state, search_text
       from decisions where seq = 359`,
      `insert into log_entries (log_id, seq, entry_id, recorded_at, leaf_hash, chain_hash)
       select 'decisions', 360, '${forgedId}', recorded_at, sha256('\\x00'::bytea || convert_to(canonical, 'UTF8')), sha256('made up'::bytea)
       from decisions where seq = 360`,
    ]);
    const r = await verify();
    expect(classes(r)).toEqual(["inserted_record@360"]);
    expect(r.failures[0]!.statementId).toBe(forgedId);
  });

  it("forged record slipped into the middle (later records renumbered) -> inserted_record", async () => {
    const forgedId = randomUUID();
    await asSuperuser(t.db, [
      // Shift seq >= 120 up by one (via negatives: a plain seq + 1 collides row by row).
      `update log_entries set seq = -seq - 1 where log_id = 'decisions' and seq >= 120`,
      `update log_entries set seq = -seq where log_id = 'decisions' and seq < 0`,
      `update decisions set seq = -seq - 1 where seq >= 120`,
      `update decisions set seq = -seq where seq < 0`,
      `insert into decisions select 120, '${forgedId}', recorded_at, occurred_at, replace(canonical, id::text, '${forgedId}'),
         writer, actor_type, actor_id, actor_name, ai_system, model_name, model_version, verb, entity_type, entity_id,
         outcome, confidence, latency_ms, session_id, reviewer_id, reviewer_name, human_review, error_state, search_text
       from decisions where seq = 119`,
      // A careful forger even chains it correctly onto seq 119.
      `insert into log_entries (log_id, seq, entry_id, recorded_at, leaf_hash, chain_hash)
       select 'decisions', 120, d.id, d.recorded_at, sha256('\\x00'::bytea || convert_to(d.canonical, 'UTF8')),
              sha256(p.chain_hash || sha256('\\x00'::bytea || convert_to(d.canonical, 'UTF8')))
       from decisions d, log_entries p where d.seq = 120 and p.log_id = 'decisions' and p.seq = 119`,
    ]);
    const r = await verify();
    expect(r.failures[0]).toMatchObject({ class: "inserted_record", seq: 120, statementId: forgedId });
    expect(r.failureCount).toBe(1);
  });

  it("extra content row duplicating a position -> inserted_record", async () => {
    const dupId = randomUUID();
    await asSuperuser(t.db, [
      `insert into decisions select seq, '${dupId}', recorded_at + interval '1 second', occurred_at, canonical,
         writer, actor_type, actor_id, actor_name, ai_system, model_name, model_version, verb, entity_type, entity_id,
         outcome, confidence, latency_ms, session_id, reviewer_id, reviewer_name, human_review, error_state, search_text
       from decisions where seq = 50`,
    ]);
    const r = await verify();
    expect(classes(r)).toEqual(["inserted_record@50"]);
    expect(r.failures[0]!.statementId).toBe(dupId);
  });

  it("two records' content swapped -> reordered_records naming both", async () => {
    const a = await entryAt(t.db, 60);
    const b = await entryAt(t.db, 90);
    await asSuperuser(t.db, [
      `update decisions d set canonical = o.canonical
       from decisions o where (d.seq = 60 and o.seq = 90) or (d.seq = 90 and o.seq = 60)`,
    ]);
    const r = await verify();
    expect(classes(r)).toEqual(["reordered_records@60"]);
    expect(r.failures[0]).toMatchObject({ statementId: a.entryId, relatedSeq: 90, relatedStatementId: b.entryId });
  });

  it("two whole records swapped (registry and content rows exchange seqs) -> reordered_records", async () => {
    const swap = (table: string, where: string) => [
      `update ${table} set seq = -1 where ${where} seq = 60`,
      `update ${table} set seq = 60 where ${where} seq = 90`,
      `update ${table} set seq = 90 where ${where} seq = -1`,
    ];
    await asSuperuser(t.db, [...swap("log_entries", "log_id = 'decisions' and"), ...swap("decisions", "")]);
    const r = await verify();
    expect(classes(r)).toEqual(["reordered_records@60"]);
    expect(r.failures[0]!.relatedSeq).toBe(90);
  });

  it("two neighbouring records swapped -> reordered_records", async () => {
    const swap = (table: string, where: string) => [
      `update ${table} set seq = -1 where ${where} seq = 70`,
      `update ${table} set seq = 70 where ${where} seq = 71`,
      `update ${table} set seq = 71 where ${where} seq = -1`,
    ];
    await asSuperuser(t.db, [...swap("log_entries", "log_id = 'decisions' and"), ...swap("decisions", "")]);
    const r = await verify();
    expect(classes(r)).toEqual(["reordered_records@70"]);
    expect(r.failures[0]!.relatedSeq).toBe(71);
  });

  it("tail truncated below the last checkpoint -> truncated_tail", async () => {
    await asSuperuser(t.db, [
      `delete from decisions where seq >= 300`,
      `delete from log_entries where log_id = 'decisions' and seq >= 300`,
    ]);
    const r = await verify();
    expect(classes(r)).toEqual(["truncated_tail@300"]);
    expect(r.failures[0]).toMatchObject({ checkpointSize: 320, toSeq: 319 });
  });

  it("tail truncated and the database's checkpoints deleted too -> the external store still says truncated_tail", async () => {
    await asSuperuser(t.db, [
      `delete from decisions where seq >= 300`,
      `delete from log_entries where log_id = 'decisions' and seq >= 300`,
      `delete from merkle_nodes where log_id = 'decisions' and (idx + 1) * power(2, level) > 300`,
      `delete from checkpoints where log_id = 'decisions' and tree_size > 300`,
    ]);
    const r = await verify();
    expect(classes(r)).toEqual(["truncated_tail@300"]);
    expect(r.failures[0]).toMatchObject({ checkpointSize: 320, source: "external" });
  });

  it("history rewritten (hashes, nodes recomputed; checkpoints re-signed with another key) -> rewritten_history from the external store", async () => {
    const attacker = await newKeys();
    await rewriteHistory(t.db, { seq: 130, replace: ['"verb":{', '"verb":{"x":1,'], recomputeNodes: true, resignWith: attacker });
    const r = await verify();
    expect(r.ok).toBe(false);
    const rewritten = r.failures.find((f) => f.class === "rewritten_history")!;
    expect(rewritten).toMatchObject({ checkpointSize: 160, source: "external" });
    expect(rewritten.seq!).toBeLessThanOrEqual(130);
    expect(rewritten.toSeq!).toBeGreaterThanOrEqual(130);
    expect(rewritten.seq!).toBeGreaterThanOrEqual(80); // checkpoint 80 still matches, so the change is after it
    // The re-signed database checkpoints do not verify with the real key.
    expect(r.failures.filter((f) => f.class === "bad_signature").map((f) => f.checkpointSize)).toEqual([80, 160, 240, 320]);
    // Nothing else: the database is internally consistent.
    expect(r.failures.every((f) => f.class === "rewritten_history" || f.class === "bad_signature")).toBe(true);
  });

  it("history rewritten and re-signed with the stolen real key -> the external store still catches it", async () => {
    await rewriteHistory(t.db, { seq: 130, replace: ['"verb":{', '"verb":{"x":1,'], recomputeNodes: true, resignWith: keys });
    const r = await verify();
    expect(classes(r)).toEqual(["rewritten_history@80"]);
    expect(r.failures[0]).toMatchObject({ checkpointSize: 160, source: "external", toSeq: 159 });
  });

  it("history rewritten but stored Merkle nodes left alone -> rewritten_history pinned to the changed pair", async () => {
    const { entryId } = await entryAt(t.db, 130);
    await rewriteHistory(t.db, { seq: 130, replace: ['"verb":{', '"verb":{"x":1,'], recomputeNodes: false });
    const r = await verify();
    expect(classes(r)).toEqual(["rewritten_history@130"]);
    expect(r.failures[0]).toMatchObject({ toSeq: 131, checkpointSize: 160, statementId: entryId });
  });

  it("corrupted checkpoint signature -> bad_signature", async () => {
    const [row] = await queryRows(t.db, sql`select signed_note from checkpoints where log_id = 'decisions' and tree_size = 160`, z.object({ signed_note: z.string() }));
    const note = row!.signed_note;
    // Flip one base64 character of the signature line.
    const i = note.length - 10;
    const corrupted = note.slice(0, i) + (note[i] === "A" ? "B" : "A") + note.slice(i + 1);
    await asSuperuser(t.db, [`update checkpoints set signed_note = $n$${corrupted}$n$ where log_id = 'decisions' and tree_size = 160`]);
    const r = await verify();
    expect(classes(r)).toEqual(["bad_signature@checkpoint 160"]);
    expect(r.failures[0]!.source).toBe("database");
  });

  it("checkpoints signed by an untrusted key are bad_signature", async () => {
    const other = await newKeys();
    const r = await verify({ verifierKeys: [other.verifierKey] });
    expect(r.failures.filter((f) => f.class === "bad_signature")).toHaveLength(8); // 4 in the database, 4 in the external store
  });

  it("a checkpoint row deleted from the database -> a warning, not a failure; one missing externally -> reported", async () => {
    await asSuperuser(t.db, [`delete from checkpoints where log_id = 'decisions' and tree_size = 240`]);
    const r = await verify();
    expect(r.ok).toBe(true);
    expect(r.warnings.join("\n")).toMatch(/checkpoint 240 is in the external store but not in the database/);

    const emptyStore = tempCheckpointStore();
    try {
      const r2 = await verifyLog(t.db, { logId: "decisions", verifierKeys: [keys.verifierKey], externalStore: emptyStore });
      expect(r2.failures.map((f) => `${f.class}@${f.checkpointSize}`)).toEqual(["inserted_record@80", "inserted_record@160", "inserted_record@320"]);
    } finally {
      emptyStore.remove();
    }
  });

  it("a range verification checks only its range, starting from the stored chain hash before it", async () => {
    await asSuperuser(t.db, [`update decisions set canonical = replace(canonical, '"verb":{', '"verb":{"x":1,') where seq = 250`]);
    const inside = await verify({ fromSeq: 200, toSeq: 299 });
    expect(inside.range).toEqual({ fromSeq: 200, toSeq: 299 });
    expect(inside.recordsChecked).toBe(100);
    expect(classes(inside)).toEqual(["modified_record@250"]);
    const before = await verify({ fromSeq: 100, toSeq: 199 });
    expect(before.ok).toBe(true);
    expect(before.recordsChecked).toBe(100);
    // A chain break right at the end of a range is judged with the record after it.
    await asSuperuser(t.db, [`update log_entries set chain_hash = sha256('x'::bytea) where log_id = 'decisions' and seq = 199`]);
    const edge = await verify({ fromSeq: 100, toSeq: 199 });
    expect(classes(edge)).toEqual(["modified_hash@199"]);
  });

  it("reports progress and can be aborted", async () => {
    const seen: number[] = [];
    await verifyLog(t.db, {
      logId: "decisions",
      verifierKeys: [keys.verifierKey],
      batchSize: 50,
      onProgress: (p) => {
        seen.push(p.checked);
        expect(p.total).toBe(360);
        expect(p.logId).toBe("decisions");
      },
    });
    expect(seen.length).toBeGreaterThanOrEqual(8);
    expect(seen[seen.length - 1]).toBe(360);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));

    const controller = new AbortController();
    await expect(
      verifyLog(t.db, {
        logId: "decisions",
        verifierKeys: [keys.verifierKey],
        batchSize: 50,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.checked >= 100) controller.abort();
        },
      }),
    ).rejects.toMatchObject({ name: "VerificationAbortedError" });
  });

  it("verifyDatabase covers the access log too", async () => {
    for (let i = 0; i < 12; i++) {
      await appendAccessEvent(t.db, { action: "decisions.search", outcome: "success", user: { email: `u${i}@example.test`, role: "auditor" }, details: { q: i } });
    }
    await checkpoint(t.db, keys, store, "access");
    const clean = await verifyDatabase(t.db, { verifierKeys: [keys.verifierKey], externalStore: store, origin: TEST_ORIGIN });
    expect(clean.ok).toBe(true);
    expect(clean.logs.map((l) => [l.logId, l.recordsChecked])).toEqual([
      ["decisions", 360],
      ["access", 12],
    ]);
    const deepClean = await verifyDatabase(t.db, { verifierKeys: [keys.verifierKey], externalStore: store, origin: TEST_ORIGIN, checkDerivedColumns: true });
    expect(deepClean.ok).toBe(true);
    await asSuperuser(t.db, [`update access_events set user_email = 'someone-else@example.test' where seq = 7`]);
    const deepTampered = await verifyDatabase(t.db, { verifierKeys: [keys.verifierKey], externalStore: store, origin: TEST_ORIGIN, checkDerivedColumns: true });
    expect(deepTampered.logs[1]!.failures.map((f) => `${f.class}@${f.seq}`)).toEqual(["modified_record@7"]);
    expect(deepTampered.logs[1]!.failures[0]!.message).toMatch(/user_email/);
    await asSuperuser(t.db, [`update access_events set user_email = 'u7@example.test' where seq = 7`]);
    await asSuperuser(t.db, [`update access_events set canonical = replace(canonical, '"outcome":"success"', '"outcome":"denied"') where seq = 5`]);
    const tampered = await verifyDatabase(t.db, { verifierKeys: [keys.verifierKey], externalStore: store, origin: TEST_ORIGIN });
    expect(tampered.ok).toBe(false);
    expect(tampered.logs[0]!.ok).toBe(true);
    expect(tampered.logs[1]!.failures.map((f) => `${f.class}@${f.seq}`)).toEqual(["modified_record@5"]);
  });
});
