import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import { portableBytesBackend } from "@/lib/hash/browser-sha256";
import { nodeBytesBackend } from "@/lib/hash/node-sha256";
import { getByPointer } from "@/lib/ledger/json-pointer";
import { DEFAULT_PERSONAL_DATA_DETECTION_CONFIG, PERSONAL_DATA_KINDS } from "@/lib/ledger/personal-data-detection/detection-config";
import { PROFILE_EXAMPLES } from "@/lib/ledger/profile-examples";
import { commitStatement, type CommittedStatement } from "@/lib/ledger/xapi/commit-statement";
import { findCommitments, openStatement, type OpeningLookup } from "@/lib/ledger/xapi/open-statement";
import type { PdOpening } from "@/lib/ledger/xapi/pd-commitment";
import { isRecord } from "@/lib/ledger/xapi/read-statement";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import { EXT } from "@/lib/ledger/xapi/vocabulary";

const commit = (statement: XapiStatement): CommittedStatement =>
  commitStatement(statement, { backend: nodeBytesBackend, random: randomBytes, detection: DEFAULT_PERSONAL_DATA_DETECTION_CONFIG });

const lookupOf = (committed: CommittedStatement): OpeningLookup => {
  const byRef = new Map(committed.values.map((v) => [v.ref, v.opening]));
  return (ref) => byRef.get(ref);
};

/** The statement as it was before commitStatement, from a committed one: the format marker is the only addition. */
function withoutFormatMarker(s: XapiStatement): XapiStatement {
  const copy = structuredClone(s);
  delete copy.context!.extensions![EXT.personalDataFormat];
  return copy;
}

/** A statement with each kind of commitment: fields, a whole Agent, and two spans inside one text. */
function withEveryForm(): XapiStatement {
  const s = structuredClone(PROFILE_EXAMPLES.loanDenialHumanApproved);
  s.actor = { objectType: "Agent", name: "Priya Raman", mbox: "mailto:priya.raman@northwind-bank.example" };
  s.result!.response = "Refund to GB82WEST12345698765432 confirmed to jo.bloggs@mail-provider.example";
  return s;
}

describe("openStatement", () => {
  const examples: [string, XapiStatement][] = [...Object.entries(PROFILE_EXAMPLES), ["every form", withEveryForm()]];

  test.each(examples)("%s: opening every commitment restores the original exactly (node and portable SHA-256)", (_name, original) => {
    const committed = commit(original);
    for (const backend of [nodeBytesBackend, portableBytesBackend]) {
      const opened = openStatement(backend, committed.statement, lookupOf(committed));
      expect(withoutFormatMarker(opened.statement)).toEqual(original);
      expect(opened.opened.sort()).toEqual(committed.values.map((v) => v.ref).sort());
      expect(opened.unopened).toEqual([]);
      expect(opened.mismatched).toEqual([]);
    }
  });

  test("the demo data round-trips", () => {
    for (const original of generateDemoStatements({ count: 300, now: new Date("2025-06-30T12:00:00.000Z"), days: 30, seed: 11 })) {
      const committed = commit(original);
      const opened = openStatement(nodeBytesBackend, committed.statement, lookupOf(committed));
      expect(withoutFormatMarker(opened.statement)).toEqual(original);
      expect(opened.mismatched).toEqual([]);
    }
  });

  test("a changed opening is reported as mismatched and its commitment stays in place", () => {
    const original = withEveryForm();
    const committed = commit(original);
    const subject = committed.values.find((v) => v.pointer.endsWith("~1subject"))!;
    const span = committed.values.find((v) => v.kind === "iban")!;
    const tampered = new Map<string, PdOpening>(committed.values.map((v) => [v.ref, v.opening]));
    tampered.set(subject.ref, { ...subject.opening, value: { ref: "cust-9999999" } });
    const flipped = new Uint8Array(span.opening.salt);
    flipped[0]! ^= 1;
    tampered.set(span.ref, { value: span.opening.value, salt: flipped });
    const opened = openStatement(nodeBytesBackend, committed.statement, (ref) => tampered.get(ref));
    expect(opened.mismatched.sort()).toEqual([subject.ref, span.ref].sort());
    expect(opened.opened).not.toContain(subject.ref);
    expect(getByPointer(opened.statement, subject.pointer)).toBe(getByPointer(committed.statement, subject.pointer));
    // The other span in the same text still opens; the tampered one keeps its commitment.
    const response = opened.statement.result!.response!;
    expect(response).toContain("jo.bloggs@mail-provider.example");
    expect(response).not.toContain("GB82WEST");
    expect(response).toContain(`pd:v1:${span.ref}:`);
    expect(JSON.stringify(opened.statement)).not.toContain("cust-9999999");
  });

  test("commitments without an opening (erased, or not disclosed) are listed as unopened", () => {
    const committed = commit(PROFILE_EXAMPLES.loanDenialHumanApproved);
    const [withheld, ...rest] = committed.values;
    const lookup = lookupOf(committed);
    const opened = openStatement(nodeBytesBackend, committed.statement, (ref) => (ref === withheld!.ref ? undefined : lookup(ref)));
    expect(opened.unopened).toEqual([withheld!.ref]);
    expect(opened.opened.sort()).toEqual(rest.map((v) => v.ref).sort());
    expect(getByPointer(opened.statement, withheld!.pointer)).toBe(getByPointer(committed.statement, withheld!.pointer));
    const none = openStatement(nodeBytesBackend, committed.statement, () => undefined);
    expect(none.statement).toEqual(committed.statement);
    expect(none.unopened).toHaveLength(committed.values.length);
  });

  test("the input statement is not modified", () => {
    const committed = commit(withEveryForm());
    const before = structuredClone(committed.statement);
    openStatement(nodeBytesBackend, committed.statement, lookupOf(committed));
    expect(committed.statement).toEqual(before);
  });
});

describe("findCommitments", () => {
  test.each([...Object.entries(PROFILE_EXAMPLES), ["every form", withEveryForm()] as const])(
    "%s: finds every commitment with its pointer and form",
    (_name, original) => {
      const committed = commit(original);
      const found = findCommitments(committed.statement);
      expect(found).toHaveLength(committed.values.length);
      for (const v of committed.values) {
        const match = found.find((f) => f.ref === v.ref);
        expect(match, `${v.pointer} not found`).toBeDefined();
        expect(match!.pointer).toBe(v.pointer);
        // Detected identifiers are spans inside longer text (none of these texts is an identifier alone); agents keep their form.
        const isAgent = isRecord(v.opening.value) && "objectType" in v.opening.value;
        const detected = (PERSONAL_DATA_KINDS as readonly string[]).includes(v.kind);
        expect(match!.form).toBe(isAgent ? "agent" : detected ? "span" : "field");
      }
    },
  );

  test("the forms are told apart", () => {
    const found = findCommitments(commit(withEveryForm()).statement);
    expect(found.find((f) => f.pointer === "/actor")?.form).toBe("agent");
    expect(found.filter((f) => f.pointer === "/result/response").map((f) => f.form)).toEqual(["span", "span"]);
    expect(found.find((f) => f.pointer.endsWith("~1subject"))?.form).toBe("field");
  });

  test("a statement without commitments has none", () => {
    for (const s of Object.values(PROFILE_EXAMPLES)) expect(findCommitments(s)).toEqual([]);
  });
});
