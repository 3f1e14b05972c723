// RFC 8785 JSON Canonicalization Scheme (JCS).
//
// The canonical form is the preimage of every record hash in the ledger, so two
// parties (server at ingest, browser verifier, third-party auditors) must derive
// identical bytes from the same JSON value. Beyond RFC 8785 we refuse values that
// would not survive the round trip through storage and other languages unchanged,
// because a record whose stored form re-canonicalizes differently can never be
// re-verified:
//   - integers outside ±(2^53 - 1): JSON.parse has already rounded them, and
//     Postgres jsonb keeps exact numerics, so the stored digits and the hashed
//     digits would disagree;
//   - U+0000: Postgres text/jsonb cannot store it;
//   - lone surrogates: they have no UTF-8 encoding, so the canonical bytes would
//     be undefined (TextEncoder silently turns them into U+FFFD).
// Anything JSON.stringify would silently drop or coerce (undefined, functions,
// symbols, Date via toJSON, Map as {}) is an error rather than a lossy rewrite.

import { utf8Encode } from "./bytes";

export class CanonicalizationError extends Error {
  /** RFC 6901 JSON pointer of the offending value ("" is the root). */
  readonly pointer: string;

  constructor(reason: string, pointer: string) {
    super(`${reason} at ${pointer === "" ? "(root)" : pointer}`);
    this.name = "CanonicalizationError";
    this.pointer = pointer;
  }
}

export interface CanonicalizeOptions {
  /**
   * Accept integers beyond Number.MAX_SAFE_INTEGER (e.g. 1e30). Strict RFC 8785
   * allows them; the ledger does not by default (see file comment). Only for
   * conformance testing and for data whose precision has already been lost.
   */
  allowUnsafeIntegers?: boolean;
}

type Segment = string | number;

function escapePointerSegment(seg: Segment): string {
  return typeof seg === "number" ? String(seg) : seg.replace(/~/g, "~0").replace(/\//g, "~1");
}

function pointerOf(path: readonly Segment[], extra?: Segment): string {
  let out = "";
  for (const seg of path) out += "/" + escapePointerSegment(seg);
  if (extra !== undefined) out += "/" + escapePointerSegment(extra);
  return out;
}

// Almost every string in practice needs neither escaping nor the NUL/surrogate
// scan; one regex test decides that and lets us skip both.
const NEEDS_WORK = /[\u0000-\u001f"\\\uD800-\uDFFF]/;
const SUSPICIOUS = /[\u0000\uD800-\uDFFF]/;

/** Returns a reason string if `s` cannot be canonicalized, else null. */
function stringProblem(s: string): string | null {
  if (!SUSPICIOUS.test(s)) return null;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return "U+0000 is not allowed";
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return "lone surrogate is not allowed";
    }
    if (c >= 0xdc00 && c <= 0xdfff) return "lone surrogate is not allowed";
  }
  return null;
}

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) return true;
  // A plain object's prototype is some realm's Object.prototype, whose own
  // prototype is null; checking the shape instead of identity keeps objects
  // parsed in another realm (iframe, vm context) acceptable while still
  // rejecting class instances, Date, Map, typed arrays and boxed primitives.
  return Object.getPrototypeOf(proto) === null && Object.prototype.toString.call(v) === "[object Object]";
}

/**
 * JSON string literal for `s`, or null if it has no canonical form. ES2019+
 * JSON.stringify escaping of well-formed strings is exactly RFC 8785 §3.2.2.2
 * (short escapes for \b \t \n \f \r, lowercase \u00xx for other C0 controls,
 * nothing else escaped); the fast path covers strings that need no escaping.
 */
function quote(s: string): string | null {
  if (!NEEDS_WORK.test(s)) return '"' + s + '"';
  return stringProblem(s) === null ? JSON.stringify(s) : null;
}

interface Frame {
  readonly container: object;
  /** null for arrays: members are addressed by index. */
  readonly keys: string[] | null;
  readonly length: number;
  next: number;
}

