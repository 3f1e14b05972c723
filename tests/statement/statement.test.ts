import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { escapePointerToken } from "@/lib/ledger/json-pointer";
import { findUnstorableValue } from "@/lib/ledger/json-value";
import { ACTOR_TYPES, deriveActorType } from "@/lib/ledger/xapi/actor-type";
import { deriveDecisionColumns } from "@/lib/ledger/xapi/derived-columns";
import { PERSONAL_DATA_MASK, maskPersonalData, personalDataPointers } from "@/lib/ledger/xapi/personal-data";
import { contentWithoutServerFields, prepareStatement } from "@/lib/ledger/xapi/server-fields";
import type { XapiAgent, XapiStatement } from "@/lib/ledger/xapi/types";
import { validateStatement } from "@/lib/ledger/xapi/validate";
import { EXT, ROLES, VERBS } from "@/lib/ledger/xapi/vocabulary";
import {
  CLINICAL_TRIAGE_AI_ASSISTED,
  LOAN_DENIAL_HUMAN_APPROVED,
  LOAN_HUMAN_OVERRIDE,
  MODERATION_FLAG_AI_ONLY,
  PROFILE_EXAMPLES,
} from "@/lib/ledger/profile-examples";

/** JSON round trip: what an API handler would actually receive. */
const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const ext = (iri: string) => `/context/extensions/${escapePointerToken(iri)}`;

function errorsOf(input: unknown) {
  const r = validateStatement(input);
  expect(r.ok, "expected the statement to be rejected").toBe(false);
  return r.ok ? [] : r.errors;
}
function pointersOf(input: unknown): string[] {
  return errorsOf(input).map((e) => e.pointer);
}
/** Tests poke deliberately invalid shapes into statements, so the copy is untyped on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;
/** A mutable copy of an example for building bad inputs. */
function mutable(ex: XapiStatement = MODERATION_FLAG_AI_ONLY): Loose {
  return json(ex) as unknown as Loose;
}

