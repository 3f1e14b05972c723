/**
 * Privacy by construction (docs/decision-profile.md §15, docs/privacy.md): at ingest every
 * personal value of a statement is replaced by a salted commitment (pd-commitment.ts) before
 * the statement is canonicalised and hashed, so the bytes in the Merkle tree hold no personal
 * data. The openings (value and salt) leave here for the encrypted store; erasing them later
 * leaves every hash, and so the chain, intact.
 *
 * What is personal, in the order it is decided (a position inside one already committed is
 * not committed again):
 *   1. the profile's fixed rules and the statement's own declarations (personalDataPointers);
 *   2. every human (non-AI) agent: its name when it is identified by an account (a staff id
 *      is pseudonymous and says who decided), the whole agent when an e-mail address, its
 *      hash or an OpenID identifies it;
 *   3. identifiers detected in free text (free-text.ts), committed in place inside the text.
 *
 * Pure: SHA-256, randomness and the detection configuration are injected.
 */
import type { Sha256Backend } from "../hasher";
import { canonicalize } from "../jcs";
import { getAtPath, parseJsonPointer, replaceAtPath, toJsonPointer, type FieldError } from "../json-pointer";
import { detectPersonalData } from "../personal-data-detection/detect";
import type { PersonalDataDetectionConfig, PersonalDataKind } from "../personal-data-detection/detection-config";
import { aiSystemIris, isAiAgent } from "./actor-type";
import { freeTextFields } from "./free-text";
import {
  commitmentAgent,
  commitPersonalValue,
  containsReservedCommitmentForm,
  formatCommitmentString,
  type PdOpening,
  type RandomBytes,
} from "./pd-commitment";
import { personalDataPointers } from "./personal-data";
import { PERSONAL_DATA_FORMAT } from "./personal-data-format";
import { contextExtension, hasRole, isRecord } from "./read-statement";
import type { XapiActor, XapiStatement } from "./types";
import { EXT, ROLES } from "./vocabulary";

/** Why a value was committed: a profile rule, or the kind of identifier detected in free text. */
export type CommittedValueKind = "profile" | "human-name" | "human-agent" | PersonalDataKind;

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

const IFI_KEYS = ["mbox", "mbox_sha1sum", "openid", "account"] as const;

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

interface Target {
  path: string[];
  form: "string" | "agent";
  kind: CommittedValueKind;
}

function hasIfiOtherThanAccount(a: XapiActor): boolean {
  return a.mbox !== undefined || a.mbox_sha1sum !== undefined || a.openid !== undefined;
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

/** Rule 1: the profile's pointers; a pointer into an agent's identity commits the agent whole (xAPI types its IFIs). */
function profileTargets(s: XapiStatement): Target[] {
  return personalDataPointers(s).flatMap((pointer): Target[] => {
    const path = parseJsonPointer(pointer);
    if (path === null || path.length === 0) return [];
    const last = path[path.length - 1]!;
    const inAccount = path.length >= 2 && path[path.length - 2] === "account" && last === "name";
    const agentPath = inAccount ? path.slice(0, -2) : (IFI_KEYS as readonly string[]).includes(last) || last === "name" ? path.slice(0, -1) : null;
    const agent = agentPath === null ? undefined : getAtPath(s, agentPath);
    if (agentPath !== null && isRecord(agent) && IFI_KEYS.some((k) => k in agent) && (last !== "name" || isPersonAgentPosition(agentPath)))
      return [{ path: agentPath, form: "agent", kind: "profile" }];
    return [{ path, form: "string", kind: "profile" }];
  });
}

/** The object and data-subject context agents are people as a whole; an agent's `name` elsewhere is only a name. */
function isPersonAgentPosition(path: readonly string[]): boolean {
  return (path.length === 1 && path[0] === "object") || (path[0] === "context" && path[1] === "contextAgents") || path[1] === "member";
}

/** Rule 2: human agents where statements name the people who decided, approved or took part. */
function humanAgentTargets(s: XapiStatement): Target[] {
  const aiSystems = aiSystemIris(s);
  const out: Target[] = [];
  const visitAgent = (a: XapiActor | undefined, path: string[]) => {
    if (!a) return;
    if (a.objectType === "Group") {
      (a.member ?? []).forEach((m, i) => visitAgent(m, [...path, "member", String(i)]));
      return;
    }
    if (isAiAgent(a, aiSystems)) return;
    if (hasIfiOtherThanAccount(a)) out.push({ path, form: "agent", kind: "human-agent" });
    else if (a.name !== undefined) out.push({ path: [...path, "name"], form: "string", kind: "human-name" });
  };
  visitAgent(s.actor, ["actor"]);
  const ctx = s.context;
  visitAgent(ctx?.instructor, ["context", "instructor"]);
  visitAgent(ctx?.team, ["context", "team"]);
  (ctx?.contextAgents ?? []).forEach((ca, i) => visitAgent(ca.agent, ["context", "contextAgents", String(i), "agent"]));
  (ctx?.contextGroups ?? []).forEach((cg, i) => visitAgent(cg.group, ["context", "contextGroups", String(i), "group"]));
  return out;
}

function isUnder(path: readonly string[], ancestor: readonly string[]): boolean {
  return ancestor.length <= path.length && ancestor.every((token, i) => path[i] === token);
}

/** Shortest paths first, so a position inside one already chosen is dropped. */
function distinctTargets(targets: Target[]): Target[] {
  const chosen: Target[] = [];
  for (const t of [...targets].sort((a, b) => a.path.length - b.path.length)) if (!chosen.some((c) => isUnder(t.path, c.path))) chosen.push(t);
  return chosen;
}

function lookupsOfValue(target: Target, value: unknown): LookupTerm[] {
  if (target.form === "agent") return agentLookups(value);
  if (target.kind === "human-name") return [];
  return typeof value === "string" && value.trim() !== "" ? [{ kind: "text", value }] : [];
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
  const targets = distinctTargets([...profileTargets(statement), ...humanAgentTargets(statement)]);
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
    values.push({ ref, pointer: toJsonPointer(target.path), kind: target.kind, opening, lookups: lookupsOfValue(target, original) });
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
