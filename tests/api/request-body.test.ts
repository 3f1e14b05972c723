import { describe, expect, test } from "vitest";
import { ApiError } from "@/lib/api/errors";
import { lineColumnOf, scanJson } from "@/lib/api/json-scan";
import { assertJsonContentType, readJsonBody } from "@/lib/api/read-json-body";
import { decodeUtf8Strict, firstInvalidUtf8Offset } from "@/lib/api/utf8";

const deep = () => 64;

describe("scanJson", () => {
  test.each([
    ["{}"],
    ["[]"],
    [' \n\t{"a": [1, -0, 0.5, 1e10, 2E-3, -1.5e+2, true, false, null, "x"]}\r\n'],
    ['"plain string"'],
    ['"escapes \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00"'],
    ['{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}'],
    ["0"],
  ])("accepts %s", (text) => {
    expect(scanJson(text, deep)).toBeNull();
    expect(() => JSON.parse(text)).not.toThrow();
  });

  test.each([
    ['{"a":1,}', "trailing comma", 7],
    ["[1,]", "trailing comma", 3],
    ['{"a" 1}', 'expected ":"', 5],
    ["{a:1}", "member name in double quotes", 1],
    ['"abc', "unterminated string", 0],
    ['"a\\x"', "invalid escape", 2],
    ['"\\u12G4"', "four hex digits", 1],
    ['"tab\there"', "must be escaped", 4],
    ["01", "leading zeros", 0],
    ["1.", "after the decimal point", 2],
    ["1e", "in the exponent", 2],
    ["-", "expected a digit", 1],
    ["tru", "expected a JSON value", 0],
    ["{} x", "after the end", 3],
    ["[1 2]", 'expected "," or "]"', 3],
    ["", "value is missing", 0],
    ["[", "value is missing", 1],
    ['{"a":1', "is not closed", 6],
  ])("refuses %s (%s) at offset %i", (text, message, offset) => {
    const problem = scanJson(text, deep);
    expect(problem).toMatchObject({ code: "invalid_json", offset });
    expect(problem!.message).toContain(message);
    expect(() => JSON.parse(text)).toThrow();
  });

  test("duplicate member names, also when spelled with escapes, are found at the second one", () => {
    expect(scanJson('{"a":1,"b":{"a":2},"a":3}', deep)).toMatchObject({ code: "duplicate_key", offset: 19 });
    expect(scanJson('{"a":1,"\\u0061":2}', deep)).toMatchObject({ code: "duplicate_key", offset: 7 });
    // The same name in different objects is fine.
    expect(scanJson('[{"a":1},{"a":2}]', deep)).toBeNull();
  });

  test("depth: the top-level value is level 1; arrays may get their own limit", () => {
    const nest = (n: number) => "[".repeat(n) + "]".repeat(n);
    expect(scanJson(nest(3), () => 3)).toBeNull();
    expect(scanJson(nest(4), () => 3)).toMatchObject({ code: "too_deep", offset: 3 });
    const objects = '{"a":{"a":{"a":{}}}}';
    expect(scanJson(objects, (isArray) => (isArray ? 5 : 4))).toBeNull();
    expect(scanJson(objects, (isArray) => (isArray ? 4 : 3))).toMatchObject({ code: "too_deep" });
    expect(scanJson(`[${objects}]`, (isArray) => (isArray ? 5 : 4))).toBeNull();
    // A million levels are refused at the limit, without recursing further (no stack overflow).
    expect(scanJson(nest(1_000_000), () => 33)).toMatchObject({ code: "too_deep", offset: 33 });
  });

  test("agrees with JSON.parse on random inputs", () => {
    // Deterministic PRNG; inputs built from JSON's own alphabet hit the interesting cases.
    let state = 42;
    const rand = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const pieces = ["{", "}", "[", "]", ",", ":", '"a"', '"b"', "1", "-", "0", ".", "e", "2", "true", "null", " ", '"\\n"', '"\\u00"', "\\"];
    for (let i = 0; i < 5000; i++) {
      let text = "";
      const len = 1 + Math.floor(rand() * 10);
      for (let j = 0; j < len; j++) text += pieces[Math.floor(rand() * pieces.length)];
      let parsed = true;
      try {
        JSON.parse(text);
      } catch {
        parsed = false;
      }
      const problem = scanJson(text, deep);
      if (problem?.code === "duplicate_key") continue;
      expect(problem === null, `${JSON.stringify(text)}: ${problem?.message}`).toBe(parsed);
    }
  });
});

test("lineColumnOf counts lines and characters (not UTF-16 units)", () => {
  expect(lineColumnOf("abc", 0)).toEqual({ line: 1, column: 1 });
  expect(lineColumnOf("ab\ncd\nef", 7)).toEqual({ line: 3, column: 2 });
  expect(lineColumnOf("😀x", 2)).toEqual({ line: 1, column: 2 });
});

describe("UTF-8", () => {
  const bytes = (...b: number[]) => new Uint8Array(b);
  test.each([
    ["overlong 2-byte", bytes(0x41, 0xc0, 0x80), 1],
    ["overlong 3-byte", bytes(0xe0, 0x80, 0x80), 0],
    ["UTF-16 surrogate", bytes(0x61, 0x62, 0xed, 0xa0, 0x80), 2],
    ["above U+10FFFF", bytes(0xf4, 0x90, 0x80, 0x80), 0],
    ["lone continuation", bytes(0x80), 0],
    ["truncated", bytes(0x61, 0xf0, 0x9f, 0x98), 1],
    ["invalid byte", bytes(0x61, 0xff), 1],
  ])("%s is found at its first byte", (_label, input, offset) => {
    expect(firstInvalidUtf8Offset(input)).toBe(offset);
    expect(() => decodeUtf8Strict(input)).toThrow(`byte offset ${offset}`);
  });

  test("valid text, including 4-byte characters, passes; a BOM is skipped but counted in offsets", () => {
    const text = 'é€😀{"a":1}';
    expect(firstInvalidUtf8Offset(new TextEncoder().encode(text))).toBe(-1);
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)]);
    expect(decodeUtf8Strict(withBom)).toEqual({ text, bomLength: 3 });
    expect(() => decodeUtf8Strict(new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0xff]))).toThrow("byte offset 4");
  });
});

describe("content type", () => {
  test.each(["application/json", "Application/JSON", "application/json; charset=utf-8", 'application/json;charset="UTF-8"', "application/json; charset=utf8; foo=bar"])(
    "%s is accepted",
    (value) => expect(() => assertJsonContentType(value)).not.toThrow(),
  );
  test.each([null, "", "text/json", "application/jsonx", "application/json; charset=latin1", "application/ld+json"])("%s is refused with 415", (value) => {
    try {
      assertJsonContentType(value);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(415);
    }
  });
});

test("readJsonBody reports the byte offset of a JSON error after a BOM and multi-byte characters", async () => {
  const body = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"name":"Zoë",}')]);
  const req = new Request("http://x/", { method: "POST", headers: { "content-type": "application/json" }, body });
  const error = (await readJsonBody(req, { maxBytes: 1000, maxDepth: 32 }).catch((e: unknown) => e)) as ApiError;
  expect(error).toBeInstanceOf(ApiError);
  expect(error.code).toBe("invalid_json");
  // "{"name":"Zoë"," is 14 characters and 15 bytes; plus the 3-byte BOM.
  expect(error.extra.location).toEqual({ line: 1, column: 15, byteOffset: 18 });
});