/**
 * Serialize `value` per RFC 8785. Throws CanonicalizationError (with the JSON
 * pointer of the offending value) for anything that has no exact, storable
 * canonical form.
 */
export function canonicalize(value: unknown, options?: CanonicalizeOptions): string {
  const allowUnsafeIntegers = options?.allowUnsafeIntegers === true;
  // One accumulator appended left to right: V8/JSC/SpiderMonkey build this as
  // a rope and flatten once, so it is linear and measured ~20% faster than
  // collecting parts and joining. (What must be avoided is building strings per
  // subtree and concatenating them on the way back up.)
  let out = "";
  // Explicit stack instead of recursion: nesting depth of untrusted input must
  // not be able to overflow the call stack.
  const stack: Frame[] = [];
  // path[i] is the member name/index under which stack[i + 1] (or the current
  // scalar) sits; it is only turned into a string when an error is thrown.
  const path: Segment[] = [];
  const onStack = new Set<object>();

  // Emits a scalar, or opens a container and pushes its frame. Returns whether
  // a frame was pushed (the caller then keeps the path segment until it pops).
  const visit = (v: unknown): boolean => {
    switch (typeof v) {
      case "string": {
        const q = quote(v);
        if (q === null) throw new CanonicalizationError(stringProblem(v)!, pointerOf(path));
        out += q;
        return false;
      }
      case "number": {
        if (!Number.isFinite(v)) throw new CanonicalizationError(`${String(v)} is not valid JSON`, pointerOf(path));
        if (!allowUnsafeIntegers && Number.isInteger(v) && !Number.isSafeInteger(v)) {
          throw new CanonicalizationError(
            "integer magnitude exceeds 2^53-1 and cannot be represented exactly",
            pointerOf(path),
          );
        }
        // Number#toString is the ECMAScript Number serialization RFC 8785 §3.2.2.3
        // mandates (and maps -0 to "0").
        out += String(v);
        return false;
      }
      case "boolean":
        out += v ? "true" : "false";
        return false;
      case "object": {
        if (v === null) {
          out += "null";
          return false;
        }
        if (onStack.has(v)) throw new CanonicalizationError("circular reference", pointerOf(path));
        if (Array.isArray(v)) {
          onStack.add(v);
          out += "[";
          stack.push({ container: v, keys: null, length: v.length, next: 0 });
          return true;
        }
        if (!isPlainObject(v)) {
          const tag = Object.prototype.toString.call(v).slice(8, -1);
          throw new CanonicalizationError(`non-plain object (${tag}) is not allowed`, pointerOf(path));
        }
        // Default sort compares UTF-16 code units, which is the RFC 8785 §3.2.3
        // ordering (and deliberately not locale-aware).
        const keys = Object.keys(v).sort();
        onStack.add(v);
        out += "{";
        stack.push({ container: v, keys, length: keys.length, next: 0 });
        return true;
      }
      default:
        // undefined, function, symbol, bigint
        throw new CanonicalizationError(`${typeof v} is not valid JSON`, pointerOf(path));
    }
  };

  visit(value);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next === frame.length) {
      out += frame.keys === null ? "]" : "}";
      onStack.delete(frame.container);
      stack.pop();
      if (stack.length > 0) path.pop();
      continue;
    }
    const i = frame.next++;
    if (i > 0) out += ",";
    let child: unknown;
    if (frame.keys === null) {
      path.push(i);
      child = (frame.container as unknown[])[i];
    } else {
      const key = frame.keys[i]!;
      const q = quote(key);
      if (q === null) throw new CanonicalizationError(`member name: ${stringProblem(key)!}`, pointerOf(path, key));
      out += q + ":";
      path.push(key);
      child = (frame.container as Record<string, unknown>)[key];
    }
    if (!visit(child)) path.pop();
  }
  return out;
}

/** UTF-8 bytes of canonicalize(value): the exact preimage to hash or sign. */
export function canonicalBytes(value: unknown, options?: CanonicalizeOptions): Uint8Array {
  // canonicalize() guarantees well-formed UTF-16, so this encoding is lossless.
  return utf8Encode(canonicalize(value, options));
}
