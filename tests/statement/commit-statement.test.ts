import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import { nodeBytesBackend } from "@/lib/hash/node-sha256";
import { getByPointer } from "@/lib/ledger/json-pointer";
import {
  DEFAULT_PERSONAL_DATA_DETECTION_CONFIG,
  PERSONAL_DATA_KINDS,
  type PersonalDataDetectionConfig,
} from "@/lib/ledger/personal-data-detection/detection-config";
import { PROFILE_EXAMPLES } from "@/lib/ledger/profile-examples";
import { commitStatement, dataSubjectOf, reservedFormErrors, type CommittedStatement } from "@/lib/ledger/xapi/commit-statement";
import { personalDataFormatOf } from "@/lib/ledger/xapi/personal-data-format";
import { findCommitments } from "@/lib/ledger/xapi/open-statement";
import {
  formatCommitmentString,
  parseCommitmentAgent,
  parseCommitmentString,
  PD_ACCOUNT_HOME_PAGE,
  verifyOpening,
} from "@/lib/ledger/xapi/pd-commitment";
import { personalDataPointers } from "@/lib/ledger/xapi/personal-data";
import type { XapiActivity, XapiActor, XapiStatement } from "@/lib/ledger/xapi/types";
import { validateStatement } from "@/lib/ledger/xapi/validate";
import { EXT, ROLES } from "@/lib/ledger/xapi/vocabulary";

const commit = (statement: XapiStatement, detection: PersonalDataDetectionConfig = DEFAULT_PERSONAL_DATA_DETECTION_CONFIG): CommittedStatement =>
  commitStatement(statement, { backend: nodeBytesBackend, random: randomBytes, detection });

const ext = (iri: string) => `/context/extensions/${iri.replace(/~/g, "~0").replace(/\//g, "~1")}`;
const SUBJECT = ext(EXT.subject);
const FEATURES = ext(EXT.inputFeatures);
const clone = (s: XapiStatement): XapiStatement => structuredClone(s);

/** The value at `pointer` in the committed statement is a commitment, and `opening` opens it. */
function expectCommittedAt(committed: CommittedStatement, pointer: string, form: "field" | "agent"): CommittedStatement["values"][number] {
  const value = committed.values.find((v) => v.pointer === pointer);
  expect(value, `nothing committed at ${pointer}`).toBeDefined();
  const at = getByPointer(committed.statement, pointer);
  const parsed = form === "field" ? parseCommitmentString(at) : parseCommitmentAgent(at);
  expect(parsed, `${pointer} holds ${JSON.stringify(at)}`).not.toBeNull();
  expect(parsed!.ref).toBe(value!.ref);
  expect(verifyOpening(nodeBytesBackend, parsed!.commitment, value!.opening)).toBe(true);
  return value!;
}

/** Every primitive inside a value, as the JSON text it would appear as. */
function primitiveTexts(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  if (typeof v === "object") return Object.values(v as object).flatMap(primitiveTexts);
  return [JSON.stringify(v)];
}

/** A human-decided statement whose actor is identified by an e-mail address, not a staff account. */
function humanActorByMail(): XapiStatement {
  const s = clone(PROFILE_EXAMPLES.clinicalTriageAiAssisted);
  s.actor = { objectType: "Agent", name: "Dr. Aisha Khan", mbox: "mailto:aisha.khan@st-elsewhere.example" };
  return s;
}