describe("docs/decision-profile.md stays in sync with lib/ledger/profile-examples.ts", () => {
  const doc = readFileSync(path.resolve(__dirname, "../../docs/decision-profile.md"), "utf8");

  it("every json code block parses", () => {
    const blocks = [...doc.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(Object.keys(PROFILE_EXAMPLES).length);
    for (const b of blocks) expect(() => JSON.parse(b)).not.toThrow();
  });

  it("each marked example block equals the exported example, and every example is documented", () => {
    const marked = new Map<string, unknown>();
    for (const m of doc.matchAll(/<!-- example: (\w+) -->\n```json\n([\s\S]*?)\n```/g)) marked.set(m[1]!, JSON.parse(m[2]!));
    expect([...marked.keys()].sort()).toEqual(Object.keys(PROFILE_EXAMPLES).sort());
    for (const [name, example] of Object.entries(PROFILE_EXAMPLES)) expect(marked.get(name), name).toEqual(json(example));
  });
});

describe("profile examples", () => {
  it.each(Object.entries(PROFILE_EXAMPLES))("%s validates unchanged", (_name, example) => {
    const r = validateStatement(json(example));
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (r.ok) expect(r.statement).toEqual(json(example));
  });

  it("loan denial approved by a human", () => {
    expect(deriveDecisionColumns(LOAN_DENIAL_HUMAN_APPROVED)).toEqual({
      occurredAt: new Date("2025-02-13T14:23:17.234Z"),
      actorType: "human_approved_ai",
      actorId: "account:https://ai.northwind-bank.example/systems/loan-underwriting|credit-risk@3.2.0",
      actorName: "Loan Underwriting Assistant",
      aiSystem: "Loan Underwriting Assistant",
      modelName: "credit-risk",
      modelVersion: "3.2.0",
      verb: "denied",
      entityType: "loan-application",
      entityId: "LA-2025-0007734",
      outcome: "denied",
      confidence: 0.94,
      latencyMs: 412,
      sessionId: "ea53870f-d772-42d4-8115-c4f043b66317",
      reviewerId: "account:https://staff.northwind-bank.example/directory|staff-0042",
      reviewerName: "Priya Raman",
      humanReview: "approved",
      errorState: false,
      searchText: [
        "Debt-to-income ratio 0.46 exceeds the policy maximum of 0.43",
        "denied",
        "DTI above policy limit; credit history otherwise acceptable",
        "Loan application LA-2025-0007734",
      ].join("\n"),
    });
  });

  it("content flagged by AI alone", () => {
    const c = deriveDecisionColumns(MODERATION_FLAG_AI_ONLY);
    expect(c).toMatchObject({
      actorType: "ai",
      aiSystem: "Community Safety Classifier",
      modelName: "toxicity-classifier",
      modelVersion: "5.3.1",
      verb: "flagged",
      entityType: "post",
      entityId: "p-8f3a2c91",
      outcome: "flagged",
      confidence: 0.88,
      latencyMs: 84,
      reviewerId: null,
      reviewerName: null,
      humanReview: "none",
      errorState: false,
    });
    // +01:00 is honoured: 09:41 local is 08:41 UTC.
    expect(c.occurredAt.toISOString()).toBe("2025-03-02T08:41:05.118Z");
  });

  it("clinical triage by a clinician with an AI advisor", () => {
    const c = deriveDecisionColumns(CLINICAL_TRIAGE_AI_ASSISTED);
    expect(c).toMatchObject({
      actorType: "ai_assisted_human",
      actorId: "account:https://staff.st-elsewhere.example/directory|clin-0117",
      actorName: "Dr. Aisha Khan",
      aiSystem: "ED Triage Assistant",
      modelName: "triage-assist",
      modelVersion: "2.0.3",
      verb: "triaged",
      entityType: "patient-encounter",
      entityId: "enc-00412873",
      outcome: "emergent",
      confidence: 0.81,
      latencyMs: 1380,
      humanReview: "none",
      reviewerId: null,
    });
    expect(c.occurredAt.toISOString()).toBe("2025-03-05T03:07:43.500Z");
    // The reason is declared personal, so it must not reach the search index.
    expect(c.searchText).not.toContain("Chest pain");
    expect(c.searchText).toContain("emergent");
  });

  it("human override", () => {
    expect(deriveDecisionColumns(LOAN_HUMAN_OVERRIDE)).toMatchObject({
      actorType: "ai_assisted_human",
      actorName: "Tomás Álvarez",
      aiSystem: "Loan Underwriting Assistant",
      modelVersion: "3.2.0",
      verb: "overrode",
      outcome: "approved",
      confidence: 0.58,
      humanReview: "overridden",
      reviewerId: "account:https://staff.northwind-bank.example/directory|staff-0077",
      reviewerName: "Tomás Álvarez",
      latencyMs: null,
      sessionId: null,
    });
  });
});

describe("deriveActorType covers all four types deterministically", () => {
  it("lists four labelled types", () => {
    expect(ACTOR_TYPES.map((t) => t.value).sort()).toEqual(["ai", "ai_assisted_human", "human", "human_approved_ai"]);
    for (const t of ACTOR_TYPES) expect(t.label.length).toBeGreaterThan(0);
  });

  it("examples give ai, human_approved_ai and ai_assisted_human", () => {
    expect(deriveActorType(MODERATION_FLAG_AI_ONLY)).toBe("ai");
    expect(deriveActorType(LOAN_DENIAL_HUMAN_APPROVED)).toBe("human_approved_ai");
    expect(deriveActorType(CLINICAL_TRIAGE_AI_ASSISTED)).toBe("ai_assisted_human");
    expect(deriveActorType(LOAN_HUMAN_OVERRIDE)).toBe("ai_assisted_human");
  });

  it("a clinician without an AI advisor is human", () => {
    const s = mutable(CLINICAL_TRIAGE_AI_ASSISTED);
    delete s.context.contextAgents;
    const st = s as unknown as XapiStatement;
    expect(validateStatement(st).ok).toBe(true);
    expect(deriveActorType(st)).toBe("human");
    expect(deriveDecisionColumns(st)).toMatchObject({ actorType: "human", aiSystem: null, humanReview: "none" });
  });

  it("AI is recognised only through the ai-systems declaration", () => {
    const s = mutable(MODERATION_FLAG_AI_ONLY);
    delete s.context.extensions[EXT.aiSystems];
    expect(deriveActorType(s as unknown as XapiStatement)).toBe("human");
    s.context.extensions[EXT.aiSystems] = "https://trust.chirp.example/ai/content-guard"; // wrong shape: ignored
    expect(deriveActorType(s as unknown as XapiStatement)).toBe("human");
  });

  it("alternative override form: AI actor with a human overrider", () => {
    const s = mutable(LOAN_DENIAL_HUMAN_APPROVED);
    s.context.contextAgents[0].relevantTypes = [ROLES.overrider];
    const c = deriveDecisionColumns(s as unknown as XapiStatement);
    expect(c).toMatchObject({ actorType: "ai_assisted_human", humanReview: "overridden", reviewerName: "Priya Raman" });
  });

  it("an AI 'approver' is not a human review, and an advisor-recipient is not a reviewer", () => {
    const s = mutable(LOAN_DENIAL_HUMAN_APPROVED);
    s.context.contextAgents[0].agent = { objectType: "Agent", name: "Auto-checker", account: { homePage: "https://ai.example/checker", name: "c@1" } };
    s.context.extensions[EXT.aiSystems].push("https://ai.example/checker");
    expect(deriveActorType(s as unknown as XapiStatement)).toBe("ai");
    const r = mutable(LOAN_DENIAL_HUMAN_APPROVED);
    r.verb = { id: VERBS.recommended };
    r.context.contextAgents[0].relevantTypes = [ROLES.advisorRecipient];
    expect(deriveDecisionColumns(r as unknown as XapiStatement)).toMatchObject({ actorType: "ai", humanReview: "none", reviewerId: null });
  });

  it("a human Group with a declared AI member is AI-assisted", () => {
    const s = mutable(CLINICAL_TRIAGE_AI_ASSISTED);
    const ai = s.context.contextAgents[0].agent;
    delete s.context.contextAgents;
    s.actor = { objectType: "Group", name: "Triage desk", member: [json(CLINICAL_TRIAGE_AI_ASSISTED.actor), ai] };
    const st = s as unknown as XapiStatement;
    expect(validateStatement(st).ok).toBe(true);
    expect(deriveActorType(st)).toBe("ai_assisted_human");
    expect(deriveDecisionColumns(st).actorId).toBe(
      "group:[account:https://ai.st-elsewhere.example/systems/ed-triage|triage-assist@2.0.3,account:https://staff.st-elsewhere.example/directory|clin-0117]",
    );
  });

  it("derivation is defensive about extension shapes and reports errors", () => {
    const s = mutable(MODERATION_FLAG_AI_ONLY);
    s.context.extensions[EXT.model] = "not an object";
    s.context.extensions[EXT.latencyMs] = "84";
    s.context.extensions[EXT.error] = { code: "MODEL_TIMEOUT", message: "classifier timed out after 2000 ms", step: "classification" };
    delete s.result.score;
    const c = deriveDecisionColumns(s as unknown as XapiStatement);
    // Model falls back to the AI account name "<model>@<version>".
    expect(c).toMatchObject({ modelName: "toxicity-classifier", modelVersion: "5.3.1", latencyMs: null, confidence: null, errorState: true });
    expect(c.searchText).toContain("classifier timed out");
  });

  it("verb short name falls back to display, then the IRI", () => {
    const s = mutable();
    s.verb = { id: "http://example.com/xapi/verbs#defenestrated" };
    expect(deriveDecisionColumns(s as unknown as XapiStatement).verb).toBe("defenestrated");
    s.verb = { id: "https://example.com/verbs/", display: { "en-US": "escalated" } };
    expect(deriveDecisionColumns(s as unknown as XapiStatement).verb).toBe("escalated");
  });
});

describe("validateStatement rejects bad input with the right pointer", () => {
  it("missing actor", () => {
    const s = mutable();
    delete s.actor;
    expect(errorsOf(s)).toEqual([{ pointer: "/actor", message: "required property is missing" }]);
  });

  it("missing timestamp (required by this profile)", () => {
    const s = mutable();
    delete s.timestamp;
    expect(pointersOf(s)).toEqual(["/timestamp"]);
  });

  it("bad verb IRI", () => {
    expect(pointersOf({ ...mutable(), verb: { id: "denied" } })).toEqual(["/verb/id"]);
    expect(pointersOf({ ...mutable(), verb: { id: "https://exa mple.com/v" } })).toEqual(["/verb/id"]);
    expect(pointersOf({ ...mutable(), verb: { id: "https:///nohost" } })).toEqual(["/verb/id"]);
  });

  it("timestamp without offset, and calendar-invalid timestamps", () => {
    expect(pointersOf({ ...mutable(), timestamp: "2025-02-13T14:23:17" })).toEqual(["/timestamp"]);
    expect(pointersOf({ ...mutable(), timestamp: "2025-02-13" })).toEqual(["/timestamp"]);
    expect(pointersOf({ ...mutable(), timestamp: "2025-02-30T14:23:17Z" })).toEqual(["/timestamp"]);
    expect(pointersOf({ ...mutable(), timestamp: "2025-02-13T14:23:17+1:00" })).toEqual(["/timestamp"]);
    expect(validateStatement({ ...mutable(), timestamp: "2024-02-29T23:59:59.999999-11:30" }).ok).toBe(true);
  });

  it("NaN and Infinity (possible in objects, never after JSON.parse)", () => {
    const s = mutable();
    s.result.score.scaled = Number.NaN;
    expect(errorsOf(s)).toEqual([{ pointer: "/result/score/scaled", message: "NaN is not a JSON number" }]);
    const t = mutable();
    t.context.extensions["https://x.example/n"] = Number.POSITIVE_INFINITY;
    expect(pointersOf(t)).toEqual([`${ext("https://x.example/n")}`]);
  });

  it("reports a storability problem first, plus unrelated schema errors, without repeating it", () => {
    const s = mutable();
    s.result.score.scaled = Number.NaN;
    delete s.verb;
    expect(errorsOf(s)).toEqual([
      { pointer: "/result/score/scaled", message: "NaN is not a JSON number" },
      { pointer: "/verb", message: "required property is missing" },
    ]);
  });

  it("lone surrogate", () => {
    const s = mutable();
    s.result.response = "reason \ud800 here";
    expect(pointersOf(s)).toEqual(["/result/response"]);
    const t = mutable();
    t.object.definition.name.en = "\udc00";
    expect(pointersOf(t)).toEqual(["/object/definition/name/en"]);
    // A proper pair is fine.
    const ok = mutable();
    ok.result.response = "emoji \ud83d\ude00";
    expect(validateStatement(ok).ok).toBe(true);
  });

  it("U+0000 in a value or a key", () => {
    const s = mutable();
    s.actor.name = "a\u0000b";
    expect(pointersOf(s)).toEqual(["/actor/name"]);
    const t = mutable();
    t.context.extensions[EXT.inputFeatures]["bad\u0000key"] = 1;
    // The pointer names the object holding the key (the key itself cannot be stored).
    expect(pointersOf(t)).toEqual([ext(EXT.inputFeatures)]);
  });

  it("integers beyond 2^53-1", () => {
    const s = mutable();
    s.context.extensions[EXT.tokenUsage].total = 2 ** 60;
    expect(errorsOf(s)).toEqual([
      { pointer: `${ext(EXT.tokenUsage)}/total`, message: "number beyond ±(2^53−1) cannot be stored exactly" },
    ]);
    const ok = mutable();
    ok.context.extensions[EXT.tokenUsage].total = Number.MAX_SAFE_INTEGER;
    expect(validateStatement(ok).ok).toBe(true);
  });

  it("deep nesting (and cycles) stop at 32 levels", () => {
    const key = "https://x.example/deep";
    const build = (levels: number) => {
      const root: Record<string, unknown> = {};
      let cur = root;
      for (let i = 1; i < levels; i++) {
        const next = {};
        cur.a = next;
        cur = next;
      }
      return root;
    };
    // statement (1) > context (2) > extensions (3) > value (4): the value may nest 29 levels.
    const ok = mutable();
    ok.context.extensions[key] = build(29);
    expect(validateStatement(ok).ok).toBe(true);
    const bad = mutable();
    bad.context.extensions[key] = build(30);
    expect(errorsOf(bad)).toEqual([{ pointer: ext(key) + "/a".repeat(29), message: "nesting deeper than 32 levels" }]);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const c = mutable();
    c.context.extensions[key] = cyclic;
    expect(pointersOf(c)[0]).toMatch(new RegExp(`^${ext(key).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(/self)+$`));
  });

  it("strings over 64 KiB", () => {
    const s = mutable();
    s.result.response = "é".repeat(40_000); // 80,000 UTF-8 bytes in 40,000 UTF-16 units
    expect(pointersOf(s)).toEqual(["/result/response"]);
  });

  it("unknown properties, top level and nested", () => {
    expect(errorsOf({ ...mutable(), decision: "denied" })).toEqual([
      { pointer: "/decision", message: 'unknown property "decision" (not allowed by xAPI here)' },
    ]);
    const s = mutable();
    s.result.reason = "x";
    expect(pointersOf(s)).toEqual(["/result/reason"]);
  });

  it("two IFIs, or none", () => {
    const s = mutable();
    s.actor.mbox = "mailto:ops@chirp.example";
    const errors = errorsOf(s);
    expect(errors.map((e) => e.pointer)).toEqual(["/actor"]);
    expect(errors[0]!.message).toMatch(/exactly one identifier.*mbox, account/);
    const t = mutable(CLINICAL_TRIAGE_AI_ASSISTED);
    delete t.context.contextAgents[0].agent.account;
    expect(pointersOf(t)).toEqual(["/context/contextAgents/0/agent"]);
  });

  it("other format rules", () => {
    expect(pointersOf({ ...mutable(), id: "not-a-uuid" })).toEqual(["/id"]);
    expect(pointersOf({ ...mutable(), actor: { objectType: "Agent", mbox: "ops@chirp.example" } })).toEqual(["/actor/mbox"]);
    expect(pointersOf({ ...mutable(), verb: { id: VERBS.flagged, display: { en_US: "flagged" } } })).toEqual(["/verb/display/en_US"]);
    expect(pointersOf({ ...mutable(), object: { objectType: "SubStatement" } })).toEqual(["/object/objectType"]);
    expect(pointersOf({ ...mutable(), object: { mbox: "mailto:a@b.example" } })).toContain("/object/mbox");
    expect(pointersOf({ ...mutable(), version: "3.0.0" })).toEqual(["/version"]);
    const s = mutable();
    s.context.extensions["not-an-iri"] = 1;
    expect(pointersOf(s)).toEqual(["/context/extensions/not-an-iri"]);
    const t = mutable();
    t.context.contextAgents = [{ objectType: "contextAgent", agent: { mbox: "mailto:a@b.example" }, relevantTypes: [] }];
    expect(pointersOf(t)).toEqual(["/context/contextAgents/0/relevantTypes"]);
    const u = mutable();
    u.result.score.scaled = 1.5;
    expect(pointersOf(u)).toEqual(["/result/score/scaled"]);
    const v = mutable();
    v.context.registration = null;
    expect(pointersOf(v)).toEqual(["/context/registration"]);
    const w = mutable();
    w.attachments = [{ usageType: "https://x.example/u", display: { en: "x" }, contentType: "application/pdf", length: 3, sha2: "ab".repeat(32) }];
    expect(pointersOf(w)).toEqual(["/attachments/0/fileUrl"]);
    w.attachments[0].fileUrl = "https://files.example/x.pdf";
    expect(validateStatement(w).ok).toBe(true);
  });

  it("never throws, whatever it is given", () => {
    const hostile = mutable();
    Object.defineProperty(hostile, "verb", {
      enumerable: true,
      get() {
        throw new Error("boom");
      },
    });
    const inputs: unknown[] = [undefined, null, 42, "x", [], [mutable()], new Date(), () => 1, 10n, Symbol("s"), hostile];
    for (const input of inputs) {
      const r = validateStatement(input);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.length).toBeGreaterThan(0);
    }
    const withDate = mutable();
    withDate.context.extensions["https://x.example/d"] = new Date(0);
    expect(pointersOf(withDate)).toEqual([ext("https://x.example/d")]);
    const withUndefined = mutable();
    withUndefined.result.response = undefined;
    expect(pointersOf(withUndefined)).toEqual(["/result/response"]);
  });
});

