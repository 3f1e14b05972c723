import "server-only";
/**
 * Byte offset of the first malformed UTF-8 sequence in `bytes`, or -1 when it is all valid
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). Only run after the
 * fast native decoder has refused the body, to tell the client where the problem is.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  const cont = (at: number, lo = 0x80, hi = 0xbf) => at < n && bytes[at]! >= lo && bytes[at]! <= hi;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i += 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
      if (!cont(i + 1)) return i;
      i += 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      // E0: no overlong (A0..BF); ED: no UTF-16 surrogates (80..9F).
      const lo = b === 0xe0 ? 0xa0 : 0x80;
      const hi = b === 0xed ? 0x9f : 0xbf;
      if (!cont(i + 1, lo, hi) || !cont(i + 2)) return i;
      i += 3;
    } else if (b >= 0xf0 && b <= 0xf4) {
      // F0: no overlong (90..BF); F4: nothing above U+10FFFF (80..8F).
      const lo = b === 0xf0 ? 0x90 : 0x80;
      const hi = b === 0xf4 ? 0x8f : 0xbf;
      if (!cont(i + 1, lo, hi) || !cont(i + 2) || !cont(i + 3)) return i;
      i += 4;
    } else {
      return i;
    }
  }
  return -1;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

export class Utf8Error extends Error {
  constructor(readonly byteOffset: number) {
    super(`the body is not valid UTF-8: malformed byte sequence at byte offset ${byteOffset}`);
    this.name = "Utf8Error";
  }
}

/**
 * Decodes UTF-8 strictly. A leading byte order mark is skipped (RFC 8259 §8.1 lets a parser
 * ignore it); `bomLength` lets callers turn string offsets back into byte offsets.
 */
export function decodeUtf8Strict(bytes: Uint8Array): { text: string; bomLength: number } {
  const bomLength = bytes.length >= 3 && UTF8_BOM.every((b, i) => bytes[i] === b) ? 3 : 0;
  const body = bomLength ? bytes.subarray(bomLength) : bytes;
  try {
    return { text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body), bomLength };
  } catch {
    const at = firstInvalidUtf8Offset(body);
    throw new Utf8Error((at < 0 ? 0 : at) + bomLength);
  }
}
