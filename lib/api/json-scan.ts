/**
 * A strict RFC 8259 validator that says WHERE a body is wrong. JSON.parse does the actual
 * parsing (it is native and fast) but its messages do not reliably carry a position, and it
 * silently keeps the last of two equal member names. A record that is hashed and kept as
 * evidence must mean one thing, so bodies with duplicate member names (I-JSON, RFC 7493 §2.3)
 * are refused, as is nesting beyond a limit (before JSON.parse could recurse on it).
 *
 * Recursion depth is bounded by `maxDepth`, so the descent cannot overflow the stack.
 */

export type JsonScanProblem = "invalid_json" | "duplicate_key" | "too_deep";

export interface JsonScanError {
  code: JsonScanProblem;
  message: string;
  /** UTF-16 offset into the text. */
  offset: number;
}

class ScanFailure extends Error {
  constructor(
    readonly code: JsonScanProblem,
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const C = {
  Tab: 0x09,
  Lf: 0x0a,
  Cr: 0x0d,
  Space: 0x20,
  Quote: 0x22,
  Plus: 0x2b,
  Comma: 0x2c,
  Minus: 0x2d,
  Dot: 0x2e,
  Zero: 0x30,
  Nine: 0x39,
  Colon: 0x3a,
  OpenBracket: 0x5b,
  Backslash: 0x5c,
  CloseBracket: 0x5d,
  OpenBrace: 0x7b,
  CloseBrace: 0x7d,
} as const;

/** Characters that end or interrupt the plain run of a string: quote, backslash, controls. */
const STRING_STOP = /["\\\u0000-\u001f]/g;

function describe(text: string, at: number): string {
  if (at >= text.length) return "the end of the body";
  const code = text.codePointAt(at)!;
  const ch = String.fromCodePoint(code);
  return code < 0x20 || code === 0x7f ? `control character U+${code.toString(16).toUpperCase().padStart(4, "0")}` : JSON.stringify(ch);
}

/**
 * Validates `text` as one JSON value. `maxDepth(topLevelIsArray)` gives the deepest allowed
 * nesting (the top-level value is depth 1), so a batch array may be one level deeper than a
 * single statement.
 */
export function scanJson(text: string, maxDepth: (topLevelIsArray: boolean) => number): JsonScanError | null {
  let i = 0;
  const n = text.length;
  let limit = 0;

  const fail = (message: string, at = i, code: JsonScanProblem = "invalid_json"): never => {
    throw new ScanFailure(code, message, at);
  };
  const skipWs = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === C.Space || c === C.Lf || c === C.Cr || c === C.Tab) i++;
      else break;
    }
  };
  const digits = (): number => {
    const start = i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c >= C.Zero && c <= C.Nine) i++;
      else break;
    }
    return i - start;
  };

  /** Scans a string starting at the opening quote; returns its value when asked (for keys). */
  const scanString = (wantValue: boolean): string => {
    const start = i;
    i++; // opening quote
    let escaped = false;
    for (;;) {
      // Jump to the next character that needs attention (native regex search, not a JS loop).
      STRING_STOP.lastIndex = i;
      const stop = STRING_STOP.exec(text);
      if (!stop) fail("unterminated string (missing closing quote)", start);
      i = stop!.index;
      const c = text.charCodeAt(i);
      if (c === C.Quote) break;
      if (c < 0x20) fail(`${describe(text, i)} must be escaped inside a string`);
      // Otherwise it is a backslash.
      escaped = true;
      const e = text.charCodeAt(i + 1);
      if (e === 0x75 /* u */) {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail("\\u must be followed by four hex digits");
        i += 6;
        continue;
      }
      // " \ / b f n r t
      if (![0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74].includes(e)) fail(`invalid escape \\${i + 1 < n ? text[i + 1] : ""} in a string`);
      i += 2;
    }
    i++; // closing quote
    if (!wantValue) return "";
    const raw = text.slice(start + 1, i - 1);
    return escaped ? (JSON.parse(text.slice(start, i)) as string) : raw;
  };

  const scanNumber = () => {
    if (text.charCodeAt(i) === C.Minus) i++;
    const intStart = i;
    const intDigits = digits();
    if (intDigits === 0) fail(`expected a digit, found ${describe(text, i)}`);
    if (intDigits > 1 && text.charCodeAt(intStart) === C.Zero) fail("numbers must not have leading zeros", intStart);
    if (text.charCodeAt(i) === C.Dot) {
      i++;
      if (digits() === 0) fail(`expected a digit after the decimal point, found ${describe(text, i)}`);
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const s = text.charCodeAt(i);
      if (s === C.Plus || s === C.Minus) i++;
      if (digits() === 0) fail(`expected a digit in the exponent, found ${describe(text, i)}`);
    }
  };

  const scanValue = (depth: number): void => {
    skipWs();
    if (i >= n) fail("unexpected end of the body: a value is missing");
    const c = text.charCodeAt(i);
    if (c === C.OpenBrace || c === C.OpenBracket) {
      if (depth > limit) fail(`objects and arrays are nested deeper than ${limit} levels`, i, "too_deep");
      const isObject = c === C.OpenBrace;
      const close = isObject ? C.CloseBrace : C.CloseBracket;
      const open = i;
      i++;
      skipWs();
      if (text.charCodeAt(i) === close) {
        i++;
        return;
      }
      const keys = isObject ? new Set<string>() : null;
      for (;;) {
        skipWs();
        if (keys) {
          if (text.charCodeAt(i) !== C.Quote) {
            fail(
              text.charCodeAt(i) === C.CloseBrace
                ? 'trailing comma before "}"'
                : `expected a member name in double quotes, found ${describe(text, i)}`,
            );
          }
          const keyAt = i;
          const key = scanString(true);
          if (keys.has(key)) fail(`duplicate member name ${JSON.stringify(key)} in the same object`, keyAt, "duplicate_key");
          keys.add(key);
          skipWs();
          if (text.charCodeAt(i) !== C.Colon) fail(`expected ":" after member name ${JSON.stringify(key)}, found ${describe(text, i)}`);
          i++;
        } else if (text.charCodeAt(i) === C.CloseBracket) {
          fail('trailing comma before "]"');
        }
        scanValue(depth + 1);
        skipWs();
        const sep = text.charCodeAt(i);
        if (sep === C.Comma) {
          i++;
          continue;
        }
        if (sep === close) {
          i++;
          return;
        }
        if (i >= n) fail(`unexpected end of the body: the ${isObject ? "object" : "array"} opened at offset ${open} is not closed`);
        fail(`expected "," or "${isObject ? "}" : "]"}", found ${describe(text, i)}`);
      }
    }
    if (c === C.Quote) {
      scanString(false);
      return;
    }
    if (c === C.Minus || (c >= C.Zero && c <= C.Nine)) {
      scanNumber();
      return;
    }
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    fail(`unexpected ${describe(text, i)}: expected a JSON value`);
  };

  try {
    skipWs();
    limit = maxDepth(text.charCodeAt(i) === C.OpenBracket);
    scanValue(1);
    skipWs();
    if (i < n) fail(`unexpected ${describe(text, i)} after the end of the JSON value`);
    return null;
  } catch (error) {
    if (error instanceof ScanFailure) return { code: error.code, message: error.message, offset: error.offset };
    throw error;
  }
}

/** 1-based line and column (in characters) of a UTF-16 offset. */
export function lineColumnOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = text.indexOf("\n"); k !== -1 && k < offset; k = text.indexOf("\n", k + 1)) {
    line++;
    lineStart = k + 1;
  }
  return { line, column: [...text.slice(lineStart, offset)].length + 1 };
}