describe("findUnstorableValue", () => {
  it("accepts plain JSON, null-prototype objects included", () => {
    for (const ex of Object.values(PROFILE_EXAMPLES)) expect(findUnstorableValue(ex)).toBeNull();
    const bare = Object.create(null) as Record<string, unknown>;
    bare.a = [1, "two", null, true, { b: -0.5 }];
    expect(findUnstorableValue(bare)).toBeNull();
  });

  it("names the first offending pointer, escaping ~ and /", () => {
    expect(findUnstorableValue({ "a/b": { "c~d": [0, Number.NaN] } })).toEqual({ pointer: "/a~1b/c~0d/1", message: "NaN is not a JSON number" });
    const holey: unknown[] = [1];
    holey[2] = 3; // index 1 is a hole
    expect(findUnstorableValue(holey)?.pointer).toBe("/1");
    expect(findUnstorableValue("\ud800")?.pointer).toBe("");
  });
});

describe("prepareStatement and contentWithoutServerFields", () => {
  const authority: XapiAgent = { objectType: "Agent", name: "loan-service", account: { homePage: "https://decision-ledger.dev/writers", name: "loan-service" } };
  const stored = "2025-02-13T14:23:18.000Z";

  it("keeps a client id and overwrites stored and authority", () => {
    const sent = {
      ...json(LOAN_DENIAL_HUMAN_APPROVED),
      stored: "1999-01-01T00:00:00Z",
      authority: { objectType: "Agent", mbox: "mailto:impostor@example.com" },
    } as XapiStatement;
    const before = json(sent);
    const p = prepareStatement(sent, { id: "00000000-0000-4000-8000-000000000000", stored, authority });
    expect(p.id).toBe(LOAN_DENIAL_HUMAN_APPROVED.id);
    expect(p.stored).toBe(stored);
    expect(p.authority).toEqual(authority);
    expect(sent).toEqual(before); // input untouched
    expect(validateStatement(json(p)).ok).toBe(true);
  });

  it("assigns the given id, or a random UUID, when the client sent none", () => {
    const s = mutable() as unknown as XapiStatement;
    delete s.id;
    expect(prepareStatement(s, { id: "00000000-0000-4000-8000-000000000001", stored, authority }).id).toBe("00000000-0000-4000-8000-000000000001");
    const a = prepareStatement(s, { stored, authority }).id!;
    const b = prepareStatement(s, { stored, authority }).id!;
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });

  it("same id and content but a different stored time is the same record; other changes are not", () => {
    const one = prepareStatement(MODERATION_FLAG_AI_ONLY, { stored, authority });
    const two = prepareStatement(MODERATION_FLAG_AI_ONLY, { stored: "2025-03-09T00:00:00Z", authority });
    expect(contentWithoutServerFields(one)).toEqual(contentWithoutServerFields(two));
    expect("stored" in contentWithoutServerFields(one)).toBe(false);
    const other = prepareStatement(MODERATION_FLAG_AI_ONLY, { stored, authority: { ...authority, name: "someone-else" } });
    expect(contentWithoutServerFields(other)).not.toEqual(contentWithoutServerFields(one));
  });

  it("refuses bad server inputs loudly (programming errors)", () => {
    expect(() => prepareStatement(MODERATION_FLAG_AI_ONLY, { stored: "yesterday", authority })).toThrow(TypeError);
  });
});