describe("commitStatement: the profile examples", () => {
  // What each example's personal data is, written out by hand rather than derived from the code under test.
  const PERSONAL_VALUES: Record<keyof typeof PROFILE_EXAMPLES, string[]> = {
    loanDenialHumanApproved: ["cust-0012345", "f60761f9222b63334430614686b128d4f0d7bff8e1ecd1afb5389c6dcf192d90", "Priya Raman", "35-44", "SW1"],
    moderationFlagAiOnly: ["user-004211"],
    clinicalTriageAiAssisted: [
      "pat-00081234",
      "b6b53ee777eb193f6134dd990794fd29fe2a18e1f1817453c5039ce3dc400cf1",
      "Dr. Aisha Khan",
      "Chest pain with diaphoresis",
      "65-74",
      "R07.4",
    ],
    loanHumanOverride: ["cust-0019876", "b58f12c40c493191f95e8c23ff2c4babaea32520ee1b02d99a1ce383bb4966aa", "Tomás Álvarez"],
  };

  test.each(Object.entries(PROFILE_EXAMPLES))("%s: valid xAPI, marked format 1, no personal value left, input untouched", (name, statement) => {
    const before = clone(statement);
    const committed = commit(statement);
    expect(statement).toEqual(before);
    expect(validateStatement(committed.statement)).toMatchObject({ ok: true });
    expect(committed.statement.context?.extensions?.[EXT.personalDataFormat]).toBe(1);
    expect(personalDataFormatOf(committed.statement)).toBe(1);
    expect(personalDataFormatOf(statement)).toBe(0);
    const text = JSON.stringify(committed.statement);
    for (const value of PERSONAL_VALUES[name as keyof typeof PROFILE_EXAMPLES]) expect(text, `${value} left in the committed statement`).not.toContain(value);
    expect(committed.personalPointers).toEqual([...new Set(committed.values.map((v) => v.pointer))]);
    // What a reader needs stays readable: the verb and the outcome.
    expect(committed.statement.verb).toEqual(statement.verb);
    expect(committed.statement.result?.extensions).toEqual(statement.result?.extensions);
  });

  test("the subject extension is committed whole and names the data subject", () => {
    const s = PROFILE_EXAMPLES.loanDenialHumanApproved;
    const committed = commit(s);
    const subject = expectCommittedAt(committed, SUBJECT, "field");
    expect(subject.kind).toBe("profile");
    expect(subject.opening.value).toEqual(s.context!.extensions![EXT.subject]);
    expect(committed.subject).toEqual({ id: "cust-0012345", kind: "entity-id" });
  });

  test("personal features are committed one by one; the other features stay readable", () => {
    const committed = commit(PROFILE_EXAMPLES.loanDenialHumanApproved);
    expect(expectCommittedAt(committed, `${FEATURES}/age_band`, "field").opening.value).toBe("35-44");
    expect(expectCommittedAt(committed, `${FEATURES}/postcode_area`, "field").opening.value).toBe("SW1");
    expect(getByPointer(committed.statement, `${FEATURES}/debt_to_income`)).toBe(0.46);
    expect(getByPointer(committed.statement, `${FEATURES}/employment_status`)).toBe("employed");
    // A number is committed as a number: its opening holds the JSON value, not its text.
    const moderation = commit(PROFILE_EXAMPLES.moderationFlagAiOnly);
    expect(expectCommittedAt(moderation, `${FEATURES}/author_account_age_days`, "field").opening.value).toBe(12);
  });

  test("a declared pointer (personal-data extension) is committed as a string", () => {
    const s = PROFILE_EXAMPLES.clinicalTriageAiAssisted;
    const committed = commit(s);
    expect(expectCommittedAt(committed, "/result/response", "field").opening.value).toBe(s.result!.response);
  });

  test("a declared pointer into an agent's mbox commits the whole agent in the Agent form", () => {
    const s = clone(PROFILE_EXAMPLES.loanDenialHumanApproved);
    const family: XapiActor = { objectType: "Agent", name: "R. Raman", mbox: "mailto:r.raman@mail.example" };
    s.context!.contextAgents!.push({ objectType: "contextAgent", agent: family, relevantTypes: ["https://example.test/roles/guarantor"] });
    s.context!.extensions![EXT.personalData] = ["/context/contextAgents/1/agent/mbox"];
    const committed = commit(s);
    const agent = expectCommittedAt(committed, "/context/contextAgents/1/agent", "agent");
    expect(agent.opening.value).toEqual(family);
    expect(agent.lookups).toContainEqual({ kind: "email", value: "mailto:r.raman@mail.example" });
    expect(committed.values.filter((v) => v.pointer.startsWith("/context/contextAgents/1/agent/"))).toEqual([]);
    expect(validateStatement(committed.statement)).toMatchObject({ ok: true });
    expect(JSON.stringify(committed.statement)).not.toContain("r.raman");
  });

  test("a data-subject context agent is committed whole and is the data subject when there is no subject extension", () => {
    const s = clone(PROFILE_EXAMPLES.loanHumanOverride);
    delete s.context!.extensions![EXT.subject];
    const customer: XapiActor = { objectType: "Agent", name: "Jane Doe", account: { homePage: "https://crm.northwind-bank.example", name: "C-1042" } };
    s.context!.contextAgents!.push({ objectType: "contextAgent", agent: customer, relevantTypes: [ROLES.dataSubject] });
    const committed = commit(s);
    const agent = expectCommittedAt(committed, "/context/contextAgents/1/agent", "agent");
    expect(agent.opening.value).toEqual(customer);
    expect(agent.lookups).toContainEqual({ kind: "entity-id", value: "C-1042" });
    expect(committed.subject).toEqual({ id: "C-1042", kind: "entity-id" });
    expect(dataSubjectOf(s)).toEqual(committed.subject);
    const text = JSON.stringify(committed.statement);
    expect(text).not.toContain("Jane Doe");
    expect(text).not.toContain("C-1042");
  });

  test("an Agent object is committed whole in the Agent form and stays valid xAPI", () => {
    const s = clone(PROFILE_EXAMPLES.moderationFlagAiOnly);
    delete s.context!.extensions![EXT.subject];
    s.object = { objectType: "Agent", name: "Jo Bloggs", mbox: "mailto:jo@chirp-users.example" };
    const committed = commit(s);
    const agent = expectCommittedAt(committed, "/object", "agent");
    expect(agent.opening.value).toEqual(s.object);
    expect(committed.statement.object).toMatchObject({ objectType: "Agent", account: { homePage: PD_ACCOUNT_HOME_PAGE } });
    expect(committed.subject).toEqual({ id: "jo@chirp-users.example", kind: "email" });
    expect(validateStatement(committed.statement)).toMatchObject({ ok: true });
    expect(JSON.stringify(committed.statement)).not.toContain("jo@chirp-users.example");
  });

  test("an identified Group object is committed in the Group form", () => {
    const s = clone(PROFILE_EXAMPLES.moderationFlagAiOnly);
    s.object = {
      objectType: "Group",
      name: "Bloggs household",
      account: { homePage: "https://chirp.example/households", name: "hh-77" },
      member: [{ objectType: "Agent", mbox: "mailto:jo@chirp-users.example" }],
    };
    const committed = commit(s);
    expectCommittedAt(committed, "/object", "agent");
    expect(committed.statement.object.objectType).toBe("Group");
    expect(committed.values.filter((v) => v.pointer.startsWith("/object/"))).toEqual([]);
    expect(validateStatement(committed.statement)).toMatchObject({ ok: true });
    expect(JSON.stringify(committed.statement)).not.toMatch(/hh-77|Bloggs|jo@/);
  });

  test("a human actor identified by an account: only the name is committed (the staff id says who decided)", () => {
    const s = PROFILE_EXAMPLES.clinicalTriageAiAssisted;
    const committed = commit(s);
    const name = expectCommittedAt(committed, "/actor/name", "field");
    expect(name).toMatchObject({ kind: "human-name", lookups: [] });
    expect(name.opening.value).toBe("Dr. Aisha Khan");
    expect(committed.statement.actor.account).toEqual(s.actor.account);
    // The approver of a human-approved decision likewise.
    const loan = commit(PROFILE_EXAMPLES.loanDenialHumanApproved);
    expect(expectCommittedAt(loan, "/context/contextAgents/0/agent/name", "field").opening.value).toBe("Priya Raman");
    expect(loan.statement.context!.contextAgents![0]!.agent.account).toEqual({ homePage: "https://staff.northwind-bank.example/directory", name: "staff-0042" });
  });

  test("a human actor identified by an e-mail address is committed whole in the Agent form", () => {
    const s = humanActorByMail();
    const committed = commit(s);
    const actor = expectCommittedAt(committed, "/actor", "agent");
    expect(actor).toMatchObject({ kind: "human-agent" });
    expect(actor.opening.value).toEqual(s.actor);
    expect(committed.values.some((v) => v.pointer === "/actor/name")).toBe(false);
    expect(validateStatement(committed.statement)).toMatchObject({ ok: true });
    expect(JSON.stringify(committed.statement)).not.toContain("aisha.khan");
  });

  test("AI agents are never committed, wherever they appear", () => {
    for (const s of [PROFILE_EXAMPLES.loanDenialHumanApproved, PROFILE_EXAMPLES.moderationFlagAiOnly]) expect(commit(s).statement.actor).toEqual(s.actor);
    const triage = PROFILE_EXAMPLES.clinicalTriageAiAssisted;
    expect(commit(triage).statement.context!.contextAgents![0]).toEqual(triage.context!.contextAgents![0]);
    const override = PROFILE_EXAMPLES.loanHumanOverride;
    expect(commit(override).statement.context!.contextAgents![0]).toEqual(override.context!.contextAgents![0]);
  });
});

