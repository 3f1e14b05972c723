// RFC 8785 JSON Canonicalization Scheme (JCS).
//
// The canonical form is the preimage of every record hash in the ledger, so two
// parties (server at ingest, browser verifier, third-party auditors) must derive
// identical bytes from the same JSON value. What has a canonical form, and what
// the ledger adds so that a stored record re-canonicalizes to the same bytes
// (no U+0000, no integers beyond ±(2^53 - 1)), is defined once in json-value.ts;
// this file applies those rules while it serializes. Anything JSON.stringify would
// silently drop or coerce (undefined, functions, symbols, Date via toJSON, Map as
// {}) is an error rather than a lossy rewrite.

import { utf8Encode } from "./bytes";
import { toJsonPointer } from "./json-pointer";
import { isPlainObject, numberProblem, stringProblem, type StringProblem } from "./json-value";

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
   * allows them; the ledger does not by default (layer 2 in json-value.ts). Only for
   * conformance testing and for data whose precision has already been lost.
   */
  allowUnsafeIntegers?: boolean;
}

type Segment = string | number;

// Almost every string in practice needs no escaping and cannot break a rule;
// one regex test decides that and skips both.
const NEEDS_WORK = /[\u0000-\u001f"\\\uD800-\uDFFF]/;

const STRING_PROBLEM_MESSAGES: Record<StringProblem, string> = {
  nul: "U+0000 is not allowed",
  "lone-surrogate": "lone surrogate is not allowed",
};

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
 * pointer of the offending value) for anything that has no exact canonical form
 * (layers 1 and 2 in json-value.ts; the storage limits of layer 3 are not checked).
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
        if (q === null) throw new CanonicalizationError(STRING_PROBLEM_MESSAGES[stringProblem(v)!], toJsonPointer(path));
        out += q;
        return false;
      }
      case "number": {
        const problem = numberProblem(v);
        if (problem === "non-finite") throw new CanonicalizationError(`${String(v)} is not valid JSON`, toJsonPointer(path));
        if (problem === "unsafe-integer" && !allowUnsafeIntegers) {
          throw new CanonicalizationError(
            "integer magnitude exceeds 2^53-1 and cannot be represented exactly",
            toJsonPointer(path),
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
        if (onStack.has(v)) throw new CanonicalizationError("circular reference", toJsonPointer(path));
        if (Array.isArray(v)) {
          onStack.add(v);
          out += "[";
          stack.push({ container: v, keys: null, length: v.length, next: 0 });
          return true;
        }
        if (!isPlainObject(v)) {
          const tag = Object.prototype.toString.call(v).slice(8, -1);
          throw new CanonicalizationError(`non-plain object (${tag}) is not allowed`, toJsonPointer(path));
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
        throw new CanonicalizationError(`${typeof v} is not valid JSON`, toJsonPointer(path));
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
      if (q === null) {
        throw new CanonicalizationError(`member name: ${STRING_PROBLEM_MESSAGES[stringProblem(key)!]}`, toJsonPointer([...path, key]));
      }
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
