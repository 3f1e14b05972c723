/**
 * Which JSON values the ledger accepts, defined once, in three layers; each layer
 * includes the one before it:
 *
 *  1. Canonical (RFC 8785): the value has a canonical form at all. Strings have no lone
 *     surrogates (they have no UTF-8 encoding, so the canonical bytes would be undefined;
 *     TextEncoder silently turns them into U+FFFD), numbers are finite, and every value is
 *     a plain object, an array or a JSON scalar (JSON.stringify would silently drop or
 *     coerce undefined, functions, symbols, Date via toJSON, Map as {}).
 *  2. Exact: the canonical form survives storage and re-canonicalisation unchanged, so a
 *     stored record can always be re-verified. No U+0000 (Postgres text and jsonb cannot
 *     store it) and no number of magnitude beyond 2^53−1 (JSON.parse has already rounded
 *     it, while jsonb keeps exact numerics, so the stored and the hashed digits would
 *     disagree). canonicalize() in jcs.ts enforces this layer by default.
 *  3. Storable: within STORAGE_LIMITS (string bytes, nesting depth). findUnstorableValue
 *     checks this layer before anything else reads an untrusted statement.
 *
 * The canonicaliser and the pre-check walk values differently (an explicit stack over
 * sorted keys, and a depth-bounded recursion in document order), each for its own reason,
 * but both take every verdict from the rules below. Plain TypeScript: runs in the browser.
 */
import { toJsonPointer, type FieldError } from "./json-pointer";

// ---------------------------------------------------------------------------------------
// Layers 1 and 2: rules for single values
// ---------------------------------------------------------------------------------------

/** "lone-surrogate" breaks layer 1 (canonical), "nul" layer 2 (exact). */
export type StringProblem = "nul" | "lone-surrogate";

// Almost no real string contains either problem character; one test lets them skip the scan.
const SUSPICIOUS_RE = /[\u0000\uD800-\uDFFF]/;
// Without the u flag the regex sees UTF-16 code units: a high surrogate not followed by a
// low one, or a low surrogate not preceded by a high one.
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `s` has no exact canonical form, or null. U+0000 is reported first when both occur. */
export function stringProblem(s: string): StringProblem | null {
  if (!SUSPICIOUS_RE.test(s)) return null;
  if (s.includes("\u0000")) return "nul";
  return LONE_SURROGATE_RE.test(s) ? "lone-surrogate" : null;
}

/** "non-finite" breaks layer 1 (canonical), "unsafe-integer" layer 2 (exact). */
export type NumberProblem = "non-finite" | "unsafe-integer";

/**
 * Why `n` has no exact canonical form, or null. Every double of magnitude beyond 2^53−1 is
 * an integer (and at least 2^53), so this is exactly "not a safe integer" for big numbers.
 */
export function numberProblem(n: number): NumberProblem | null {
  if (!Number.isFinite(n)) return "non-finite";
  return Math.abs(n) > Number.MAX_SAFE_INTEGER ? "unsafe-integer" : null;
}

/** Layer 1: an object JSON can represent as a member list (not an array: check that first). */
export function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) return true;
  // A plain object's prototype is some realm's Object.prototype, whose own prototype is
  // null; checking the shape instead of identity keeps objects parsed in another realm
  // (iframe, vm context) acceptable while still rejecting class instances, Date, Map,
  // typed arrays and boxed primitives.
  return Object.getPrototypeOf(proto) === null && Object.prototype.toString.call(v) === "[object Object]";
}

// ---------------------------------------------------------------------------------------
// Layer 3: storage limits, and the pre-check that applies all three layers
// ---------------------------------------------------------------------------------------

/** Limits for values the ledger can canonicalise (RFC 8785) and store without loss. */
export const STORAGE_LIMITS = {
  /** UTF-8 bytes per string (and per object key). */
  maxStringBytes: 64 * 1024,
  /** Nested arrays/objects, counting the statement itself as level 1. */
  maxDepth: 32,
} as const;

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function exceedsStringLimit(s: string): boolean {
  // Each UTF-16 unit is at least one UTF-8 byte and at most three, so only long strings need counting.
  if (s.length > STORAGE_LIMITS.maxStringBytes) return true;
  return s.length * 3 > STORAGE_LIMITS.maxStringBytes && utf8Length(s) > STORAGE_LIMITS.maxStringBytes;
}

