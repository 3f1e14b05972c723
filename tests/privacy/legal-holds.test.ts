import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { queryRows } from "@/db/client";
import { bigintColumn } from "@/db/rows/columns";
import { activeHoldsCovering, listLegalHolds } from "@/db/queries/legal-holds";
import { generateSignerKey } from "@/lib/ledger/signed-note";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { subjectIndexCandidates } from "@/lib/ledger-store/personal-data-store";
import { approveErasure } from "@/lib/services/decide-erasure";
import { placeLegalHold } from "@/lib/services/place-legal-hold";
import { releaseLegalHold } from "@/lib/services/release-legal-hold";
import { requestErasure } from "@/lib/services/request-erasure";
import type { ServiceActorWithRole } from "@/lib/services/data-subject-input";
import { TEST_KEYS } from "../support/personal-data-keys";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { busiestSubject, createPeople, demoStatements, type Person } from "./erasure-fixture";

const REASON = "Litigation hold, case 2026-CV-118";

describe.each(DATABASE_KINDS)("legal holds on data subjects (%s)", (kind) => {
  let database: TestDatabase;
  let people: Record<Person, ServiceActorWithRole>;
  let signerKey: string;
  const statements = demoStatements(`holds-${kind}`, 20);
  const subject = busiestSubject(statements);

  const place = (actor: ServiceActorWithRole, subjectId = subject.id) => placeLegalHold(database.db, TEST_KEYS, { request: { subject: subjectId, reason: REASON }, actor });
  const requestErasureOf = (subjectId: string) =>
    requestErasure(database.db, TEST_KEYS, { request: { subject: subjectId, reason: "Art. 17 request, ticket DPO-7" }, actor: people.ada });

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    people = await createPeople(database.db);
    signerKey = (await generateSignerKey("holds.test")).signerKey;
    await appendDecisions(database.db, TEST_KEYS, statements, { name: "holds-test-writer" });
  });
  afterAll(async () => {
    await database?.drop();
  });

  test("roles without legal_holds.manage are refused; bad input names the field", async () => {
    await expect(place(people.auditor)).rejects.toThrow(/may not place legal holds/);
    await expect(placeLegalHold(database.db, TEST_KEYS, { request: { subject: " ", reason: REASON }, actor: people.officer })).rejects.toThrow(/subject/);
    await expect(releaseLegalHold(database.db, { request: { id: crypto.randomUUID() }, actor: people.auditor })).rejects.toThrow(/may not release/);
    expect(await listLegalHolds(database.db)).toEqual([]);
  });

  test("an active hold refuses the erasure request and the approval of an earlier one; released, erasure proceeds", async () => {
    const pending = await requestErasureOf(subject.id);
    const hold = await place(people.officer);
    expect(hold).toMatchObject({ scope: "subject", reason: REASON, placedBy: people.officer.email, releasedAt: null });
    expect((await activeHoldsCovering(database.db, { subjectIndexes: subjectIndexCandidates(TEST_KEYS, subject.id) })).map((h) => h.id)).toEqual([hold.id]);
    await expect(place(people.ada)).rejects.toThrow(`already under legal hold ${hold.id}`);

    await expect(requestErasureOf(subject.id)).rejects.toThrow(`A legal hold covers this data subject (hold ${hold.id})`);
    const deployment = { db: database.db, origin: "holds.test", signer: { signerKey } };
    await expect(approveErasure(deployment, { request: { id: pending.request.id }, actor: people.bo })).rejects.toThrow(/legal hold covers/);
    // Another subject is not covered.
    const other = busiestSubject(statements.filter((s) => !subject.recordIds.includes(s.id!.toLowerCase())));
    await expect(requestErasureOf(other.id)).resolves.toMatchObject({ request: { status: "pending" } });

    const released = await releaseLegalHold(database.db, { request: { id: hold.id }, actor: people.ada });
    expect(released).toMatchObject({ releasedBy: people.ada.email });
    await expect(releaseLegalHold(database.db, { request: { id: hold.id }, actor: people.ada })).rejects.toThrow(/already released/);
    await expect(approveErasure(deployment, { request: { id: pending.request.id }, actor: people.bo })).resolves.toMatchObject({ status: "completed", keysErased: 1 });
  });

  test("holds and their log entries hold no plaintext subject id", async () => {
    const hold = await place(people.officer, "cust-held-77");
    expect((await listLegalHolds(database.db))[0]!.id).toBe(hold.id);
    const countRow = z.object({ n: bigintColumn });
    const [holds] = await queryRows(database.db, sql`select count(*) as n from legal_holds where subject_indexes::text ilike '%cust-held-77%' or reason ilike '%cust-held-77%'`, countRow);
    const [log] = await queryRows(database.db, sql`select count(*) as n from access_events where canonical ilike '%cust-held-77%'`, countRow);
    expect([holds!.n, log!.n]).toEqual([0, 0]);
    const [placed] = await queryRows(
      database.db,
      sql`select count(*) as n from access_events where action = 'legal_holds.place' and target = ${hold.id}`,
      countRow,
    );
    expect(placed!.n).toBe(1);
  });
});
