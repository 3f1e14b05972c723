import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { queryRows } from "@/db/client";
import { getDecision } from "@/db/queries/decisions";
import { PROFILE_EXAMPLES } from "@/lib/ledger/profile-examples";
import { getByPointer } from "@/lib/ledger/json-pointer";
import { PERSONAL_DATA_MASK, personalDataPointers } from "@/lib/ledger/xapi/personal-data";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { maskDecisionRow, maskedDecisionView, revealPersonalData } from "@/lib/services/reveal-personal-data";
import { ServiceInputError } from "@/lib/services/users";
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
  for (const p of personalDataPointers(s)) walk(getByPointer(s, p));
  return out;
}

describe("masking personal data (server side)", () => {
  test.each(Object.entries(PROFILE_EXAMPLES))("%s: no personal value survives in the masked view", (_name, statement) => {
    const pointers = personalDataPointers(statement);
    expect(pointers.length).toBeGreaterThan(0);
    const values = personalStrings(statement);
    expect(values.length).toBeGreaterThan(0);
    const view = maskedDecisionView({ statement, canonical: JSON.stringify(statement) });
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
    expect(personalDataPointers(statement)).toEqual([]);
    const view = maskedDecisionView({ statement, canonical: "{…}" });
    expect(view).toEqual({ statement, canonical: "{…}", personalPointers: [], masked: false });
  });

  test("list rows: ids of decisions about a person are masked for roles that may not reveal", () => {
    const row = { entityType: "agent", entityId: "mbox:mailto:jo@example.test" };
    expect(maskDecisionRow(row, false).entityId).toBe(PERSONAL_DATA_MASK);
    expect(maskDecisionRow(row, true).entityId).toBe(row.entityId);
    const app = { entityType: "loan-application", entityId: "LA-1" };
    expect(maskDecisionRow(app, false)).toBe(app);
  });
});

describe.each(DATABASE_KINDS)("revealing personal data on %s", (kind) => {
  let database: TestDatabase;
  const statement = PROFILE_EXAMPLES.loanDenialHumanApproved;
  const officer = { id: "00000000-0000-4000-8000-0000000000aa", email: "officer@example.test", role: "compliance_officer", ip: "203.0.113.9", userAgent: "vitest" };

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await appendDecisions(database.db, TEST_KEYS, [statement, PROFILE_EXAMPLES.moderationFlagAiOnly], { name: "test" });
  });
  afterAll(async () => {
    await database?.drop();
  });

  const revealRow = z.object({
    target: z.string().nullable(),
    user_email: z.string().nullable(),
    ip: z.string().nullable(),
    event: z.object({ details: z.object({ reason: z.string(), pointers: z.array(z.string()) }) }),
  });
  const reveals = async () =>
    queryRows(
      database.db,
      sql`select target, user_email, ip, event from access_events where action = 'decisions.reveal_personal_data' order by seq`,
      revealRow,
    );

  test("roles without the permission are refused and nothing is logged", async () => {
    for (const role of ["auditor", "incident_reviewer", "nobody"]) {
      await expect(
        revealPersonalData(database.db, { request: { id: statement.id, reason: "Complaint CASE-1 needs it" }, actor: { ...officer, role } }),
      ).rejects.toThrow(/may not reveal/);
    }
    expect(await reveals()).toEqual([]);
  });

  test("bad input names the field and logs nothing", async () => {
    const attempt = (request: unknown) => revealPersonalData(database.db, { request, actor: officer });
    const short = await attempt({ id: statement.id, reason: "because" }).catch((e: unknown) => e);
    expect(short).toBeInstanceOf(ServiceInputError);
    expect((short as ServiceInputError).fieldErrors.reason?.[0]).toMatch(/at least 10 characters/);
    const badId = await attempt({ id: "LA-1", reason: "Complaint CASE-1 needs it" }).catch((e: unknown) => e);
    expect((badId as ServiceInputError).fieldErrors.id?.[0]).toMatch(/UUID/);
    const unknown = await attempt({ id: "00000000-0000-4000-8000-ffffffffffff", reason: "Complaint CASE-1 needs it" }).catch((e: unknown) => e);
    expect((unknown as ServiceInputError).status).toBe(404);
    const extra = await attempt({ id: statement.id, reason: "Complaint CASE-1 needs it", all: true }).catch((e: unknown) => e);
    expect(extra).toBeInstanceOf(ServiceInputError);
    expect(await reveals()).toEqual([]);
  });

  test("a reveal is logged with the reason and pointers, then returns the exact record", async () => {
    const reason = "  Complaint CASE-2291: applicant disputes the denial  ";
    const r = await revealPersonalData(database.db, { request: { id: statement.id!.toUpperCase(), reason }, actor: officer });
    const stored = (await getDecision(database.db, statement.id!))!;
    expect(r.canonical).toBe(stored.canonical);
    expect(r.statement).toEqual(stored.statement);
    expect(r.pointers).toEqual(personalDataPointers(statement));
    const logged = await reveals();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ target: statement.id, user_email: officer.email, ip: officer.ip });
    expect(logged[0]!.event.details.reason).toBe(reason.trim());
    expect(logged[0]!.event.details.pointers).toEqual(r.pointers);
  });
});
