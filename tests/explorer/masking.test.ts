import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { queryRows } from "@/db/client";
import { getDecision } from "@/db/queries/decisions";
import { portableBytesBackend } from "@/lib/hash/browser-sha256";
import { nodeBytesBackend } from "@/lib/hash/node-sha256";
import { fromBase64 } from "@/lib/ledger/bytes";
import { DEFAULT_PERSONAL_DATA_DETECTION_CONFIG } from "@/lib/ledger/personal-data-detection/detection-config";
import { PROFILE_EXAMPLES } from "@/lib/ledger/profile-examples";
import { getByPointer } from "@/lib/ledger/json-pointer";
import { commitStatement } from "@/lib/ledger/xapi/commit-statement";
import { findCommitments } from "@/lib/ledger/xapi/open-statement";
import { PD_ACCOUNT_HOME_PAGE, verifyOpening } from "@/lib/ledger/xapi/pd-commitment";
import { PERSONAL_DATA_MASK } from "@/lib/ledger/xapi/personal-data";
import { displayPersonalPointers } from "@/lib/ledger/xapi/personal-positions";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import { EXT } from "@/lib/ledger/xapi/vocabulary";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { maskDecisionRow, maskedDecisionView, readRecordErasures, revealPersonalData } from "@/lib/services/reveal-personal-data";
import { ServiceInputError } from "@/lib/services/users";
import { appendLegacyDecisions } from "../support/legacy-ledger";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";

/** Every primitive personal value of a statement, as the JSON text it would appear as. */
function personalStrings(s: XapiStatement): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (v === null || v === undefined) return;
    if (typeof v === "object") for (const x of Object.values(v as object)) walk(x);
    else out.push(JSON.stringify(v));
  };
  for (const p of displayPersonalPointers(s)) walk(getByPointer(s, p));
  return out;
}

/** The columns maskDecisionRow reads, for an AI decision without a reviewer. */
const listRow = (entity: { entityType: string; entityId: string }) => ({ actorType: "ai", actorName: "Model", aiSystem: "Model", reviewerName: null, ...entity });

const commit = (statement: XapiStatement) =>
  commitStatement(statement, { backend: nodeBytesBackend, random: randomBytes, detection: DEFAULT_PERSONAL_DATA_DETECTION_CONFIG });

describe("the view of a committed (format 1) record", () => {
  test.each(Object.entries(PROFILE_EXAMPLES))("%s: sent whole, canonical text included, with no personal value in it", (_name, original) => {
    const committed = commit(original).statement;
    const canonical = JSON.stringify(committed);
    const view = maskedDecisionView({ statement: committed, canonical });
    expect(view).toMatchObject({ format: 1, statement: committed, canonical, masked: false });
    expect(view.personalPointers).toEqual([...new Set(findCommitments(committed).map((c) => c.pointer))]);
    expect(view.personalPointers.length).toBeGreaterThan(0);
    const sent = JSON.stringify(view);
    for (const v of personalStrings(original)) if (v.length >= 6) expect(sent.includes(v), `${v} leaked`).toBe(false);
  });

  test("list rows: a committed agent's id holds no personal data and is left for the placeholder", () => {
    const row = listRow({ entityType: "agent", entityId: `account:${PD_ACCOUNT_HOME_PAGE}|3f2b8c1e-5d4a-4b6c-8e7f-0a1b2c3d4e5f:${"ab".repeat(32)}` });
    expect(maskDecisionRow(row, false)).toBe(row);
  });
});

