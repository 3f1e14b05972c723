// Byte helpers shared by the server and the browser verifier. Nothing here may
// depend on Node's Buffer: the same code has to run in a page.

export type Hash = Uint8Array;

export class EncodingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EncodingError";
  }
}

const HEX_DIGITS = "0123456789abcdef";
const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, i) => HEX_DIGITS[i >> 4]! + HEX_DIGITS[i & 15]!);

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX_BYTE[bytes[i]!]!;
  return out;
}

function hexNibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) throw new EncodingError("hex string has odd length");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexNibble(hex.charCodeAt(2 * i));
    const lo = hexNibble(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new EncodingError(`invalid hex character near offset ${2 * i}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

const B64_STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function decodeTable(alphabet: string): Int16Array {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
}
const B64_STD_DEC = decodeTable(B64_STD);
const B64_URL_DEC = decodeTable(B64_URL);

function encodeBase64(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  const parts: string[] = [];
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    parts.push(alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    parts.push(alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + (pad ? "==" : ""));
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    parts.push(alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + (pad ? "=" : ""));
  }
  return parts.join("");
}

// Strict decoding: exact alphabet, no whitespace, padding exactly as the
// encoder would write it, and zero unused trailing bits. Accepting only the
// canonical encoding means one byte string has exactly one textual form, so a
// signed checkpoint or proof line cannot be re-encoded into a different but
// "equivalent" string.
function decodeBase64(text: string, table: Int16Array, padded: boolean, what: string): Uint8Array {
  let len = text.length;
  if (padded) {
    if (len % 4 !== 0) throw new EncodingError(`${what}: length is not a multiple of 4`);
    if (len > 0 && text.charCodeAt(len - 1) === 61) len--;
    if (len > 0 && text.charCodeAt(len - 1) === 61) len--;
  } else if (len % 4 === 1) {
    throw new EncodingError(`${what}: impossible length`);
  }
  const rem = len % 4;
  const out = new Uint8Array(Math.floor(len / 4) * 3 + (rem === 0 ? 0 : rem - 1));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? table[c]! : -1;
    if (v < 0) throw new EncodingError(`${what}: invalid character at offset ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) {
    throw new EncodingError(`${what}: non-canonical trailing bits`);
  }
  return out;
}

/** Standard (RFC 4648 §4) base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  return encodeBase64(bytes, B64_STD, true);
}

/** Strict standard base64 decoding; throws EncodingError on anything non-canonical. */
export function fromBase64(text: string): Uint8Array {
  return decodeBase64(text, B64_STD_DEC, true, "invalid base64");
}

/** Unpadded URL-safe base64 (RFC 4648 §5), as used by JWK. */
export function toBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes, B64_URL, false);
}

export function fromBase64Url(text: string): Uint8Array {
  return decodeBase64(text, B64_URL_DEC, false, "invalid base64url");
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Throws EncodingError on malformed UTF-8 instead of substituting U+FFFD. */
export function utf8Decode(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new EncodingError("invalid UTF-8");
  }
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * WebCrypto's TypeScript signatures only take ArrayBuffer-backed views; copy
 * when a view sits on something else (e.g. a SharedArrayBuffer).
 */
export function asBufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
