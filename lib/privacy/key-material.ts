import "server-only";
import { readFileSync } from "node:fs";
import { EncodingError, fromBase64, fromBase64Url, fromHex } from "../ledger/bytes";

// Where the personal-data secrets come from: outside the database, in the environment or in
// a file (a mounted secret), never generated: a key made up on first start and lost on the
// next deploy would make every opening unreadable. One rule for every secret, so the
// key-encryption key and the blind-index key are configured the same way.

/** The environment the keys are read from (process.env, or a validated copy of it). */
export type KeyEnvironment = Readonly<Record<string, string | undefined>>;

/** Every key here is 256 bits. */
export const SECRET_KEY_BYTES = 32;

/** A secret that is missing, ambiguous or malformed. The message names the variable, never the value. */
export class KeyConfigurationError extends Error {
  /** The environment variable to fix. */
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(message);
    this.name = "KeyConfigurationError";
    this.variable = variable;
  }
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const FORMATS = `${SECRET_KEY_BYTES} bytes as ${2 * SECRET_KEY_BYTES} hex digits or base64`;

/** Strict standard base64, else strict unpadded base64url; null when the text is neither. */
function fromEitherBase64(text: string): Uint8Array | null {
  for (const decode of [fromBase64, fromBase64Url]) {
    try {
      return decode(text);
    } catch (error) {
      if (!(error instanceof EncodingError)) throw error;
    }
  }
  return null;
}

/**
 * The key a text encodes: hex when it is nothing but an even number of hex digits (a 32-byte
 * key in base64 is 44 characters ending in "=", or 43 in base64url, so it is never read as
 * hex), else base64. Errors say what was found, never the text.
 */
function decodeKeyText(text: string, variable: string, source: string): Uint8Array {
  const bytes = HEX.test(text) ? fromHex(text) : fromEitherBase64(text);
  if (bytes === null) throw new KeyConfigurationError(variable, `${source} is neither hex nor base64: expected ${FORMATS}`);
  if (bytes.length !== SECRET_KEY_BYTES)
    throw new KeyConfigurationError(variable, `${source} decodes to ${bytes.length} bytes: expected ${FORMATS}`);
  return bytes;
}

/**
 * A key file: the key as hex or base64 text, surrounding whitespace (a final newline)
 * ignored. Raw bytes are not accepted: a 32-byte file of text (a 16-byte key in hex) would
 * silently become a different, weaker key.
 */
function readKeyFile(path: string, variable: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new KeyConfigurationError(variable, `${variable}: cannot read ${path} (${code})`);
  }
  return decodeKeyText(text, variable, `the file ${path} named by ${variable}`);
}

/**
 * The 32-byte secret in `variable` (hex or base64) or in the file named by `${variable}_FILE`;
 * null when neither is set. Setting both is an error: which one wins would be a guess.
 */
export function readSecretKey(env: KeyEnvironment, variable: string): Uint8Array | null {
  const fileVariable = `${variable}_FILE`;
  const value = env[variable]?.trim();
  const path = env[fileVariable]?.trim();
  if (value && path) throw new KeyConfigurationError(variable, `set ${variable} or ${fileVariable}, not both`);
  if (value) return decodeKeyText(value, variable, variable);
  if (path) return readKeyFile(path, fileVariable);
  return null;
}

/**
 * The key made by `toKey` from the secret in `variable` (or its `_FILE`), refusing to go on
 * without one. `toKey` must copy the bytes it keeps (into a KeyObject): they are wiped after.
 */
export function loadSecretKey<Key>(env: KeyEnvironment, variable: string, toKey: (rawKey: Uint8Array) => Key): Key {
  const rawKey = readSecretKey(env, variable);
  if (rawKey === null) throw new KeyConfigurationError(variable, `${variable} or ${variable}_FILE must be set to ${FORMATS}`);
  try {
    return toKey(rawKey);
  } finally {
    rawKey.fill(0);
  }
}