describe("commitStatement: entity ids of people, and every human agent", () => {
  const ENTITY_ID = `/object/definition/extensions/${EXT.entity.replace(/~/g, "~0").replace(/\//g, "~1")}/id`;
  const withEntity = (type: string, id: string): XapiStatement => {
    const s = clone(PROFILE_EXAMPLES.loanDenialHumanApproved);
    const obj = s.object as XapiActivity;
    obj.definition!.extensions![EXT.entity] = { type, id };
    return s;
  };

  test("an e-mail entity id is committed whole, found by the id and by the address, never in the hashed bytes", () => {
    const committed = commit(withEntity("loan-application", "cust-email-7731@person.example"));
    const value = expectCommittedAt(committed, ENTITY_ID, "field");
    expect(value).toMatchObject({ kind: "entity-id", opening: expect.objectContaining({ value: "cust-email-7731@person.example" }) });
    expect(value.lookups).toEqual([
      { kind: "entity-id", value: "cust-email-7731@person.example" },
      { kind: "email", value: "cust-email-7731@person.example" },
    ]);
    expect(committed.values.filter((v) => v.pointer === ENTITY_ID)).toHaveLength(1);
    expect(JSON.stringify(committed.statement)).not.toContain("person.example");
    expect(validateStatement(committed.statement)).toMatchObject({ ok: true });
  });

  test("the id of a person-type entity is committed whatever it looks like; a business id is not", () => {
    const customer = commit(withEntity("customer", "cust-0012999"));
    expect(expectCommittedAt(customer, ENTITY_ID, "field").lookups).toEqual([{ kind: "entity-id", value: "cust-0012999" }]);
    expect(JSON.stringify(customer.statement)).not.toContain("cust-0012999");
    const loan = commit(PROFILE_EXAMPLES.loanDenialHumanApproved);
    expect(loan.values.some((v) => v.pointer === ENTITY_ID)).toBe(false);
  });

  test("instructor, team, its members and context agents of any role: names and identities committed", () => {
    const s = clone(PROFILE_EXAMPLES.loanHumanOverride);
    const staff = "https://staff.northwind-bank.example/directory";
    s.context!.instructor = { objectType: "Agent", name: "Ivy Instructor", mbox: "mailto:ivy.instructor@staff.example" };
    s.context!.team = { objectType: "Group", name: "Teodora Team", member: [{ objectType: "Agent", name: "Mia Member", account: { homePage: staff, name: "staff-0099" } }] };
    s.context!.contextAgents!.push({ objectType: "contextAgent", agent: { objectType: "Agent", name: "Olive Observer", account: { homePage: staff, name: "olive@staff.example" } }, relevantTypes: [ROLES.advisorRecipient] });
    const committed = commit(s);
    expectCommittedAt(committed, "/context/instructor", "agent");
    expectCommittedAt(committed, "/context/team/name", "field");
    expectCommittedAt(committed, "/context/team/member/0/name", "field");
    // An account name holding an e-mail address identifies the person: the whole agent is committed.
    expectCommittedAt(committed, "/context/contextAgents/1/agent", "agent");
    const text = JSON.stringify(committed.statement);
    for (const v of ["Ivy Instructor", "ivy.instructor", "Teodora Team", "Mia Member", "Olive Observer", "olive@staff.example"]) expect(text).not.toContain(v);
    expect(committed.statement.context!.team!.member![0]!.account).toEqual({ homePage: staff, name: "staff-0099" });
  });
});

