/**
 * Personal-data commitments, format v1 (docs/decision-profile.md §15): what replaces a
 * personal value in a stored statement before it is canonicalised and hashed, so the bytes
 * in the Merkle tree hold no personal data, while the value and its salt (the opening) are
 * kept encrypted elsewhere and can be erased without breaking the chain.
 *
 *   commitment = SHA-256("decision-ledger/personal-data-commitment/v1" || 0x00 || salt || JCS(value))
 *
 * with a fresh 32-byte random salt per value. Two forms carry it in a statement: the string
 * form `pd:v1:<ref>:<64 lowercase hex>` for strings and free-form JSON, and the Agent form
 * (an Agent or Group whose only identifier is an account on PD_ACCOUNT_HOME_PAGE) where xAPI
 * requires an actor. `<ref>` is an opaque random UUID v4 naming the encrypted opening.
 *
 * Pure: SHA-256 and randomness are injected (a Sha256Backend, a RandomBytes source), so the
 * same code commits at ingest and verifies an opening in a page or an auditor's script.
 */
import { concatBytes, fromHex, toHex, utf8Encode } from "../bytes";
import { HASH_SIZE, type Sha256Backend } from "../hasher";
import { canonicalBytes } from "../jcs";
import { isRecord } from "./read-statement";
import type { XapiAgentObject, XapiGroup } from "./types";

/** The format version; every constant below belongs to it and changes with it. */
export const PD_COMMITMENT_VERSION = 1;
/** Domain-separation label; hashed as its ASCII bytes followed by one 0x00. */
export const PD_COMMITMENT_DOMAIN = "decision-ledger/personal-data-commitment/v1";
/** Salt length in bytes (256 bits): fresh from a CSPRNG for every committed value. */
export const PD_SALT_BYTES = 32;
/** Random bytes behind a reference (a UUID v4 keeps 122 of their 128 bits). */
export const PD_REF_RANDOM_BYTES = 16;
/** What every string form starts with. */
export const PD_STRING_PREFIX = "pd:v1:";
/** The account home page of the Agent form; reserved for commitments the ledger writes. */
export const PD_ACCOUNT_HOME_PAGE = "https://decision-ledger.dev/xapi/pd/v1";

/** A source of cryptographically secure random bytes: `(n) => n fresh bytes`. */
export type RandomBytes = (length: number) => Uint8Array;

/** What opens a commitment: the committed JSON value and its salt. Secret until disclosed. */
export interface PdOpening {
  /** Any value RFC 8785 can canonicalise (jcs.ts); its canonical bytes are what is committed. */
  value: unknown;
  /** PD_SALT_BYTES bytes. */
  salt: Uint8Array;
}

/** A parsed commitment (either form): the reference to its opening and the 32-byte digest. */
export interface PdCommitment {
  /** Lowercase UUID v4. */
  ref: string;
  commitment: Uint8Array;
}

// The label contains no 0x00, so label || 0x00 is prefix-free, and its first byte ("d",
// 0x64) differs from the RFC 9162 leaf (0x00) and node (0x01) prefixes: a commitment
// preimage can never be read as a leaf, a node or a 64-byte chain preimage of the ledger.
const PREFIX = concatBytes(utf8Encode(PD_COMMITMENT_DOMAIN), new Uint8Array([0x00]));

// Lowercase only, so one commitment has exactly one textual form (and equals sha256sum's output).
const REF_SOURCE = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
const REF_AND_COMMITMENT_SOURCE = `(${REF_SOURCE}):([0-9a-f]{${2 * HASH_SIZE}})`;
const REF_RE = new RegExp(`^${REF_SOURCE}$`);
// JavaScript's `$` (without the m flag) matches only at the very end: no trailing newline slips through.
const STRING_FORM_RE = new RegExp(`^${PD_STRING_PREFIX}${REF_AND_COMMITMENT_SOURCE}$`);
const ACCOUNT_NAME_RE = new RegExp(`^${REF_AND_COMMITMENT_SOURCE}$`);
const STRING_FORM_IN_TEXT_RE = new RegExp(`${PD_STRING_PREFIX}${REF_AND_COMMITMENT_SOURCE}`, "g");
const RESERVED_IN_TEXT_RE = new RegExp(`${PD_STRING_PREFIX}${REF_AND_COMMITMENT_SOURCE}`, "i");

