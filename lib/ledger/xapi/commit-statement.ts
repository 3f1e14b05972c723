/**
 * Privacy by construction (docs/decision-profile.md §15, docs/privacy.md): at ingest every
 * personal value of a statement is replaced by a salted commitment (pd-commitment.ts) before
 * the statement is canonicalised and hashed, so the bytes in the Merkle tree hold no personal
 * data. The openings (value and salt) leave here for the encrypted store; erasing them later
 * leaves every hash, and so the chain, intact.
 *
 * What is personal is decided by personal-positions.ts, the one rule the explorer masks by
 * too (the profile's rules and declarations, every human agent, a person's entity id); then
 * identifiers detected in the remaining free text (free-text.ts) are committed in place.
 *
 * Pure: SHA-256, randomness and the detection configuration are injected.
 */
import type { Sha256Backend } from "../hasher";
import { canonicalize } from "../jcs";
import { getAtPath, parseJsonPointer, replaceAtPath, toJsonPointer, type FieldError } from "../json-pointer";
import { detectPersonalData } from "../personal-data-detection/detect";
import type { PersonalDataDetectionConfig, PersonalDataKind } from "../personal-data-detection/detection-config";
import { freeTextFields } from "./free-text";
import {
  commitmentAgent,
  commitPersonalValue,
  containsReservedCommitmentForm,
  formatCommitmentString,
  type PdOpening,
  type RandomBytes,
} from "./pd-commitment";
import { isUnder, personalPositions, type PersonalPosition, type PersonalPositionKind } from "./personal-positions";
import { PERSONAL_DATA_FORMAT } from "./personal-data-format";
import { contextExtension, hasRole, isRecord } from "./read-statement";
import type { XapiActor, XapiStatement } from "./types";
import { EXT, ROLES } from "./vocabulary";

/** Why a value was committed: a profile rule, or the kind of identifier detected in free text. */
export type CommittedValueKind = PersonalPositionKind | PersonalDataKind;

/** The kinds of exact-match search term (the blind index's kinds, lib/privacy/blind-index.ts). */
export type LookupKind = "email" | "phone" | "iban" | "payment-card" | "national-id" | "entity-id" | "text";

export interface LookupTerm {
  kind: LookupKind;
  value: string;
}

/** One committed value: where its commitment is, and what opens it. Secret. */
export interface CommittedValue {
  ref: string;
  /** RFC 6901 pointer to the field holding the commitment (for a span: the text holding it). */
  pointer: string;
  kind: CommittedValueKind;
  opening: PdOpening;
  /** Exact identifiers in the value, for the blind index. */
  lookups: LookupTerm[];
}

/** The person or entity a record's personal data is about (docs/privacy.md "Data subjects"). */
export interface DataSubject {
  id: string;
  kind: LookupKind;
}

export interface CommittedStatement {
  /** The statement to canonicalise and hash, with the format marker set. */
  statement: XapiStatement;
  values: CommittedValue[];
  /** The distinct pointers that were treated as personal, in the order they were committed. */
  personalPointers: string[];
  /** Null when the record names no subject: its values then form a subject of their own (the record). */
  subject: DataSubject | null;
}

export interface CommitOptions<H> {
  backend: Sha256Backend<H>;
  random: RandomBytes;
  detection: PersonalDataDetectionConfig;
}

/**
 * Producer input that already spells a commitment, or sets the format marker, is refused:
 * a commitment the ledger did not write would have no opening, and a forged marker would make
 * a plaintext record pass as committed.
 */
export function reservedFormErrors(statement: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const visit = (value: unknown, path: (string | number)[]) => {
    if (typeof value === "string") {
      if (containsReservedCommitmentForm(value))
        errors.push({ pointer: toJsonPointer(path), message: "holds a personal-data commitment form (pd:v1:…) that only the ledger writes" });
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, [...path, i]));
    } else if (isRecord(value)) {
      for (const [key, v] of Object.entries(value)) visit(v, [...path, key]);
    }
  };
  visit(statement, []);
  if (isRecord(statement) && isRecord(statement.context) && isRecord(statement.context.extensions) && EXT.personalDataFormat in statement.context.extensions)
    errors.push({ pointer: toJsonPointer(["context", "extensions", EXT.personalDataFormat]), message: "is set by the ledger at ingest; leave it out" });
  return errors;
}

/** The exact identifiers of an agent, for the blind index. */
function agentLookups(a: unknown): LookupTerm[] {
  if (!isRecord(a)) return [];
  const out: LookupTerm[] = [];
  if (typeof a.mbox === "string") out.push({ kind: "email", value: a.mbox });
  if (typeof a.openid === "string") out.push({ kind: "text", value: a.openid });
  if (typeof a.mbox_sha1sum === "string") out.push({ kind: "text", value: a.mbox_sha1sum.toLowerCase() });
  if (isRecord(a.account) && typeof a.account.name === "string") out.push({ kind: "entity-id", value: a.account.name });
  if (Array.isArray(a.member)) for (const m of a.member) out.push(...agentLookups(m));
  return out;
}

