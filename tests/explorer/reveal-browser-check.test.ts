import { randomBytes } from "node:crypto";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, test } from "vitest";
import { COMMITTED_LABEL, holdsCommitment, plainCommittedText } from "@/components/decisions/committed-value";
import { DecisionRecord, type DecisionRecordProps } from "@/components/decisions/decision-record";
import { checkOpenings, type RevealedOpening } from "@/components/decisions/opening-check";
import { nodeBytesBackend } from "@/lib/hash/node-sha256";
import { toBase64 } from "@/lib/ledger/bytes";
import { canonicalize } from "@/lib/ledger/jcs";
import { DEFAULT_PERSONAL_DATA_DETECTION_CONFIG } from "@/lib/ledger/personal-data-detection/detection-config";
import { PROFILE_EXAMPLES } from "@/lib/ledger/profile-examples";
import { commitStatement } from "@/lib/ledger/xapi/commit-statement";
import { formatCommitmentString, parseCommitmentString, PD_ACCOUNT_HOME_PAGE } from "@/lib/ledger/xapi/pd-commitment";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import { EXT } from "@/lib/ledger/xapi/vocabulary";
import { maskedDecisionView } from "@/lib/services/reveal-personal-data";

/** A committed record as the ledger stores it, and the openings a reveal would send for it. */
function committedRecord(original: XapiStatement) {
  const committed = commitStatement(original, { backend: nodeBytesBackend, random: randomBytes, detection: DEFAULT_PERSONAL_DATA_DETECTION_CONFIG });
  const canonical = canonicalize(committed.statement);
  const openings: RevealedOpening[] = committed.values.map((v) => ({
    ref: v.ref,
    pointer: v.pointer,
    commitment: "",
    value: v.opening.value,
    salt: toBase64(v.opening.salt),
  }));
  return { committed, canonical, openings };
}

const withoutMarker = (s: XapiStatement): XapiStatement => {
  const copy = structuredClone(s);
  delete copy.context!.extensions![EXT.personalDataFormat];
  return copy;
};

describe("the browser's check of revealed openings (checkOpenings)", () => {
  const original = PROFILE_EXAMPLES.loanDenialHumanApproved;

  test("every opening matches its commitment in the canonical text, and the record opens to what was sent", () => {
    const { canonical, openings } = committedRecord(original);
    const { verdicts, statement } = checkOpenings(canonical, openings);
    expect(verdicts.map((v) => v.status)).toEqual(openings.map(() => "matches"));
    expect(withoutMarker(statement)).toEqual(original);
  });

  test("a changed value or salt is a failure for that value only, and the page never shows it as the record's", () => {
    const { canonical, openings } = committedRecord(original);
    const name = openings.find((o) => o.pointer === "/context/contextAgents/0/agent/name")!;
    const age = openings.find((o) => o.pointer.endsWith("/age_band"))!;
    const salt = Buffer.from(age.salt, "base64");
    salt[5]! ^= 0x80;
    const tampered = openings.map((o) =>
      o === name ? { ...o, value: "Somebody Else" } : o === age ? { ...o, salt: salt.toString("base64") } : o,
    );
    const { verdicts, statement } = checkOpenings(canonical, tampered);
    expect(verdicts.filter((v) => v.status === "differs").map((v) => v.ref).sort()).toEqual([name.ref, age.ref].sort());
    expect(verdicts.filter((v) => v.status === "matches")).toHaveLength(openings.length - 2);
    expect(JSON.stringify(statement)).not.toContain("Somebody Else");
    expect(parseCommitmentString(statement.context!.contextAgents![0]!.agent.name)?.ref).toBe(name.ref);
  });

  test("the commitments are read from the canonical text, not from what the server says they are", () => {
    const { canonical, openings } = committedRecord(original);
    // A server claiming another commitment (for a value of its choice) changes nothing: the field names the ref only.
    const forged = openings.map((o, i) => (i === 0 ? { ...o, commitment: formatCommitmentString(o.ref, new Uint8Array(32)) } : o));
    expect(checkOpenings(canonical, forged).verdicts.every((v) => v.status === "matches")).toBe(true);
    const { verdicts } = checkOpenings(canonical, openings.slice(1));
    expect(verdicts.find((v) => v.ref === openings[0]!.ref)?.status).toBe("missing");
    const badSalt = openings.map((o, i) => (i === 0 ? { ...o, salt: "not base64!" } : o));
    expect(checkOpenings(canonical, badSalt).verdicts.find((v) => v.ref === openings[0]!.ref)?.status).not.toBe("matches");
  });
});