describe("commitStatement: identifiers in free text", () => {
  const EMAIL = "jo.bloggs@mail-provider.example";
  const IBAN = "GB82WEST12345698765432";

  function withResponse(response: string): XapiStatement {
    const s = clone(PROFILE_EXAMPLES.loanDenialHumanApproved);
    s.result!.response = response;
    return s;
  }

  test("a detected span is committed in place; the rest of the text stays readable", () => {
    const committed = commit(withResponse(`Applicant ${EMAIL} asked for a review`));
    const text = committed.statement.result!.response!;
    expect(text).toMatch(/^Applicant pd:v1:[0-9a-f-]{36}:[0-9a-f]{64} asked for a review$/);
    const span = committed.values.find((v) => v.pointer === "/result/response")!;
    expect(span).toMatchObject({ kind: "email", opening: { value: EMAIL }, lookups: [{ kind: "email", value: EMAIL }] });
    expect(committed.personalPointers).toContain("/result/response");
    expect(findCommitments(committed.statement).filter((c) => c.pointer === "/result/response")).toEqual([
      expect.objectContaining({ ref: span.ref, form: "span" }),
    ]);
    expect(validateStatement(committed.statement)).toMatchObject({ ok: true });
  });

  test("several spans in one text each get their own commitment, in order", () => {
    const committed = commit(withResponse(`Refund to ${IBAN}, confirmation sent to ${EMAIL}.`));
    const spans = committed.values.filter((v) => v.pointer === "/result/response");
    expect(spans.map((v) => [v.kind, v.opening.value]).sort()).toEqual([
      ["email", EMAIL],
      ["iban", IBAN],
    ]);
    expect(new Set(spans.map((v) => v.ref)).size).toBe(2);
    const text = committed.statement.result!.response!;
    expect(text).not.toContain(IBAN);
    expect(text).not.toContain(EMAIL);
    expect(text).toMatch(/^Refund to pd:v1:\S+, confirmation sent to pd:v1:\S+\.$/);
    const found = findCommitments(committed.statement).filter((c) => c.pointer === "/result/response");
    expect(found.map((c) => c.form)).toEqual(["span", "span"]);
    const ibanRef = spans.find((v) => v.kind === "iban")!.ref;
    expect(found[0]!.ref).toBe(ibanRef);
  });

  test("a recogniser the AI system turned off finds nothing; the others still run", () => {
    const noEmail: PersonalDataDetectionConfig = { ...DEFAULT_PERSONAL_DATA_DETECTION_CONFIG, kinds: PERSONAL_DATA_KINDS.filter((k) => k !== "email") };
    const committed = commit(withResponse(`Refund to ${IBAN}, confirmation sent to ${EMAIL}.`), noEmail);
    expect(committed.values.filter((v) => v.pointer === "/result/response").map((v) => v.kind)).toEqual(["iban"]);
    expect(committed.statement.result!.response).toContain(EMAIL);
    const none = commit(withResponse(`Confirmation sent to ${EMAIL}.`), { ...DEFAULT_PERSONAL_DATA_DETECTION_CONFIG, kinds: [] });
    expect(none.statement.result!.response).toBe(`Confirmation sent to ${EMAIL}.`);
  });

  test("text inside a value already committed is not scanned again", () => {
    const s = clone(PROFILE_EXAMPLES.clinicalTriageAiAssisted);
    s.result!.response = `Patient reachable at ${EMAIL}`;
    const committed = commit(s);
    expect(committed.values.filter((v) => v.pointer === "/result/response")).toEqual([expect.objectContaining({ kind: "profile", opening: expect.objectContaining({ value: s.result!.response }) })]);
  });

  test("free text without identifiers is left exactly as it was", () => {
    const s = PROFILE_EXAMPLES.loanDenialHumanApproved;
    expect(commit(s).statement.result!.response).toBe(s.result!.response);
  });
});