const STORED_STRING_MESSAGES: Record<StringProblem, string> = {
  nul: "contains U+0000, which cannot be stored",
  "lone-surrogate": "contains a lone surrogate (not valid Unicode), which cannot be canonicalised",
};

function storedStringProblem(s: string, what: string): string | null {
  const problem = stringProblem(s);
  if (problem !== null) return `${what} ${STORED_STRING_MESSAGES[problem]}`;
  return exceedsStringLimit(s) ? `${what} is longer than ${STORAGE_LIMITS.maxStringBytes} bytes` : null;
}

function storedNumberProblem(n: number): string | null {
  const problem = numberProblem(n);
  if (problem === "non-finite") return `${String(n)} is not a JSON number`;
  return problem === "unsafe-integer" ? "number beyond ±(2^53−1) cannot be stored exactly" : null;
}

/** An unstorable value; `tooDeep` marks the one problem after which nothing else may walk the value (it may be cyclic). */
export interface UnstorableValue extends FieldError {
  tooDeep: boolean;
}

/**
 * First value that cannot be canonicalised (RFC 8785) and stored faithfully, or null.
 * Runs before schema validation so that nothing downstream (zod, JCS, Postgres jsonb)
 * ever sees NaN/Infinity, integers that doubles cannot hold exactly, lone surrogates,
 * U+0000 (Postgres text rejects it), non-JSON values (undefined, functions, Dates,
 * class instances), oversized strings, or nesting deep enough to be a cycle.
 * For a bad object key the pointer names the object holding it (a pointer containing
 * the bad key would itself be unstorable).
 */
export function findUnstorableValue(value: unknown): FieldError | null {
  const found = scanUnstorable(value);
  return found && { pointer: found.pointer, message: found.message };
}

/** findUnstorableValue, also telling whether the value may be walked any further. */
export function scanUnstorable(value: unknown): UnstorableValue | null {
  // The pointer of the value being looked at; only turned into a string on failure.
  const path: (string | number)[] = [];
  const fail = (message: string, tooDeep = false): UnstorableValue => ({ pointer: toJsonPointer(path), message, tooDeep });

  const walkMember = (key: string | number, member: unknown, depth: number, undefinedMessage: string): UnstorableValue | null => {
    path.push(key);
    const found = member === undefined ? fail(undefinedMessage) : walk(member, depth);
    if (found === null) path.pop();
    return found;
  };

  const walkArray = (items: readonly unknown[], depth: number): UnstorableValue | null => {
    for (let i = 0; i < items.length; i++) {
      const found = walkMember(i, items[i], depth + 1, "undefined (or an array hole) is not a JSON value");
      if (found) return found;
    }
    return null;
  };

  const walkObject = (object: object, depth: number): UnstorableValue | null => {
    if (!isPlainObject(object)) {
      const name = (object as { constructor?: { name?: string } }).constructor?.name ?? "object";
      return fail(`${name} is not a plain JSON value`);
    }
    for (const key of Object.keys(object)) {
      const keyProblem = storedStringProblem(key, "object key");
      if (keyProblem) return fail(`${keyProblem} (key ${JSON.stringify(key).slice(0, 80)})`);
      const member: unknown = (object as Record<string, unknown>)[key];
      const found = walkMember(key, member, depth + 1, "undefined is not a JSON value (omit the property instead)");
      if (found) return found;
    }
    return null;
  };

  // `depth` counts the containers around v; recursion is bounded by maxDepth.
  const walk = (v: unknown, depth: number): UnstorableValue | null => {
    switch (typeof v) {
      case "string": {
        const problem = storedStringProblem(v, "string");
        return problem ? fail(problem) : null;
      }
      case "number": {
        const problem = storedNumberProblem(v);
        return problem ? fail(problem) : null;
      }
      case "boolean":
        return null;
      case "object":
        if (v === null) return null;
        if (depth + 1 > STORAGE_LIMITS.maxDepth) return fail(`nesting deeper than ${STORAGE_LIMITS.maxDepth} levels`, true);
        return Array.isArray(v) ? walkArray(v, depth) : walkObject(v, depth);
      default:
        return fail(`${typeof v} is not a JSON value`);
    }
  };
  return walk(value, 0);
}