describe("personal data", () => {
  it("lists the profile's pointers present in each example", () => {
    expect(personalDataPointers(LOAN_DENIAL_HUMAN_APPROVED)).toEqual([
      ext(EXT.subject),
      `${ext(EXT.inputFeatures)}/age_band`,
      `${ext(EXT.inputFeatures)}/postcode_area`,
    ]);
    expect(personalDataPointers(MODERATION_FLAG_AI_ONLY)).toEqual([ext(EXT.subject), `${ext(EXT.inputFeatures)}/author_account_age_days`]);
    expect(personalDataPointers(CLINICAL_TRIAGE_AI_ASSISTED)).toEqual([
      ext(EXT.subject),
      ...["heart_rate", "spo2", "systolic_bp", "age_band", "chief_complaint_code"].map((f) => `${ext(EXT.inputFeatures)}/${f}`),
      "/result/response",
    ]);
    expect(personalDataPointers(LOAN_HUMAN_OVERRIDE)).toEqual([ext(EXT.subject)]);
  });

  it("covers Agent objects and data-subject context agents; ignores unresolvable declarations", () => {
    const s = mutable();
    s.object = { objectType: "Agent", name: "Jane Applicant", mbox: "mailto:jane@example.com" };
    s.context.contextAgents = [
      { objectType: "contextAgent", agent: { account: { homePage: "https://bank.example", name: "cust-1" } }, relevantTypes: [ROLES.dataSubject] },
    ];
    s.context.extensions[EXT.personalData] = ["/result/response", "/does/not/exist", ""];
    const st = s as unknown as XapiStatement;
    expect(validateStatement(st).ok).toBe(true);
    expect(personalDataPointers(st)).toEqual([
      ext(EXT.subject),
      `${ext(EXT.inputFeatures)}/author_account_age_days`,
      "/context/contextAgents/0/agent/account/name",
      "/object/name",
      "/object/mbox",
      "/result/response",
    ]);
  });

  it("masks a deep copy and leaves the original alone", () => {
    const before = json(CLINICAL_TRIAGE_AI_ASSISTED);
    const masked = maskPersonalData(CLINICAL_TRIAGE_AI_ASSISTED, personalDataPointers(CLINICAL_TRIAGE_AI_ASSISTED));
    expect(CLINICAL_TRIAGE_AI_ASSISTED).toEqual(before);
    expect(masked.result?.response).toBe(PERSONAL_DATA_MASK);
    const e = masked.context!.extensions!;
    expect(e[EXT.subject]).toBe(PERSONAL_DATA_MASK);
    expect(e[EXT.inputFeatures]).toEqual({
      heart_rate: PERSONAL_DATA_MASK,
      spo2: PERSONAL_DATA_MASK,
      systolic_bp: PERSONAL_DATA_MASK,
      age_band: PERSONAL_DATA_MASK,
      chief_complaint_code: PERSONAL_DATA_MASK,
    });
    // Non-personal values survive; nothing personal remains anywhere in the masked JSON.
    expect(e[EXT.model]).toEqual(before.context!.extensions![EXT.model]);
    const text = JSON.stringify(masked);
    for (const secret of ["pat-00081234", "b6b53ee7", "Chest pain", "R07.4", "65-74"]) expect(text).not.toContain(secret);
    // Unknown pointers are ignored; default pointers are the profile's.
    expect(maskPersonalData(MODERATION_FLAG_AI_ONLY, ["/nope/x", "/result/score/scaled/deeper"])).toEqual(json(MODERATION_FLAG_AI_ONLY));
    expect(maskPersonalData(MODERATION_FLAG_AI_ONLY).context!.extensions![EXT.subject]).toBe(PERSONAL_DATA_MASK);
  });
});
