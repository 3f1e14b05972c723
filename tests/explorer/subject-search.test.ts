import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { countDecisions, countDecisionsSql, histogramDecisions, listDecisions, listDecisionsSql, type DecisionListRow } from "@/db/queries/decisions";
import { executeSql, queryRows } from "@/db/client";
import { z } from "zod";
import { generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import { describeFiltersForLog, noDecisionFilters, type DecisionFilters, type DecisionSort } from "@/lib/filters/decision-filters";
import { appendDecisions, MAX_BATCH } from "@/lib/ledger-store/append-decisions";
import { PROFILE_EXAMPLES } from "@/lib/ledger/profile-examples";
import { contextExtension } from "@/lib/ledger/xapi/read-statement";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import { EXT } from "@/lib/ledger/xapi/vocabulary";
import { ROLES, roleHas } from "@/lib/auth/permissions";
import { loadDecisionsSearchParams, resolveDecisionQuery } from "@/lib/search-params/decisions";
import { applyPersonFilter, PERSON_SEARCH_REFUSED, personalIdentifierIndexes } from "@/lib/services/personal-identifier-search";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { TEST_KEYS } from "../support/personal-data-keys";

const NOW = new Date("2026-02-01T12:00:00.000Z");
const DEMO_COUNT = 2500;
const NEWEST: DecisionSort = { key: "occurredAt", direction: "desc" };
/** Identifiers written into free text (result.response) of the extra statements below. */
const FREE_TEXT_EMAIL = "ana.silva@example.org";
const FREE_TEXT_PHONE = "+44 20 7946 0958";
const FREE_TEXT_IBAN = "GB82 WEST 1234 5698 7654 32";

function subjectRefOf(s: XapiStatement): string | null {
  const subject = contextExtension(s, EXT.subject) as { ref?: unknown } | undefined;
  return typeof subject?.ref === "string" ? subject.ref : null;
}

/** Profile examples whose response mentions a person's contact details: detection commits them, the lookups index them. */
function statementsWithIdentifiersInFreeText(): XapiStatement[] {
  const base = PROFILE_EXAMPLES.moderationFlagAiOnly;
  const withResponse = (id: string, response: string): XapiStatement => {
    const s = structuredClone(base) as XapiStatement;
    s.id = id;
    s.timestamp = new Date(NOW.getTime() - 3600_000).toISOString();
    s.result = { ...s.result, response };
    return s;
  };
  return [
    withResponse("10000000-0000-4000-8000-000000000001", `Reported by ${FREE_TEXT_EMAIL} after a repeated complaint`),
    withResponse("10000000-0000-4000-8000-000000000002", `Caller left ${FREE_TEXT_PHONE} as a call-back number`),
    withResponse("10000000-0000-4000-8000-000000000003", `Refund requested to ${FREE_TEXT_IBAN}`),
  ];
}

function personFilters(typed: string): DecisionFilters {
  return { ...noDecisionFilters(), personalIdentifierIndexes: personalIdentifierIndexes(TEST_KEYS, typed) };
}

async function allIds(db: TestDatabase["db"], filters: DecisionFilters): Promise<string[]> {
  const rows: DecisionListRow[] = [];
  let cursor = null;
  for (let guard = 0; guard < 100; guard++) {
    const page = await listDecisions(db, { filters, sort: NEWEST, cursor, limit: 200 });
    rows.push(...page.rows);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return rows.map((r) => r.id);
}

describe.each(DATABASE_KINDS)("person search (blind index) on %s", (kind) => {
  let database: TestDatabase;
  let demo: XapiStatement[];
  /** Decision ids by demo subject ref, newest first, from the generator's own data. */
  const idsByRef = new Map<string, string[]>();

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    demo = generateDemoStatements({ count: DEMO_COUNT, now: NOW, days: 30, seed: "subject-search" });
    for (let i = 0; i < demo.length; i += MAX_BATCH) await appendDecisions(database.db, TEST_KEYS, demo.slice(i, i + MAX_BATCH), { name: "demo" }, NOW);
    await appendDecisions(database.db, TEST_KEYS, statementsWithIdentifiersInFreeText(), { name: "test-writer" }, NOW);
    const newestFirst = [...demo].sort((a, b) => Date.parse(b.timestamp!) - Date.parse(a.timestamp!));
    for (const s of newestFirst) {
      const ref = subjectRefOf(s);
      if (ref !== null) idsByRef.set(ref, [...(idsByRef.get(ref) ?? []), s.id!.toLowerCase()]);
    }
  }, 240_000);
  afterAll(async () => {
    await database?.drop();
  });

  test("a demo subject's ref finds exactly its decisions, in the list, the count and the histogram", async () => {
    const repeated = [...idsByRef.entries()].filter(([, ids]) => ids.length >= 3);
    expect(repeated.length).toBeGreaterThan(3);
    // A loan customer, a moderated author and a patient: each system's subjects.
    for (const prefix of ["cust-", "user-", "pat-"]) {
      const [ref, expected] = repeated.find(([r]) => r.startsWith(prefix)) ?? [];
      expect(ref, `a repeated ${prefix} subject`).toBeDefined();
      const filters = personFilters(ref!);
      expect(new Set(await allIds(database.db, filters))).toEqual(new Set(expected));
      expect(await countDecisions(database.db, filters)).toEqual({ count: expected!.length, capped: false });
      const histogram = await histogramDecisions(database.db, filters, NOW);
      expect(histogram!.buckets.reduce((n, b) => n + b.total, 0)).toBe(expected!.length);
    }
  });

  test("the person filter combines with the other filters", async () => {
    const [ref, ids] = [...idsByRef.entries()].find(([r, list]) => r.startsWith("cust-") && list.length >= 2)!;
    const newest = demo.find((s) => s.id!.toLowerCase() === ids[0])!;
    const filters = { ...personFilters(ref), from: new Date(Date.parse(newest.timestamp!)), to: new Date(Date.parse(newest.timestamp!) + 1) };
    expect(await allIds(database.db, filters)).toEqual([ids[0]]);
  });

  test("identifiers found in free text find their record, however they are spelled", async () => {
    expect(await allIds(database.db, personFilters(FREE_TEXT_EMAIL))).toEqual(["10000000-0000-4000-8000-000000000001"]);
    expect(await allIds(database.db, personFilters("  Ana.Silva@Example.org "))).toEqual(["10000000-0000-4000-8000-000000000001"]);
    expect(await allIds(database.db, personFilters("+442079460958"))).toEqual(["10000000-0000-4000-8000-000000000002"]);
    expect(await allIds(database.db, personFilters("gb82west12345698765432"))).toEqual(["10000000-0000-4000-8000-000000000003"]);
  });

  test("an unknown identifier finds nothing", async () => {
    for (const typed of ["cust-9999999", "nobody@example.org", "+31 6 12345678", "NL91 ABNA 0417 1643 00"]) {
      const filters = personFilters(typed);
      expect(await allIds(database.db, filters)).toEqual([]);
      expect(await countDecisions(database.db, filters)).toEqual({ count: 0, capped: false });
    }
  });

  test("the lookup index serves the search (EXPLAIN)", async () => {
    const [ref] = [...idsByRef.entries()].find(([r]) => r.startsWith("cust-"))!;
    await executeSql(database.db, sql`analyze`);
    const filters = personFilters(ref);
    for (const query of [listDecisionsSql({ filters, sort: NEWEST, limit: 50 }), countDecisionsSql(filters)]) {
      const rows = await queryRows(database.db, sql`explain ${query}`, z.object({ "QUERY PLAN": z.string() }));
      const plan = rows.map((r) => r["QUERY PLAN"]).join("\n");
      // Start from the person's few lookups, then each decision by key: never read a whole table.
      expect(plan).toMatch(/(Index|Index Only|Bitmap Index) Scan (using|on) personal_data_lookups_(seq_idx|blind_index_record_id_pk)/);
      expect(plan).not.toMatch(/Seq Scan/);
    }
  });
});