describe("reservedFormErrors", () => {
  const REF = "3f2b8c1e-5d4a-4b6c-8e7f-0a1b2c3d4e5f";
  const commitment = new Uint8Array(32).fill(0xab);
  const forged = formatCommitmentString(REF, commitment);

  test("the profile examples have none", () => {
    for (const s of Object.values(PROFILE_EXAMPLES)) expect(reservedFormErrors(s)).toEqual([]);
  });

  test("a commitment string in producer input is refused, in any letter case and inside longer text", () => {
    for (const text of [forged, forged.toUpperCase(), `Applicant ${forged.replace("pd:v1", "Pd:V1")} asked`]) {
      const s = clone(PROFILE_EXAMPLES.moderationFlagAiOnly);
      s.result!.response = text;
      expect(reservedFormErrors(s)).toEqual([{ pointer: "/result/response", message: expect.stringMatching(/pd:v1/) }]);
    }
  });

  test("the Agent form's home page is refused wherever it appears", () => {
    const s = clone(PROFILE_EXAMPLES.loanDenialHumanApproved);
    s.context!.contextAgents![0]!.agent.account = { homePage: PD_ACCOUNT_HOME_PAGE, name: `${REF}:${"ab".repeat(32)}` };
    expect(reservedFormErrors(s).map((e) => e.pointer)).toEqual(["/context/contextAgents/0/agent/account/homePage"]);
  });

  test("the format extension is set by the ledger only", () => {
    const s = clone(PROFILE_EXAMPLES.moderationFlagAiOnly);
    s.context!.extensions![EXT.personalDataFormat] = 1;
    expect(reservedFormErrors(s)).toEqual([{ pointer: ext(EXT.personalDataFormat), message: expect.stringMatching(/set by the ledger/) }]);
  });

  test("a committed statement, fed back as input, is refused (no replay of commitments)", () => {
    const errors = reservedFormErrors(commit(PROFILE_EXAMPLES.loanDenialHumanApproved).statement).map((e) => e.pointer);
    expect(errors).toContain(SUBJECT);
    expect(errors).toContain(ext(EXT.personalDataFormat));
  });
});

