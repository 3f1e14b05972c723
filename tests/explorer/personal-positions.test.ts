import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getDecision, listDecisions, listRelatedDecisions } from "@/db/queries/decisions";
import { noDecisionFilters } from "@/lib/filters/decision-filters";
import { nodeBytesBackend } from "@/lib/hash/node-sha256";
import { getByPointer } from "@/lib/ledger/json-pointer";
import { DEFAULT_PERSONAL_DATA_DETECTION_CONFIG } from "@/lib/ledger/personal-data-detection/detection-config";
import { commitStatement } from "@/lib/ledger/xapi/commit-statement";
import { PROFILE_EXAMPLES } from "@/lib/ledger/profile-examples";
import { deriveDecisionColumns } from "@/lib/ledger/xapi/derived-columns";
import { maskPersonalData, PERSONAL_DATA_MASK } from "@/lib/ledger/xapi/personal-data";
import { displayPersonalPointers, ENTITY_ID_POINTER, isPersonalAgentId, personalColumnKeys, personalPositions } from "@/lib/ledger/xapi/personal-positions";
import type { XapiActivity, XapiStatement } from "@/lib/ledger/xapi/types";
import { EXT, ROLES } from "@/lib/ledger/xapi/vocabulary";
import { decisionPageView, maskDecisionRow, maskedDecisionView } from "@/lib/services/reveal-personal-data";
import { appendLegacyDecisions } from "../support/legacy-ledger";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";

const STAFF = "https://staff.northwind-bank.example/directory";
const clone = (s: XapiStatement): XapiStatement => structuredClone(s);

function withEntity(s: XapiStatement, type: string, id: string, activityId?: string): XapiStatement {
  const obj = s.object as XapiActivity;
  obj.definition!.extensions![EXT.entity] = { type, id };
  if (activityId) obj.id = activityId;
  return s;
}

/** Legacy (format 0) statements holding personal values in every position the probe found, each with a fresh id. */
function legacyFixtures(): Record<"emailEntity" | "agentObject" | "humanActor" | "humanReviewer" | "instructor", XapiStatement> {
  const emailEntity = withEntity(
    clone(PROFILE_EXAMPLES.loanDenialHumanApproved),
    "loan-application",
    "cust-email-7731@person.example",
    "https://loans.northwind-bank.example/customers/cust-email-7731@person.example",
  );
  emailEntity.id = "1a7d2c60-0000-4000-8000-000000000001";

  const agentObject = clone(PROFILE_EXAMPLES.loanDenialHumanApproved);
  agentObject.object = { objectType: "Agent", name: "Sybil Subject", mbox: "mailto:x@subject.example" };
  agentObject.id = "1a7d2c60-0000-4000-8000-000000000002";

  const humanActor = clone(PROFILE_EXAMPLES.loanHumanOverride);
  humanActor.actor = { objectType: "Agent", name: "Harriet Actor", mbox: "mailto:harriet.actor@staff.example" };
  humanActor.id = "1a7d2c60-0000-4000-8000-000000000003";

  const humanReviewer = clone(PROFILE_EXAMPLES.loanDenialHumanApproved);
  humanReviewer.context!.contextAgents![0]!.agent = { objectType: "Agent", name: "Rowan Reviewer", account: { homePage: STAFF, name: "staff-0042" } };
  humanReviewer.id = "1a7d2c60-0000-4000-8000-000000000004";

  const instructor = withEntity(clone(PROFILE_EXAMPLES.loanHumanOverride), "customer", "cust-0012999");
  instructor.actor = { objectType: "Agent", name: "Hugo Staffer", account: { homePage: STAFF, name: "staff-0077" } };
  instructor.context!.instructor = { objectType: "Agent", name: "Ivy Instructor", mbox: "mailto:ivy.instructor@staff.example" };
  instructor.context!.team = { objectType: "Group", name: "Teodora Team", member: [{ objectType: "Agent", name: "Mia Member", account: { homePage: STAFF, name: "staff-0099" } }] };
  instructor.context!.contextAgents!.push({
    objectType: "contextAgent",
    agent: { objectType: "Agent", name: "Olive Observer", mbox: "mailto:olive@staff.example" },
    relevantTypes: [ROLES.advisorRecipient],
  });
  instructor.id = "1a7d2c60-0000-4000-8000-000000000005";
  return { emailEntity, agentObject, humanActor, humanReviewer, instructor };
}

