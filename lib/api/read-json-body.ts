import "server-only";
import { ApiError } from "./errors";
import { lineColumnOf, scanJson } from "./json-scan";
import { decodeUtf8Strict, Utf8Error } from "./utf8";

export interface JsonBodyLimits {
  /** Largest accepted body in bytes. Enforced while streaming, not from Content-Length alone. */
  maxBytes: number;
  /** Deepest nesting, the top-level value being depth 1; `arrayBonus` extra levels for a top-level array. */
  maxDepth: number;
  arrayBonus?: number;
}

/**
 * The request must say it is JSON (415 otherwise): `application/json`, and if a charset is
 * given it must be UTF-8 (RFC 8259 §8.1: JSON exchanged between systems is UTF-8).
 */
export function assertJsonContentType(header: string | null): void {
  if (!header) throw new ApiError(415, "unsupported_media_type", "Content-Type is missing: send Content-Type: application/json");
  const [mediaType = "", ...params] = header.split(";");
  if (mediaType.trim().toLowerCase() !== "application/json") {
    throw new ApiError(415, "unsupported_media_type", `Content-Type ${JSON.stringify(header)} is not accepted: send application/json`);
  }
  for (const param of params) {
    const eq = param.indexOf("=");
    if (eq < 0) continue;
    const name = param.slice(0, eq).trim().toLowerCase();
    const value = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1")
      .toLowerCase();
    if (name === "charset" && value !== "utf-8" && value !== "utf8") {
      throw new ApiError(415, "unsupported_media_type", `charset ${JSON.stringify(value)} is not accepted: JSON bodies must be UTF-8`);
    }
  }
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, "payload_too_large", `The body is larger than ${maxBytes.toLocaleString("en-US")} bytes; split the batch into smaller requests`);
}

/**
 * Reads the body with a byte cap. A declared Content-Length over the cap is refused without
 * reading; otherwise the stream is counted as it arrives and cancelled as soon as it passes
 * the cap (the header may be absent, chunked, or lie).
 */
export async function readBodyCapped(req: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Content type → size cap → UTF-8 → JSON syntax, duplicate names and depth → value.
 * Every refusal is an ApiError naming what is wrong and where (line, column, byte offset).
 */
export async function readJsonBody(req: Request, limits: JsonBodyLimits): Promise<unknown> {
  assertJsonContentType(req.headers.get("content-type"));
  const bytes = await readBodyCapped(req, limits.maxBytes);
  let decoded: { text: string; bomLength: number };
  try {
    decoded = decodeUtf8Strict(bytes);
  } catch (error) {
    if (!(error instanceof Utf8Error)) throw error;
    throw new ApiError(400, "invalid_encoding", error.message, [], {
      location: { ...lineColumnOfBytes(bytes, error.byteOffset), byteOffset: error.byteOffset },
    });
  }
  const { text, bomLength } = decoded;
  if (text.trim() === "") throw new ApiError(400, "invalid_body", "The body is empty: send a statement object or an array of statements");
  const problem = scanJson(text, (isArray) => limits.maxDepth + (isArray ? (limits.arrayBonus ?? 0) : 0));
  if (problem) {
    const { line, column } = lineColumnOf(text, problem.offset);
    const byteOffset = bomLength + new TextEncoder().encode(text.slice(0, problem.offset)).length;
    throw new ApiError(400, problem.code, `Invalid JSON at line ${line}, column ${column} (byte offset ${byteOffset}): ${problem.message}`, [], {
      location: { line, column, byteOffset },
    });
  }
  return JSON.parse(text) as unknown;
}

/** Line and column of a byte offset in a body that is only valid UTF-8 before that offset. */
function lineColumnOfBytes(bytes: Uint8Array, byteOffset: number): { line: number; column: number } {
  const before = new TextDecoder("utf-8", { ignoreBOM: false }).decode(bytes.subarray(0, byteOffset));
  return lineColumnOf(before, before.length);
}
