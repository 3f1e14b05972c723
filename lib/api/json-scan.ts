import "server-only";
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
  try {
    new JsonScanner(text).scanDocument(maxDepth);
    return null;
  } catch (error) {
    if (error instanceof ScanFailure) return { code: error.code, message: error.message, offset: error.offset };
    throw error;
  }
}

/**
 * One pass over the text with a cursor `i`; each scan method starts at the first character
 * of what it scans and leaves `i` just after it. A problem throws a ScanFailure, caught once
 * in scanJson. Ingest runs this over bodies of up to 5 MB: keep the inner loops on
 * charCodeAt and the string runs on the native regex search.
 */
class JsonScanner {
  private i = 0;
  private readonly n: number;
  private limit = 0;

  constructor(private readonly text: string) {
    this.n = text.length;
  }

  scanDocument(maxDepth: (topLevelIsArray: boolean) => number): void {
    this.skipWs();
    this.limit = maxDepth(this.text.charCodeAt(this.i) === C.OpenBracket);
    this.scanValue(1);
    this.skipWs();
    if (this.i < this.n) this.fail(`unexpected ${describe(this.text, this.i)} after the end of the JSON value`);
  }

  private fail(message: string, at = this.i, code: JsonScanProblem = "invalid_json"): never {
    throw new ScanFailure(code, message, at);
  }

  private skipWs(): void {
    const { text, n } = this;
    let i = this.i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === C.Space || c === C.Lf || c === C.Cr || c === C.Tab) i++;
      else break;
    }
    this.i = i;
  }

  /** Skips a run of decimal digits; returns how many there were. */
  private digits(): number {
    const { text, n } = this;
    const start = this.i;
    let i = start;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c >= C.Zero && c <= C.Nine) i++;
      else break;
    }
    this.i = i;
    return i - start;
  }

  private scanValue(depth: number): void {
    this.skipWs();
    if (this.i >= this.n) this.fail("unexpected end of the body: a value is missing");
    const c = this.text.charCodeAt(this.i);
    if (c === C.OpenBrace || c === C.OpenBracket) this.scanContainer(depth, c === C.OpenBrace);
    else if (c === C.Quote) this.scanString(false);
    else if (c === C.Minus || (c >= C.Zero && c <= C.Nine)) this.scanNumber();
    else this.scanLiteral();
  }

  /** An object or array at nesting `depth`; object member names must be unique. */
  private scanContainer(depth: number, isObject: boolean): void {
    const { text } = this;
    if (depth > this.limit) this.fail(`objects and arrays are nested deeper than ${this.limit} levels`, this.i, "too_deep");
    const close = isObject ? C.CloseBrace : C.CloseBracket;
    const open = this.i;
    this.i++;
    this.skipWs();
    if (text.charCodeAt(this.i) === close) {
      this.i++;
      return;
    }
    const keys = isObject ? new Set<string>() : null;
    for (;;) {
      this.skipWs();
      if (keys) this.scanMemberName(keys);
      else if (text.charCodeAt(this.i) === C.CloseBracket) this.fail('trailing comma before "]"');
      this.scanValue(depth + 1);
      this.skipWs();
      const sep = text.charCodeAt(this.i);
      if (sep === C.Comma) {
        this.i++;
        continue;
      }
      if (sep === close) {
        this.i++;
        return;
      }
      if (this.i >= this.n) this.fail(`unexpected end of the body: the ${isObject ? "object" : "array"} opened at offset ${open} is not closed`);
      this.fail(`expected "," or "${isObject ? "}" : "]"}", found ${describe(text, this.i)}`);
    }
  }

  /** A member name and its colon; refuses a name already in `keys` (I-JSON). */
  private scanMemberName(keys: Set<string>): void {
    const { text } = this;
    if (text.charCodeAt(this.i) !== C.Quote) {
      this.fail(
        text.charCodeAt(this.i) === C.CloseBrace ? 'trailing comma before "}"' : `expected a member name in double quotes, found ${describe(text, this.i)}`,
      );
    }
    const keyAt = this.i;
    const key = this.scanString(true);
    if (keys.has(key)) this.fail(`duplicate member name ${JSON.stringify(key)} in the same object`, keyAt, "duplicate_key");
    keys.add(key);
    this.skipWs();
    if (text.charCodeAt(this.i) !== C.Colon) this.fail(`expected ":" after member name ${JSON.stringify(key)}, found ${describe(text, this.i)}`);
    this.i++;
  }

  /** A string starting at the opening quote; returns its value when asked (for member names). */
  private scanString(wantValue: boolean): string {
    const { text, n } = this;
    const start = this.i;
    let i = start + 1; // past the opening quote
    let escaped = false;
    for (;;) {
      // Jump to the next character that needs attention (native regex search, not a JS loop).
      STRING_STOP.lastIndex = i;
      const stop = STRING_STOP.exec(text);
      if (!stop) this.fail("unterminated string (missing closing quote)", start);
      i = stop!.index;
      const c = text.charCodeAt(i);
      if (c === C.Quote) break;
      if (c < 0x20) this.fail(`${describe(text, i)} must be escaped inside a string`, i);
      // Otherwise it is a backslash.
      escaped = true;
      const e = text.charCodeAt(i + 1);
      if (e === 0x75 /* u */) {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) this.fail("\\u must be followed by four hex digits", i);
        i += 6;
        continue;
      }
      // " \ / b f n r t
      if (![0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74].includes(e)) this.fail(`invalid escape \\${i + 1 < n ? text[i + 1] : ""} in a string`, i);
      i += 2;
    }
    this.i = i + 1; // past the closing quote
    if (!wantValue) return "";
    return escaped ? (JSON.parse(text.slice(start, this.i)) as string) : text.slice(start + 1, i);
  }

  private scanNumber(): void {
    const { text } = this;
    if (text.charCodeAt(this.i) === C.Minus) this.i++;
    const intStart = this.i;
    const intDigits = this.digits();
    if (intDigits === 0) this.fail(`expected a digit, found ${describe(text, this.i)}`);
    if (intDigits > 1 && text.charCodeAt(intStart) === C.Zero) this.fail("numbers must not have leading zeros", intStart);
    if (text.charCodeAt(this.i) === C.Dot) {
      this.i++;
      if (this.digits() === 0) this.fail(`expected a digit after the decimal point, found ${describe(text, this.i)}`);
    }
    const e = text.charCodeAt(this.i);
    if (e === 0x65 || e === 0x45) {
      this.i++;
      const s = text.charCodeAt(this.i);
      if (s === C.Plus || s === C.Minus) this.i++;
      if (this.digits() === 0) this.fail(`expected a digit in the exponent, found ${describe(text, this.i)}`);
    }
  }

  private scanLiteral(): void {
    for (const word of ["true", "false", "null"]) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return;
      }
    }
    this.fail(`unexpected ${describe(this.text, this.i)}: expected a JSON value`);
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
