/**
 * Reading a committed statement (commit-statement.ts): where its commitments are, and the
 * statement with the openings a reader holds put back. Pure and browser-safe: the detail
 * page, the bundle verifiers and the reveal service all use it.
 */
import type { Sha256Backend } from "../hasher";
import { toJsonPointer } from "../json-pointer";
import { findCommitmentStrings, parseCommitmentAgent, verifyOpening, type PdOpening } from "./pd-commitment";
import { isRecord } from "./read-statement";
import type { XapiStatement } from "./types";

/** One commitment in a statement. */
export interface FoundCommitment {
  ref: string;
  commitment: Uint8Array;
  /** Pointer to the field that holds it (a span's text, an Agent form's object). */
  pointer: string;
  /** "agent": an Agent form; "field": a string that is one commitment; "span": a commitment inside a longer text. */
  form: "agent" | "field" | "span";
}

/** Every commitment in the statement, in document order. */
export function findCommitments(statement: unknown): FoundCommitment[] {
  const found: FoundCommitment[] = [];
  const visit = (value: unknown, path: (string | number)[]) => {
    if (typeof value === "string") {
      const inText = findCommitmentStrings(value);
      const whole = inText.length === 1 && inText[0]!.start === 0 && inText[0]!.end === value.length;
      for (const c of inText) found.push({ ref: c.ref, commitment: c.commitment, pointer: toJsonPointer(path), form: whole ? "field" : "span" });
      return;
    }
    const agent = parseCommitmentAgent(value);
    if (agent) {
      found.push({ ...agent, pointer: toJsonPointer(path), form: "agent" });
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, [...path, i]));
    } else if (isRecord(value)) {
      for (const [key, v] of Object.entries(value)) visit(v, [...path, key]);
    }
  };
  visit(statement, []);
  return found;
}

/** What a reader holds for a commitment: the opening, or why it has none. */
export type OpeningLookup = (ref: string) => PdOpening | undefined;

/**
 * A copy of `statement` with every commitment whose opening `lookup` returns (and which
 * verifies against its commitment) replaced by the value. Commitments without an opening, or
 * with one that does not verify, stay as they are and are listed.
 */
export function openStatement<H>(
  backend: Sha256Backend<H>,
  statement: XapiStatement,
  lookup: OpeningLookup,
): { statement: XapiStatement; opened: string[]; unopened: string[]; mismatched: string[] } {
  const opened: string[] = [];
  const unopened: string[] = [];
  const mismatched: string[] = [];
  const openingOf = (ref: string, commitment: Uint8Array): PdOpening | null => {
    const opening = lookup(ref);
    if (opening === undefined) return (unopened.push(ref), null);
    if (!verifyOpening(backend, commitment, opening)) return (mismatched.push(ref), null);
    opened.push(ref);
    return opening;
  };
  const visit = (value: unknown): unknown => {
    if (typeof value === "string") {
      const inText = findCommitmentStrings(value);
      if (inText.length === 1 && inText[0]!.start === 0 && inText[0]!.end === value.length)
        return openingOf(inText[0]!.ref, inText[0]!.commitment)?.value ?? value;
      let text = value;
      for (const c of [...inText].reverse()) {
        const opening = openingOf(c.ref, c.commitment);
        if (opening && typeof opening.value === "string") text = text.slice(0, c.start) + opening.value + text.slice(c.end);
      }
      return text;
    }
    const agent = parseCommitmentAgent(value);
    if (agent) return openingOf(agent.ref, agent.commitment)?.value ?? value;
    if (Array.isArray(value)) return value.map(visit);
    if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visit(v)]));
    return value;
  };
  return { statement: visit(statement) as XapiStatement, opened, unopened, mismatched };
}