describe("commitStatement over the demo data", () => {
  const statements = generateDemoStatements({ count: 400, now: new Date("2025-06-30T12:00:00.000Z"), days: 30, seed: 7 });

  test("every statement commits to valid xAPI that holds none of its personal values", () => {
    let values = 0;
    for (const s of statements) {
      const committed = commit(s);
      const validation = validateStatement(committed.statement);
      expect(validation.ok, JSON.stringify(validation)).toBe(true);
      // Every position the profile calls personal now lies at or under a commitment.
      for (const pointer of personalDataPointers(s))
        expect(
          committed.values.some((v) => pointer === v.pointer || pointer.startsWith(`${v.pointer}/`)),
          `${pointer} of ${s.id} was not committed`,
        ).toBe(true);
      const text = JSON.stringify(committed.statement);
      for (const v of committed.values)
        for (const primitive of primitiveTexts(v.opening.value))
          if (primitive.length >= 6) expect(text.includes(primitive), `${primitive} left in ${s.id}`).toBe(false);
      values += committed.values.length;
    }
    expect(values).toBeGreaterThan(statements.length);
  });

  test("references and salts are fresh for every value, even equal values", () => {
    const a = commit(statements[0]!);
    const b = commit(statements[0]!);
    const refs = [...a.values, ...b.values].map((v) => v.ref);
    expect(new Set(refs).size).toBe(refs.length);
    expect(JSON.stringify(a.statement)).not.toBe(JSON.stringify(b.statement));
  });
});