describe("masking a legacy (format 0) record, server side", () => {
  // The profile examples as producers send them hold plaintext personal data and no format
  // marker: exactly what a record stored before commitments looks like.
  test.each(Object.entries(PROFILE_EXAMPLES))("%s: no personal value survives in the masked view", (_name, statement) => {
    const pointers = displayPersonalPointers(statement);
    expect(pointers.length).toBeGreaterThan(0);
    const values = personalStrings(statement);
    expect(values.length).toBeGreaterThan(0);
    const view = maskedDecisionView({ statement, canonical: JSON.stringify(statement) });
    expect(view.format).toBe(0);
    expect(view.masked).toBe(true);
    expect(view.canonical).toBeNull();
    expect(view.personalPointers).toEqual(pointers);
    for (const p of pointers) expect(getByPointer(view.statement, p)).toBe(PERSONAL_DATA_MASK);
    // What is sent to the browser: no personal value anywhere in it (as a JSON value).
    const sent = JSON.stringify(view);
    for (const v of values) {
      // Short generic values (e.g. a small number) may legitimately occur elsewhere; check
      // the masked positions for those, and the whole payload for distinctive ones.
      if (v.length >= 6) expect(sent.includes(v), `${v} leaked`).toBe(false);
    }
    // The original is untouched (masking copies).
    expect(JSON.stringify(statement)).not.toContain(PERSONAL_DATA_MASK);
  });

  test("a record without personal data is sent whole, canonical text included", () => {
    const statement = structuredClone(PROFILE_EXAMPLES.moderationFlagAiOnly) as XapiStatement;
    delete statement.context!.extensions!["https://decision-ledger.dev/xapi/ext/subject"];
    delete statement.context!.extensions!["https://decision-ledger.dev/xapi/ext/personal-features"];
    expect(displayPersonalPointers(statement)).toEqual([]);
    const view = maskedDecisionView({ statement, canonical: "{…}" });
    expect(view).toEqual({ format: 0, statement, canonical: "{…}", personalPointers: [], masked: false });
  });

  test("list rows: ids of decisions about a person are masked for roles that may not reveal", () => {
    const row = listRow({ entityType: "agent", entityId: "mbox:mailto:jo@example.test" });
    expect(maskDecisionRow(row, false).entityId).toBe(PERSONAL_DATA_MASK);
    expect(maskDecisionRow(row, true).entityId).toBe(row.entityId);
    const app = listRow({ entityType: "loan-application", entityId: "LA-1" });
    expect(maskDecisionRow(app, false)).toBe(app);
  });
});

