import { describe, expect, test } from "vitest";
import { canonicalize } from "@/lib/ledger/jcs";
import { findUnstorableValue, isPlainObject, numberProblem, stringProblem, STORAGE_LIMITS } from "@/lib/ledger/json-value";

/** Values that break layer 1 (canonical) or layer 2 (exact), each with the pointer both walkers must name. */
const NOT_EXACT: [name: string, value: unknown, pointer: string][] = [
  ["lone high surrogate", { a: "x\ud800" }, "/a"],
  ["lone low surrogate", ["\udc00y"], "/0"],
  ["U+0000", { a: { b: "x\u0000y" } }, "/a/b"],
  ["NaN", { n: Number.NaN }, "/n"],
  ["-Infinity", [1, Number.NEGATIVE_INFINITY], "/1"],
  ["2^53", { n: 2 ** 53 }, "/n"],
  ["-1e30", { n: -1e30 }, "/n"],
  ["Date", { when: new Date(0) }, "/when"],
  ["Map", { m: new Map() }, "/m"],
  ["undefined member", { a: undefined }, "/a"],
  ["function", { f: () => 1 }, "/f"],
  ["bigint", { n: 10n }, "/n"],
  ["escaped pointer", { "a/b": { "c~d": Number.NaN } }, "/a~1b/c~0d"],
];

function canonicalizeFailure(value: unknown): string | null {
  try {
    canonicalize(value);
    return null;
  } catch (e) {
    return (e as { pointer: string }).pointer;
  }
}

describe("one rule for canonical and storable values", () => {
  test.each(NOT_EXACT)("%s: refused by canonicalize and by the pre-check, at the same pointer", (_name, value, pointer) => {
    expect(canonicalizeFailure(value)).toBe(pointer);
    expect(findUnstorableValue(value)?.pointer).toBe(pointer);
  });

  test("values within all three layers pass both", () => {
    const value = { s: "emoji \ud83d\ude00", n: [0.5, -0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER], o: Object.create(null) as object, b: true, z: null };
    expect(canonicalizeFailure(value)).toBeNull();
    expect(findUnstorableValue(value)).toBeNull();
  });

  test("storage limits (layer 3) are the pre-check's alone", () => {
    const long = { s: "x".repeat(STORAGE_LIMITS.maxStringBytes + 1) };
    expect(canonicalizeFailure(long)).toBeNull();
    expect(findUnstorableValue(long)?.pointer).toBe("/s");
    let deep: unknown = 1;
    for (let i = 0; i < STORAGE_LIMITS.maxDepth + 1; i++) deep = [deep];
    expect(canonicalizeFailure(deep)).toBeNull();
    expect(findUnstorableValue(deep)?.message).toBe(`nesting deeper than ${STORAGE_LIMITS.maxDepth} levels`);
  });

  test("the single-value rules name the layer they belong to", () => {
    expect(stringProblem("plain")).toBeNull();
    expect(stringProblem("\ud83d\ude00")).toBeNull();
    expect(stringProblem("a\ud800")).toBe("lone-surrogate");
    expect(stringProblem("a\u0000")).toBe("nul");
    expect(numberProblem(Number.MAX_SAFE_INTEGER)).toBeNull();
    expect(numberProblem(Number.POSITIVE_INFINITY)).toBe("non-finite");
    expect(numberProblem(1.5e300)).toBe("unsafe-integer");
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject(Object.create(null) as object)).toBe(true);
    expect(isPlainObject(new Date(0))).toBe(false);
  });
});