/** `length` bytes from `random`, copied so that a source reusing its buffer cannot change them later. */
function randomBytesExactly(random: RandomBytes, length: number): Uint8Array {
  const bytes = random(length);
  if (!(bytes instanceof Uint8Array) || bytes.length !== length)
    throw new TypeError(`random source returned ${bytes instanceof Uint8Array ? bytes.length : typeof bytes} bytes, expected ${length}`);
  return new Uint8Array(bytes);
}

/** A fresh salt. Never reuse one: equal values under one salt have equal commitments, which links them. */
export function newSalt(random: RandomBytes): Uint8Array {
  return randomBytesExactly(random, PD_SALT_BYTES);
}

/** A fresh reference: a lowercase RFC 9562 UUID v4 from PD_REF_RANDOM_BYTES random bytes. */
export function newCommitmentRef(random: RandomBytes): string {
  const b = randomBytesExactly(random, PD_REF_RANDOM_BYTES);
  b[6] = (b[6]! & 0x0f) | 0x40; // version 4
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10xx
  const hex = toHex(b);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function digestCommitment<H>(backend: Sha256Backend<H>, salt: Uint8Array, valueBytes: Uint8Array): Uint8Array {
  return backend.toBytes(backend.digest(concatBytes(PREFIX, salt, valueBytes)));
}

/**
 * The 32-byte commitment to `value` under `salt`. Throws TypeError for a salt of the wrong
 * length and CanonicalizationError for a value without a canonical form.
 */
export function commitValue<H>(backend: Sha256Backend<H>, value: unknown, salt: Uint8Array): Uint8Array {
  if (salt.length !== PD_SALT_BYTES) throw new TypeError(`salt must be ${PD_SALT_BYTES} bytes, got ${salt.length}`);
  return digestCommitment(backend, salt, canonicalBytes(value));
}

/**
 * Commits one value with a fresh salt and reference: the one way a writer should make a
 * commitment, so that no salt is ever reused. The opening goes to the encrypted store under `ref`.
 */
export function commitPersonalValue<H>(
  backend: Sha256Backend<H>,
  random: RandomBytes,
  value: unknown,
): PdCommitment & { opening: PdOpening } {
  const salt = newSalt(random);
  const commitment = commitValue(backend, value, salt);
  return { ref: newCommitmentRef(random), commitment, opening: { value, salt } };
}

/** `<ref>:<hex>`, refusing what the parsers would refuse, so a writer can only write what readers accept. */
function refAndCommitment(ref: string, commitment: Uint8Array): string {
  if (!REF_RE.test(ref)) throw new TypeError(`commitment reference must be a lowercase UUID v4, got ${JSON.stringify(ref)}`);
  if (commitment.length !== HASH_SIZE) throw new TypeError(`commitment must be ${HASH_SIZE} bytes, got ${commitment.length}`);
  return `${ref}:${toHex(commitment)}`;
}

function parseRefAndCommitment(match: RegExpExecArray | null): PdCommitment | null {
  return match === null ? null : { ref: match[1]!, commitment: fromHex(match[2]!) };
}

/** The string form `pd:v1:<ref>:<commitment as 64 lowercase hex digits>`. */
export function formatCommitmentString(ref: string, commitment: Uint8Array): string {
  return PD_STRING_PREFIX + refAndCommitment(ref, commitment);
}

/** A string form found inside a longer text (a detected span committed in place): UTF-16 offsets. */
export interface PdCommitmentInText extends PdCommitment {
  start: number;
  end: number;
}

/**
 * Every string form inside `text`, left to right. Free text can hold commitments in place of
 * detected identifiers ("Applicant pd:v1:…:… asked for…"); a field that is one commitment as
 * a whole is the one-element case.
 */
export function findCommitmentStrings(text: string): PdCommitmentInText[] {
  const found: PdCommitmentInText[] = [];
  for (const match of text.matchAll(STRING_FORM_IN_TEXT_RE))
    found.push({ ref: match[1]!, commitment: fromHex(match[2]!), start: match.index, end: match.index + match[0].length });
  return found;
}

/**
 * Whether producer input spells something only the ledger may write: a string form (in any
 * letter case, so a reader lowercasing text cannot turn it into one) or the Agent form's home page.
 */
export function containsReservedCommitmentForm(text: string): boolean {
  return RESERVED_IN_TEXT_RE.test(text) || text === PD_ACCOUNT_HOME_PAGE;
}

/** Parses the string form exactly as formatCommitmentString writes it; anything else is null. */
export function parseCommitmentString(text: unknown): PdCommitment | null {
  return typeof text === "string" ? parseRefAndCommitment(STRING_FORM_RE.exec(text)) : null;
}

/**
 * The Agent form: an Agent (or, for a committed Group, an identified Group) whose only
 * property besides objectType is the account { homePage: PD_ACCOUNT_HOME_PAGE, name:
 * "<ref>:<hex>" }. objectType is always written, so the form is valid in every actor
 * position, including the statement's object where xAPI requires it.
 */
export function commitmentAgent(ref: string, commitment: Uint8Array, objectType?: "Agent"): XapiAgentObject;
export function commitmentAgent(ref: string, commitment: Uint8Array, objectType: "Group"): XapiGroup;
export function commitmentAgent(ref: string, commitment: Uint8Array, objectType: "Agent" | "Group" = "Agent"): XapiAgentObject | XapiGroup {
  return { objectType, account: { homePage: PD_ACCOUNT_HOME_PAGE, name: refAndCommitment(ref, commitment) } };
}

function hasExactlyKeys(v: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(v);
  return own.length === keys.length && keys.every((k) => Object.prototype.hasOwnProperty.call(v, k));
}

/** Parses the Agent form exactly as commitmentAgent writes it (no other property anywhere); anything else is null. */
export function parseCommitmentAgent(value: unknown): PdCommitment | null {
  if (!isRecord(value) || !hasExactlyKeys(value, ["objectType", "account"])) return null;
  if (value.objectType !== "Agent" && value.objectType !== "Group") return null;
  const account = value.account;
  if (!isRecord(account) || !hasExactlyKeys(account, ["homePage", "name"]) || account.homePage !== PD_ACCOUNT_HOME_PAGE) return null;
  return typeof account.name === "string" ? parseRefAndCommitment(ACCOUNT_NAME_RE.exec(account.name)) : null;
}

export function isCommitmentAgent(value: unknown): value is XapiAgentObject | XapiGroup {
  return parseCommitmentAgent(value) !== null;
}

function canonicalBytesOrNull(value: unknown): Uint8Array | null {
  try {
    return canonicalBytes(value);
  } catch {
    return null;
  }
}

/**
 * Whether `opening` opens `commitment` (32 bytes, or the string form). Never throws: a
 * malformed commitment, salt or value is simply false. Constant shape: every call hashes
 * once and compares all 32 bytes, stand-ins replacing malformed parts, and the verdict is
 * one conjunction at the end, so no path can accept before the full comparison.
 */
export function verifyOpening<H>(backend: Sha256Backend<H>, commitment: Uint8Array | string, opening: PdOpening): boolean {
  const expected = typeof commitment === "string" ? (parseCommitmentString(commitment)?.commitment ?? null) : commitment;
  const expectedOk = expected instanceof Uint8Array && expected.length === HASH_SIZE;
  const salt: unknown = opening?.salt;
  const saltOk = salt instanceof Uint8Array && salt.length === PD_SALT_BYTES;
  const valueBytes = canonicalBytesOrNull(opening?.value);
  const actual = digestCommitment(backend, saltOk ? salt : new Uint8Array(PD_SALT_BYTES), valueBytes ?? new Uint8Array(0));
  const reference = expectedOk ? expected : new Uint8Array(HASH_SIZE);
  let difference = 0;
  for (let i = 0; i < HASH_SIZE; i++) difference |= actual[i]! ^ reference[i]!;
  return expectedOk && saltOk && valueBytes !== null && difference === 0;
}
