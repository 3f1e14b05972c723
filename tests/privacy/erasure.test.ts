import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { queryRows } from "@/db/client";
import { bigintColumn } from "@/db/rows/columns";
import { listErasureRequests } from "@/db/queries/erasure-requests";
import { readLogSize } from "@/db/queries/log-entries";
import { generateSignerKey, verifyNote } from "@/lib/ledger/signed-note";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { createCheckpoint, originOf } from "@/lib/ledger-store/create-checkpoint";
import { subjectIndexCandidates } from "@/lib/ledger-store/personal-data-store";
import { readRecordOpenings } from "@/lib/ledger-store/read-openings";
import { verifyLog } from "@/lib/ledger-store/verify/verify-database";
import { approveErasure, rejectErasure, type ErasureDeployment } from "@/lib/services/decide-erasure";
import { ERASURE_RECEIPT_FORMAT } from "@/lib/services/erasure-receipt";
import { requestErasure } from "@/lib/services/request-erasure";
import { revealPersonalData } from "@/lib/services/reveal-personal-data";
import type { ServiceActorWithRole } from "@/lib/services/data-subject-input";
import { TempCheckpointStore } from "../ledger-db/ledger-fixture";
import { TEST_KEYS } from "../support/personal-data-keys";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { busiestSubject, createPeople, demoStatements, type Person } from "./erasure-fixture";

const ORIGIN = "erasure.test";
const WRITER = { name: "erasure-test-writer" };
const countRow = z.object({ n: bigintColumn });