describe.each(DATABASE_KINDS)("revealing personal data on %s", (kind) => {
  let database: TestDatabase;
  const statement = PROFILE_EXAMPLES.loanDenialHumanApproved;
  const erased = PROFILE_EXAMPLES.loanHumanOverride;
  const ERASURE_REQUEST = "5b0c9d1e-2f3a-4b5c-8d6e-7f8091a2b3c4";
  // A record stored before commitments (format 0), written as that release wrote it.
  const legacy: XapiStatement = { ...structuredClone(PROFILE_EXAMPLES.clinicalTriageAiAssisted), id: "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6" };
  const officer = { id: "00000000-0000-4000-8000-0000000000aa", email: "officer@example.test", role: "compliance_officer", ip: "203.0.113.9", userAgent: "vitest" };
  const reveal = (request: unknown, actor = officer) => revealPersonalData(database.db, TEST_KEYS, { request, actor });

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await appendLegacyDecisions(database.db, [legacy], { name: "test" });
    await appendDecisions(database.db, TEST_KEYS, [statement, PROFILE_EXAMPLES.moderationFlagAiOnly, erased], { name: "test" });
    // Erasure as the database allows it and nothing else: the subject's data key destroyed, with the date and the request.
    await database.db.execute(sql`
      update personal_data_keys set wrapped_key = null, erased_at = '2026-03-01T10:00:00Z', erasure_request_id = ${ERASURE_REQUEST}::uuid
      where id in (select key_id from personal_data_openings where record_id = ${erased.id}::uuid)`);
  });
  afterAll(async () => {
    await database?.drop();
  });

  const revealRow = z.object({
    target: z.string().nullable(),
    user_email: z.string().nullable(),
    ip: z.string().nullable(),
    event: z.object({ details: z.object({ reason: z.string(), pointers: z.array(z.string()), seq: z.number() }) }),
  });
  const reveals = async () =>
    queryRows(
      database.db,
      sql`select target, user_email, ip, event from access_events where action = 'decisions.reveal_personal_data' order by seq`,
      revealRow,
    );

  test("records appended now are committed: the stored statement holds commitments, not values", async () => {
    const stored = (await getDecision(database.db, statement.id!))!;
    expect(stored.statement.context!.extensions![EXT.personalDataFormat]).toBe(1);
    for (const v of personalStrings(statement)) if (v.length >= 6) expect(stored.canonical).not.toContain(v);
    expect(maskedDecisionView(stored)).toMatchObject({ format: 1, canonical: stored.canonical, masked: false });
  });

  test("roles without the permission are refused and nothing is logged", async () => {
    for (const role of ["auditor", "incident_reviewer", "nobody"]) {
      await expect(reveal({ id: statement.id, reason: "Complaint CASE-1 needs it" }, { ...officer, role })).rejects.toThrow(/may not reveal/);
    }
    expect(await reveals()).toEqual([]);
  });

  test("bad input names the field and logs nothing", async () => {
    const short = await reveal({ id: statement.id, reason: "because" }).catch((e: unknown) => e);
    expect(short).toBeInstanceOf(ServiceInputError);
    expect((short as ServiceInputError).fieldErrors.reason?.[0]).toMatch(/at least 10 characters/);
    const badId = await reveal({ id: "LA-1", reason: "Complaint CASE-1 needs it" }).catch((e: unknown) => e);
    expect((badId as ServiceInputError).fieldErrors.id?.[0]).toMatch(/UUID/);
    const unknown = await reveal({ id: "00000000-0000-4000-8000-ffffffffffff", reason: "Complaint CASE-1 needs it" }).catch((e: unknown) => e);
    expect((unknown as ServiceInputError).status).toBe(404);
    const extra = await reveal({ id: statement.id, reason: "Complaint CASE-1 needs it", all: true }).catch((e: unknown) => e);
    expect(extra).toBeInstanceOf(ServiceInputError);
    expect(await reveals()).toEqual([]);
  });

  test("an erased subject's record: the reveal fails with the erasure, nothing is revealed or logged, the page says so", async () => {
    const failure = await reveal({ id: erased.id, reason: "Complaint CASE-3 needs the applicant's name" }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ServiceInputError);
    expect((failure as ServiceInputError).message).toBe(`Personal data erased on 2026-03-01 (request ${ERASURE_REQUEST})`);
    expect((failure as ServiceInputError).status).toBe(409);
    expect(JSON.stringify(failure)).not.toContain("cust-0019876");
    expect(await reveals()).toEqual([]);
    expect(await readRecordErasures(database.db, erased.id!.toUpperCase())).toEqual([{ erasedAt: new Date("2026-03-01T10:00:00Z"), requestId: ERASURE_REQUEST }]);
    expect(await readRecordErasures(database.db, statement.id!)).toEqual([]);
  });

  test("a reveal is logged with the reason, pointers and seq, then returns openings that match the commitments in the stored text", async () => {
    const reason = "  Complaint CASE-2291: applicant disputes the denial  ";
    const r = await reveal({ id: statement.id!.toUpperCase(), reason });
    const stored = (await getDecision(database.db, statement.id!))!;
    expect(r.format).toBe(1);
    expect(r.canonical).toBe(stored.canonical);
    const found = findCommitments(JSON.parse(stored.canonical));
    expect(r.pointers).toEqual([...new Set(found.map((c) => c.pointer))]);
    expect(r.openings.map((o) => o.ref)).toEqual(found.map((c) => c.ref));
    expect(r.mismatched).toEqual([]);
    // What the browser does with them: each opening checked against the commitment in the canonical text.
    for (const c of found) {
      const o = r.openings.find((x) => x.ref === c.ref)!;
      expect(o.pointer).toBe(c.pointer);
      expect(verifyOpening(portableBytesBackend, c.commitment, { value: o.value, salt: fromBase64(o.salt) })).toBe(true);
    }
    // The opened statement holds the values the producer sent.
    const subjectPointer = `/context/extensions/${EXT.subject.replace(/\//g, "~1")}`;
    expect(getByPointer(r.statement, subjectPointer)).toEqual(getByPointer(statement, subjectPointer));
    expect(r.statement.context!.contextAgents![0]!.agent.name).toBe("Priya Raman");
    const logged = (await reveals()).filter((e) => e.target === statement.id);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ target: statement.id, user_email: officer.email, ip: officer.ip });
    expect(logged[0]!.event.details).toEqual({ reason: reason.trim(), pointers: r.pointers, seq: stored.seq });
  });

  test("a legacy record keeps today's behaviour: masked with its text withheld, revealed as stored, logged", async () => {
    const stored = (await getDecision(database.db, legacy.id!))!;
    expect(stored.canonical).toContain("pat-00081234");
    const view = maskedDecisionView(stored);
    expect(view).toMatchObject({ format: 0, canonical: null, masked: true, personalPointers: displayPersonalPointers(stored.statement) });
    expect(JSON.stringify(view)).not.toContain("pat-00081234");
    const reason = "Complaint CASE-4410: patient asks for the triage record";
    const r = await reveal({ id: legacy.id, reason });
    expect(r).toMatchObject({ format: 0, canonical: stored.canonical, statement: stored.statement, openings: [], mismatched: [] });
    expect(r.pointers).toEqual(displayPersonalPointers(stored.statement));
    const logged = (await reveals()).filter((e) => e.target === legacy.id);
    expect(logged.map((e) => e.event.details)).toEqual([{ reason, pointers: r.pointers, seq: stored.seq }]);
  });
});