describe("the record's HTML for a role that may not reveal", () => {
  const render = (props: Partial<DecisionRecordProps> & Pick<DecisionRecordProps, "statement" | "canonical" | "personalPointers" | "format">) =>
    renderToString(
      createElement(DecisionRecord, {
        id: "ca5711cc-ea3f-46f7-a748-d315cbe1bb8e",
        seq: 1,
        leafHash: "00".repeat(32),
        chainHash: "00".repeat(32),
        erasure: null,
        canReveal: false,
        canSignCheckpoint: false,
        listQuery: "",
        reveal: async () => ({ ok: false as const, message: "no", fieldErrors: {} }),
        signCheckpoint: async () => ({ ok: false as const, message: "no" }),
        ...props,
      }),
    );

  // Written out by hand: what must never reach an auditor's page.
  const PERSONAL: Record<string, string[]> = {
    loanDenialHumanApproved: ["cust-0012345", "f60761f9222b63334430614686b128d4f0d7bff8e1ecd1afb5389c6dcf192d90", "Priya Raman", "35-44"],
    clinicalTriageAiAssisted: ["pat-00081234", "Dr. Aisha Khan", "Chest pain", "65-74", "R07.4"],
    loanHumanOverride: ["cust-0019876", "Tomás Álvarez"],
  };

  const STAFF_NAMES = ["Priya Raman", "Dr. Aisha Khan", "Tomás Álvarez"];

  test.each(Object.entries(PERSONAL))("%s, committed: placeholders and the full canonical text, no personal value", (name, values) => {
    const { committed, canonical } = committedRecord(PROFILE_EXAMPLES[name as keyof typeof PROFILE_EXAMPLES]);
    const view = maskedDecisionView({ statement: committed.statement, canonical });
    const html = render(view);
    for (const v of values) expect(html, `${v} in the page`).not.toContain(v);
    expect(html).toContain("personal data · committed");
    expect(html).toContain("Your role cannot reveal personal data");
    expect(html).not.toContain("Reveal personal data…");
    expect(html).toContain("Committed fields:");
  });

  test.each(Object.entries(PERSONAL))("%s, legacy: masked, canonical text withheld, no personal value", (name, values) => {
    const original = PROFILE_EXAMPLES[name as keyof typeof PROFILE_EXAMPLES];
    const view = maskedDecisionView({ statement: original, canonical: canonicalize(original) });
    const html = render(view);
    // Legacy records never treated a staff member's name as personal; everything else is masked.
    for (const v of values.filter((x) => !STAFF_NAMES.includes(x))) expect(html, `${v} in the page`).not.toContain(v);
    expect(html).toContain("Personal data (hidden)");
  });

  test("an erased record says so, offers no reveal, and still shows its committed text", () => {
    const { committed, canonical } = committedRecord(PROFILE_EXAMPLES.loanHumanOverride);
    const view = maskedDecisionView({ statement: committed.statement, canonical });
    const erasure = "Personal data erased on 2026-03-01 (request 5b0c9d1e-2f3a-4b5c-8d6e-7f8091a2b3c4)";
    const html = render({ ...view, erasure, canReveal: true });
    expect(html).toContain(erasure);
    expect(html).not.toContain("Reveal personal data…");
    expect(html).toContain("personal data · committed");
  });
});

describe("list columns: commitment values as placeholders", () => {
  const REF = "3f2b8c1e-5d4a-4b6c-8e7f-0a1b2c3d4e5f";
  const string = formatCommitmentString(REF, new Uint8Array(32).fill(7));

  test("a committed agent's id, a commitment string and a text with spans are recognised and shown as the label", () => {
    const agentId = `account:${PD_ACCOUNT_HOME_PAGE}|${REF}:${"07".repeat(32)}`;
    for (const text of [agentId, string, `Customer ${string} asked`]) expect(holdsCommitment(text)).toBe(true);
    expect(plainCommittedText(agentId)).toBe(`[${COMMITTED_LABEL}]`);
    expect(plainCommittedText(`Customer ${string} asked, then ${string}`)).toBe(`Customer [${COMMITTED_LABEL}] asked, then [${COMMITTED_LABEL}]`);
  });

  test("plain ids are left as they are", () => {
    for (const text of ["LA-2025-0007734", "account:https://staff.example|staff-0042", "pd:v1:not-a-commitment", null]) expect(holdsCommitment(text)).toBe(false);
    expect(plainCommittedText("LA-2025-0007734")).toBe("LA-2025-0007734");
  });
});