describe.each(DATABASE_KINDS)("erasure of a data subject (%s)", (kind) => {
  let database: TestDatabase;
  let people: Record<Person, ServiceActorWithRole>;
  let keys: { signerKey: string; verifierKey: string };
  let store: TempCheckpointStore;
  let deployment: ErasureDeployment;
  const statements = demoStatements(`erasure-${kind}`);
  const subject = busiestSubject(statements);
  const otherRecord = statements.find((s) => !subject.recordIds.includes(s.id!.toLowerCase()))!.id!.toLowerCase();

  const count = async (query: ReturnType<typeof sql>) => (await queryRows(database.db, query, countRow))[0]!.n;
  const checkpointBoth = async () => {
    for (const logId of ["decisions", "access"] as const) {
      await createCheckpoint(database.db, { logId, origin: originOf(ORIGIN, logId), signer: { signerKey: keys.signerKey }, externalStore: store });
    }
  };
  /** What `decision-ledger verify-db` runs: every log, the configured key, the external store. */
  const verifyDatabase = async () =>
    Promise.all(
      (["decisions", "access"] as const).map((logId) =>
        verifyLog(database.db, { logId, verifierKeys: [keys.verifierKey], externalStore: store, origin: originOf(ORIGIN, logId) }),
      ),
    );
  const request = (actor: ServiceActorWithRole, subjectId = subject.id) =>
    requestErasure(database.db, TEST_KEYS, { request: { subject: subjectId, reason: "Art. 17 request, ticket DPO-2211" }, actor });

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    people = await createPeople(database.db);
    keys = await generateSignerKey(ORIGIN);
    store = new TempCheckpointStore();
    deployment = { db: database.db, origin: ORIGIN, signer: { signerKey: keys.signerKey } };
    await appendDecisions(database.db, TEST_KEYS, statements, WRITER);
    await checkpointBoth();
  });
  afterAll(async () => {
    await database?.drop();
    store?.remove();
  });

  test("a role without personal_data.erase is refused by every erasure service", async () => {
    await expect(request(people.officer)).rejects.toThrow(/may not request an erasure/);
    const pending = await request(people.ada);
    await expect(approveErasure(deployment, { request: { id: pending.request.id }, actor: people.auditor })).rejects.toThrow(/may not approve/);
    await expect(rejectErasure(database.db, { request: { id: pending.request.id }, actor: people.officer })).rejects.toThrow(/may not reject/);
    // A role claimed by the caller is checked against the users table too.
    await expect(approveErasure(deployment, { request: { id: pending.request.id }, actor: { ...people.officer, role: "admin" } })).rejects.toThrow(/Only an active user/);
    const withdrawn = await rejectErasure(database.db, { request: { id: pending.request.id }, actor: people.ada });
    expect(withdrawn).toMatchObject({ status: "rejected", decidedBy: people.ada.email, keysErased: null });
  });

  test("the request names the subject by blind indexes only and logs the matching counts", async () => {
    const { request: pending, matchingKeys, matchingRecords } = await request(people.ada);
    expect(pending.status).toBe("pending");
    expect(pending.subjectIndexes).toEqual(subjectIndexCandidates(TEST_KEYS, subject.id));
    expect({ matchingKeys, matchingRecords }).toEqual({ matchingKeys: 1, matchingRecords: subject.recordIds.length });
    const [entry] = await queryRows(
      database.db,
      sql`select canonical from access_events where action = 'personal_data.erasure_request' and target = ${pending.id}`,
      z.object({ canonical: z.string() }),
    );
    expect(JSON.parse(entry!.canonical)).toMatchObject({ details: { requestId: pending.id, matchingKeys: 1, matchingRecords: subject.recordIds.length } });
    await rejectErasure(database.db, { request: { id: pending.id }, actor: people.bo });
  });

  test("a reason holding the subject id is refused: the reason is stored in clear", async () => {
    await expect(
      requestErasure(database.db, TEST_KEYS, { request: { subject: subject.id, reason: `erase ${subject.id.toUpperCase()} per ticket` }, actor: people.ada }),
    ).rejects.toThrow(/Leave the subject's id out of the reason/);
  });

  test("four eyes: the requester cannot approve; a second admin erases, with counts and a signed receipt", async () => {
    const { request: pending } = await request(people.ada);
    await expect(approveErasure(deployment, { request: { id: pending.id }, actor: people.ada })).rejects.toThrow(/Four eyes: ada@erasure.test requested this erasure/);
    expect((await listErasureRequests(database.db, { status: "pending" })).map((r) => r.id)).toEqual([pending.id]);

    const recordIds = subject.recordIds;
    const expectedValues = await count(sql`select count(*) as n from personal_data_openings where record_id in (${sql.join(recordIds.map((id) => sql`${id}::uuid`), sql`, `)})`);
    expect(expectedValues).toBeGreaterThan(recordIds.length);
    const treeSize = await readLogSize(database.db, "decisions");

    const done = await approveErasure(deployment, { request: { id: pending.id }, actor: people.bo });
    expect(done).toMatchObject({ status: "completed", decidedBy: people.bo.email, keysErased: 1, valuesUnreadable: expectedValues, recordsAffected: recordIds.length });

    const verified = await verifyNote(done.receipt!, [keys.verifierKey]);
    const lines = verified.text.trimEnd().split("\n");
    expect(lines[0]).toBe(ERASURE_RECEIPT_FORMAT);
    expect(lines).toEqual(
      expect.arrayContaining([
        `origin ${ORIGIN}`,
        `request ${pending.id}`,
        ...pending.subjectIndexes.map((i) => `subject-index ${i}`),
        `keys-erased 1`,
        `values-unreadable ${expectedValues}`,
        `records-affected ${recordIds.length}`,
        `decisions-tree-size ${treeSize}`,
      ]),
    );
    expect(lines.find((l) => l.startsWith("requested-by "))).toMatch(/^requested-by ada@erasure\.test \d{4}-/);
    expect(lines.find((l) => l.startsWith("approved-by "))).toBe(`approved-by bo@erasure.test ${done.decidedAt!.toISOString()}`);
    await expect(verifyNote(done.receipt!.replace(`values-unreadable ${expectedValues}`, "values-unreadable 0"), [keys.verifierKey])).rejects.toThrow(/invalid signature/);

    // The subject id was typed twice and stored nowhere: not in the requests, not in the access log.
    expect(await count(sql`select count(*) as n from erasure_requests where subject_indexes::text ilike ${"%" + subject.id + "%"} or receipt ilike ${"%" + subject.id + "%"}`)).toBe(0);
    expect(await count(sql`select count(*) as n from access_events where canonical ilike ${"%" + subject.id + "%"}`)).toBe(0);
  });

  test("after erasure the records show the erasure, reveal nothing, and every log still verifies", async () => {
    const [completed] = await listErasureRequests(database.db, { status: "completed" });
    const openings = await readRecordOpenings(database.db, TEST_KEYS, [...subject.recordIds, otherRecord]);
    for (const id of subject.recordIds) {
      const record = openings.get(id)!;
      expect(record.openings.size, id).toBe(0);
      expect(record.total).toBeGreaterThan(0);
      expect(record.erasures).toEqual([{ erasedAt: completed!.decidedAt, requestId: completed!.id }]);
    }
    expect(openings.get(otherRecord)!.openings.size).toBeGreaterThan(0);
    expect(openings.get(otherRecord)!.erasures).toEqual([]);
    const day = completed!.decidedAt!.toISOString().slice(0, 10);
    await expect(
      revealPersonalData(database.db, TEST_KEYS, { request: { id: subject.recordIds[0], reason: "checking the erasure worked" }, actor: people.ada }),
    ).rejects.toThrow(`Personal data erased on ${day} (request ${completed!.id})`);

    await checkpointBoth();
    const reports = await verifyDatabase();
    expect(reports.map((r) => [r.logId, r.ok, r.failureCount])).toEqual([
      ["decisions", true, 0],
      ["access", true, 0],
    ]);
    expect(reports[0]!.recordsChecked).toBe(statements.length);
  });

  test("a second erasure of the subject erases nothing new; a later record gets a new key", async () => {
    const { request: again, matchingKeys } = await request(people.bo);
    expect(matchingKeys).toBe(0);
    const repeated = await approveErasure(deployment, { request: { id: again.id }, actor: people.ada });
    expect(repeated).toMatchObject({ status: "completed", keysErased: 0, valuesUnreadable: 0, recordsAffected: 0 });
    await expect(approveErasure(deployment, { request: { id: again.id }, actor: people.ada })).rejects.toThrow(/already completed/);

    const later = structuredClone(statements.find((s) => s.id!.toLowerCase() === subject.recordIds[0])!);
    later.id = crypto.randomUUID();
    const appended = await appendDecisions(database.db, TEST_KEYS, [later], WRITER);
    const laterId = appended.records[0]!.id;
    const indexes = subjectIndexCandidates(TEST_KEYS, subject.id);
    const inIndexes = sql.join(indexes.map((i) => sql`${i}`), sql`, `);
    expect(await count(sql`select count(*) as n from personal_data_keys where subject_index in (${inIndexes})`)).toBe(2);
    expect(await count(sql`select count(*) as n from personal_data_keys where subject_index in (${inIndexes}) and erased_at is null`)).toBe(1);
    const record = (await readRecordOpenings(database.db, TEST_KEYS, [laterId])).get(laterId)!;
    expect(record.erasures).toEqual([]);
    expect(record.openings.size).toBe(record.total);
    expect(record.total).toBeGreaterThan(0);

    await checkpointBoth();
    expect((await verifyDatabase()).every((r) => r.ok)).toBe(true);
  });
});