/** The identifier an admin would type for an agent subject: its address, OpenID, account name. */
function agentSubject(a: XapiActor): DataSubject | null {
  if (a.mbox !== undefined) return { id: a.mbox.replace(/^mailto:/i, ""), kind: "email" };
  if (a.account !== undefined) return { id: a.account.name, kind: "entity-id" };
  if (a.openid !== undefined) return { id: a.openid, kind: "text" };
  if (a.mbox_sha1sum !== undefined) return { id: a.mbox_sha1sum.toLowerCase(), kind: "text" };
  return null;
}

/**
 * The record's data subject: the subject extension's `ref` (or `id`, or the extension itself
 * when it is a string), else the first data-subject context agent, else an Agent object.
 */
export function dataSubjectOf(s: XapiStatement): DataSubject | null {
  const subject = contextExtension(s, EXT.subject);
  if (typeof subject === "string" && subject !== "") return { id: subject, kind: "entity-id" };
  if (isRecord(subject)) {
    for (const key of ["ref", "id"]) {
      const v = subject[key];
      if (typeof v === "string" && v !== "") return { id: v, kind: "entity-id" };
    }
    return { id: canonicalize(subject), kind: "text" };
  }
  const subjectAgent = (s.context?.contextAgents ?? []).find((ca) => hasRole(ca.relevantTypes, ROLES.dataSubject))?.agent;
  if (subjectAgent) return agentSubject(subjectAgent);
  if (s.object.objectType === "Agent") return agentSubject(s.object);
  return null;
}

function lookupsOfValue(target: PersonalPosition, value: unknown, detection: PersonalDataDetectionConfig): LookupTerm[] {
  if (target.form === "agent") return agentLookups(value);
  if (target.kind === "human-name" || typeof value !== "string" || value.trim() === "") return [];
  // A person's entity id is found by the id itself, and by any identifier written inside it.
  if (target.kind === "entity-id")
    return [{ kind: "entity-id", value }, ...detectPersonalData(value, detection).map((span) => ({ kind: DETECTED_LOOKUP_KIND[span.kind], value: span.text }))];
  return [{ kind: "text", value }];
}

/** The blind-index kind each detected identifier is indexed as (search computes the same). */
export const DETECTED_LOOKUP_KIND: Record<PersonalDataKind, LookupKind> = {
  iban: "iban",
  "payment-card": "payment-card",
  "fr-nir": "national-id",
  "it-codice-fiscale": "national-id",
  "uk-nino": "national-id",
  "es-dni": "national-id",
  "us-ssn": "national-id",
  "nl-bsn": "national-id",
  email: "email",
  ipv6: "text",
  ipv4: "text",
  phone: "phone",
};

/**
 * The committed statement and its openings. `statement` must be valid (validate.ts) and
 * prepared (server fields set); the input is not modified. The caller checks the result is
 * still valid xAPI: a declared pointer can name a field no commitment may replace.
 */
export function commitStatement<H>(statement: XapiStatement, options: CommitOptions<H>): CommittedStatement {
  const { backend, random, detection } = options;
  const copy = structuredClone(statement) as XapiStatement;
  const values: CommittedValue[] = [];
  const targets = personalPositions(statement, detection);
  for (const target of targets) {
    const original = getAtPath(statement, target.path);
    const { ref, commitment, opening } = commitPersonalValue(backend, random, original);
    const isGroup = isRecord(original) && original.objectType === "Group";
    const replacement =
      target.form === "string"
        ? formatCommitmentString(ref, commitment)
        : isGroup
          ? commitmentAgent(ref, commitment, "Group")
          : commitmentAgent(ref, commitment);
    replaceAtPath(copy, target.path, replacement);
    values.push({ ref, pointer: toJsonPointer(target.path), kind: target.kind, opening, lookups: lookupsOfValue(target, original, detection) });
  }

  for (const field of freeTextFields(statement)) {
    const path = parseJsonPointer(field.pointer)!;
    if (targets.some((t) => isUnder(path, t.path))) continue;
    const spans = detectPersonalData(field.text, detection);
    if (spans.length === 0) continue;
    let text = field.text;
    // Right to left, so the offsets of the spans still to replace stay valid.
    for (const span of [...spans].reverse()) {
      const { ref, commitment, opening } = commitPersonalValue(backend, random, span.text);
      text = text.slice(0, span.start) + formatCommitmentString(ref, commitment) + text.slice(span.end);
      values.push({ ref, pointer: field.pointer, kind: span.kind, opening, lookups: [{ kind: DETECTED_LOOKUP_KIND[span.kind], value: span.text }] });
    }
    replaceAtPath(copy, path, text);
  }

  const context = (copy.context ??= {});
  context.extensions = { ...context.extensions, [EXT.personalDataFormat]: PERSONAL_DATA_FORMAT };
  return { statement: copy, values, personalPointers: [...new Set(values.map((v) => v.pointer))], subject: dataSubjectOf(statement) };
}