describe("who may search by person", () => {
  const filters = noDecisionFilters();

  test.each(ROLES)("%s: honoured exactly when the role has personal_data.search", (role) => {
    const outcome = applyPersonFilter(TEST_KEYS, role, filters, "cust-0001234");
    if (roleHas(role, "personal_data.search")) {
      expect(outcome.status).toBe("applied");
      if (outcome.status === "applied") expect(outcome.filters.personalIdentifierIndexes).toEqual(personalIdentifierIndexes(TEST_KEYS, "cust-0001234"));
    } else {
      expect(outcome).toEqual({ status: "refused", notice: PERSON_SEARCH_REFUSED });
    }
  });

  test("an unknown role is refused", () => {
    expect(applyPersonFilter(TEST_KEYS, "superuser", filters, "cust-0001234").status).toBe("refused");
  });

  test("the URL's identifier reaches neither the filters nor the access-log details", () => {
    const typed = "ana.silva@example.org";
    const query = resolveDecisionQuery(loadDecisionsSearchParams(new URLSearchParams({ person: typed, verb: "denied" })), NOW);
    expect(query.personalIdentifier).toBe(typed);
    expect(JSON.stringify(query.filters)).not.toContain("ana.silva");
    const outcome = applyPersonFilter(TEST_KEYS, "compliance_officer", query.filters, query.personalIdentifier);
    expect(outcome.status).toBe("applied");
    const logged = JSON.stringify(describeFiltersForLog(outcome.status === "applied" ? outcome.filters : query.filters));
    expect(logged).not.toMatch(/ana\.silva|example\.org/i);
    expect(logged).toContain(personalIdentifierIndexes(TEST_KEYS, typed)[0]);
  });

  test("an identifier longer than the limit is ignored with a notice, not shortened", () => {
    const query = resolveDecisionQuery(loadDecisionsSearchParams(new URLSearchParams({ person: "x".repeat(201) })), NOW);
    expect(query.personalIdentifier).toBeNull();
    expect(query.notices).toHaveLength(1);
  });
});