/** Personal values of the fixtures, written out by hand rather than derived from the code under test. */
const PERSONAL = [
  "cust-email-7731@person.example",
  "x@subject.example",
  "Sybil Subject",
  "Harriet Actor",
  "harriet.actor@staff.example",
  "Rowan Reviewer",
  "Hugo Staffer",
  "Ivy Instructor",
  "ivy.instructor@staff.example",
  "Teodora Team",
  "Mia Member",
  "Olive Observer",
  "olive@staff.example",
  "cust-0012999",
];

function expectNoPersonalValue(sent: string): void {
  for (const v of PERSONAL) expect(sent.includes(v), `${v} leaked`).toBe(false);
}

/** A list row as the list query returns it, from the stored columns of a legacy record. */
function rowOf(s: XapiStatement, seq = 1) {
  const c = deriveDecisionColumns(s);
  const { actorId: _actorId, reviewerId: _reviewerId, searchText: _searchText, ...listed } = c;
  return { ...listed, id: s.id!, seq, recordedAt: "2026-01-01T00:00:00.000000Z", occurredAt: c.occurredAt.toISOString() };
}

describe("the personal positions of a statement (one rule for both formats)", () => {
  const f = legacyFixtures();

  test("cover e-mail and person entity ids, Agent objects, human actors, reviewers, instructors, teams and context agents of any role", () => {
    expect(displayPersonalPointers(f.emailEntity)).toEqual(expect.arrayContaining([ENTITY_ID_POINTER, "/object/id", "/context/contextAgents/0/agent/name"]));
    expect(displayPersonalPointers(f.agentObject)).toEqual(expect.arrayContaining(["/object/name", "/object/mbox"]));
    expect(displayPersonalPointers(f.humanActor)).toEqual(expect.arrayContaining(["/actor/name", "/actor/mbox"]));
    expect(displayPersonalPointers(f.humanReviewer)).toContain("/context/contextAgents/0/agent/name");
    expect(displayPersonalPointers(f.instructor)).toEqual(
      expect.arrayContaining([
        ENTITY_ID_POINTER,
        "/actor/name",
        "/context/instructor/name",
        "/context/instructor/mbox",
        "/context/team/name",
        "/context/team/member/0/name",
        "/context/contextAgents/1/agent/mbox",
      ]),
    );
  });

  test("keep AI systems, staff accounts and business ids in the clear", () => {
    const loan = PROFILE_EXAMPLES.loanDenialHumanApproved;
    const pointers = displayPersonalPointers(loan);
    for (const p of ["/actor/name", "/actor/account/name", "/context/contextAgents/0/agent/account/name", ENTITY_ID_POINTER, "/object/id"]) expect(pointers).not.toContain(p);
    expect(personalPositions(loan).map((p) => p.path.join("/"))).not.toContain("actor/name");
  });

  test.each(Object.entries(legacyFixtures()))("%s: the masked copy holds none of the personal values", (_name, s) => {
    const masked = maskPersonalData(s, displayPersonalPointers(s));
    expectNoPersonalValue(JSON.stringify(masked));
    expect(JSON.stringify(s)).toMatch(/Actor|Subject|Reviewer|Instructor|person\.example/);
  });

  test("an agent is whole when an e-mail, a hash, an OpenID or an identifier in its account names it; a staff account keeps its id", () => {
    const s = clone(PROFILE_EXAMPLES.loanHumanOverride);
    s.actor = { objectType: "Agent", name: "Harriet Actor", account: { homePage: STAFF, name: "harriet.actor@staff.example" } };
    expect(personalPositions(s).find((p) => p.path[0] === "actor")).toEqual({ path: ["actor"], form: "agent", kind: "human-agent" });
    expect(isPersonalAgentId(`account:${STAFF}|harriet.actor@staff.example`)).toBe(true);
    expect(isPersonalAgentId(`account:${STAFF}|staff-0077`)).toBe(false);
    expect(isPersonalAgentId("mbox:mailto:harriet.actor@staff.example")).toBe(true);
    expect(isPersonalAgentId("group:[account:https://x.example|a,mbox_sha1sum:abc]")).toBe(true);
  });
});

describe("what a role without reveal gets of a legacy record", () => {
  const f = legacyFixtures();

  test.each(Object.entries(f))("%s: the decision view is masked and withholds the canonical text", (_name, s) => {
    const view = maskedDecisionView({ statement: s, canonical: JSON.stringify(s) });
    expect(view).toMatchObject({ format: 0, masked: true, canonical: null });
    for (const p of view.personalPointers) expect(getByPointer(view.statement, p)).toBe(PERSONAL_DATA_MASK);
    expectNoPersonalValue(JSON.stringify(view));
  });

  test.each(Object.entries(f))("%s: the list row masks every column derived from a personal position", (_name, s) => {
    const row = rowOf(s);
    expect(personalColumnKeys(row).length).toBeGreaterThan(0);
    expectNoPersonalValue(JSON.stringify(maskDecisionRow(row, false)));
    // The permitted role sees the row as stored: the fixture really holds the values.
    expect(maskDecisionRow(row, true)).toBe(row);
  });

  test("an AI actor's name and a business entity id stay; a reviewer's name never does", () => {
    const row = rowOf(PROFILE_EXAMPLES.loanDenialHumanApproved);
    const shown = maskDecisionRow(row, false);
    expect(shown).toMatchObject({ actorName: "Loan Underwriting Assistant", entityId: "LA-2025-0007734", reviewerName: PERSONAL_DATA_MASK });
  });
});

describe("what a role without reveal gets of a committed (format 1) record", () => {
  test("an activity IRI that xAPI keeps as an IRI is masked for display, and the canonical text withheld", () => {
    const original = legacyFixtures().emailEntity;
    const committed = commitStatement(original, { backend: nodeBytesBackend, random: randomBytes, detection: DEFAULT_PERSONAL_DATA_DETECTION_CONFIG }).statement;
    // The entity id is committed; the activity id, an IRI, is not.
    expect(getByPointer(committed, ENTITY_ID_POINTER)).toMatch(/^pd:v1:/);
    expect(committed.object).toMatchObject({ id: (original.object as XapiActivity).id });
    const view = maskedDecisionView({ statement: committed, canonical: JSON.stringify(committed) });
    expect(view).toMatchObject({ format: 1, masked: true, canonical: null });
    expect(getByPointer(view.statement, "/object/id")).toBe(PERSONAL_DATA_MASK);
    expect(view.personalPointers).toEqual(expect.arrayContaining([ENTITY_ID_POINTER, "/object/id"]));
    expectNoPersonalValue(JSON.stringify(view));
  });

  test("a committed record about a business entity is still sent whole", () => {
    const committed = commitStatement(legacyFixtures().humanReviewer, { backend: nodeBytesBackend, random: randomBytes, detection: DEFAULT_PERSONAL_DATA_DETECTION_CONFIG }).statement;
    const canonical = JSON.stringify(committed);
    expect(maskedDecisionView({ statement: committed, canonical })).toMatchObject({ format: 1, masked: false, canonical });
    expectNoPersonalValue(canonical);
  });
});

describe.each(DATABASE_KINDS)("the explorer's page data on %s", (kind) => {
  let database: TestDatabase;
  const fixtures = Object.values(legacyFixtures());

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await appendLegacyDecisions(database.db, fixtures, { name: "test" });
  });
  afterAll(async () => {
    await database?.drop();
  });

  test("the list rows sent to the client hold no personal value for a role without reveal", async () => {
    const page = await listDecisions(database.db, { filters: noDecisionFilters(), sort: { key: "occurredAt", direction: "desc" }, limit: 50 });
    expect(page.rows).toHaveLength(fixtures.length);
    const stored = JSON.stringify(page.rows);
    expect(stored).toContain("Harriet Actor");
    expectNoPersonalValue(JSON.stringify(page.rows.map((r) => maskDecisionRow(r, false))));
  });

  test.each(fixtures.map((s) => [s.id!] as const))("the decision page of %s sends no personal value to a role without reveal", async (id) => {
    const detail = (await getDecision(database.db, id))!;
    const related = await listRelatedDecisions(database.db, { id, entityType: detail.entityType, entityId: detail.entityId, sessionId: detail.sessionId });
    expectNoPersonalValue(JSON.stringify(decisionPageView(detail, related, false)));
    expect(decisionPageView(detail, related, true).summary.actorName).toBe(detail.actorName);
  });
});
