import "server-only";
import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { z } from "zod";
import { EncodingError, fromBase64Url, toBase64Url, toHex } from "../ledger/bytes";
import { canonicalBytes, canonicalize } from "../ledger/jcs";
import { AES_256_KEY_BYTES, openAes256Gcm, sealAes256Gcm } from "./aes-256-gcm";
import { loadSecretKey, type KeyEnvironment } from "./key-material";

// The key-encryption key (KEK) wraps each data subject's data key; it lives outside the
// database (environment, file, or a KMS behind the same interface), so a database dump holds
// only wrapped keys. Rotating it re-wraps the data keys and touches no opening.

/** What a wrapped data key is bound to: a wrapped key moved to another subject does not unwrap. */
export interface WrapContext {
  /** The data subject (the person or entity the personal values are about). */
  readonly subjectId: string;
}

/** A data key encrypted under a KEK. `kekId` says which KEK, `algorithm` how. */
export interface WrappedDataKey {
  readonly kekId: string;
  readonly algorithm: string;
  /** Empty for algorithms without one (a KMS may keep its own inside the ciphertext). */
  readonly iv: Uint8Array;
  /** Including the authentication tag. */
  readonly ciphertext: Uint8Array;
}

/** Async, so a KMS (a network call) implements it as easily as a key in memory. */
export interface KeyEncryptionKey {
  /** Tells KEKs apart across a rotation; stored with every wrapped key. Not secret. */
  readonly id: string;
  wrap(dataKey: Uint8Array, context: WrapContext): Promise<WrappedDataKey>;
  /** Throws DataKeyUnwrapError when `wrapped` is not this KEK's or does not authenticate for `context`. */
  unwrap(wrapped: WrappedDataKey, context: WrapContext): Promise<Uint8Array>;
}

/**
 * A wrapped data key that cannot be unwrapped. The message names KEK ids only: never key
 * bytes, and not the subject id either, which may itself identify a person in a log.
 */
export class DataKeyUnwrapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataKeyUnwrapError";
  }
}

/** The algorithm of LocalKeyEncryptionKey: AES-256-GCM, 96-bit IV, 128-bit tag (JOSE's name). */
export const LOCAL_WRAP_ALGORITHM = "A256GCM";
/** The environment variable (or `_FILE`) holding the KEK. */
export const KEK_VARIABLE = "PERSONAL_DATA_KEK";

const KEK_ID_LABEL = "decision-ledger/kek-id/v1";
const KEK_ID_BYTES = 8;
const WRAP_PURPOSE = "decision-ledger/data-key-wrap/v1";

/**
 * The id of a KEK: HMAC-SHA-256 keyed by the KEK over a label of its own, first 8 bytes in
 * hex. Keyed, so the id is no hash of the key anyone could compute from a guess, and
 * labelled, so it is no MAC the key makes anywhere else.
 */
export function keyEncryptionKeyId(rawKey: Uint8Array | KeyObject): string {
  return toHex(createHmac("sha256", rawKey).update(KEK_ID_LABEL).digest().subarray(0, KEK_ID_BYTES));
}

/**
 * The AAD of a wrap: the subject and the KEK id, so a wrapped key copied to another
 * subject's row, or relabelled with another KEK's id, fails authentication. JCS makes the
 * encoding unambiguous for any subject id.
 */
function wrapAad(context: WrapContext, kekId: string, algorithm: string): Uint8Array {
  if (typeof context?.subjectId !== "string" || context.subjectId === "") throw new TypeError("subjectId must be a non-empty string");
  return canonicalBytes({ purpose: WRAP_PURPOSE, algorithm, kekId, subjectId: context.subjectId });
}

/** A KEK held in this process: 32 raw bytes, kept in a KeyObject so they never show up in a log or inspect(). */
export class LocalKeyEncryptionKey implements KeyEncryptionKey {
  readonly id: string;
  readonly #key: KeyObject;

  constructor(rawKey: Uint8Array) {
    if (rawKey.length !== AES_256_KEY_BYTES) throw new TypeError(`a key-encryption key must be ${AES_256_KEY_BYTES} bytes, got ${rawKey.length}`);
    this.#key = createSecretKey(rawKey);
    this.id = keyEncryptionKeyId(this.#key);
  }

  async wrap(dataKey: Uint8Array, context: WrapContext): Promise<WrappedDataKey> {
    if (dataKey.length !== AES_256_KEY_BYTES) throw new TypeError(`a data key must be ${AES_256_KEY_BYTES} bytes, got ${dataKey.length}`);
    const sealed = sealAes256Gcm(this.#key, dataKey, wrapAad(context, this.id, LOCAL_WRAP_ALGORITHM));
    return { kekId: this.id, algorithm: LOCAL_WRAP_ALGORITHM, ...sealed };
  }

  async unwrap(wrapped: WrappedDataKey, context: WrapContext): Promise<Uint8Array> {
    if (wrapped.kekId !== this.id) throw new DataKeyUnwrapError(`data key is wrapped by KEK ${wrapped.kekId}, not by KEK ${this.id}`);
    if (wrapped.algorithm !== LOCAL_WRAP_ALGORITHM) throw new DataKeyUnwrapError(`unsupported wrap algorithm ${JSON.stringify(wrapped.algorithm)}`);
    const dataKey = openAes256Gcm(this.#key, wrapped, wrapAad(context, wrapped.kekId, wrapped.algorithm));
    if (dataKey === null || dataKey.length !== AES_256_KEY_BYTES)
      throw new DataKeyUnwrapError(`data key wrapped by KEK ${this.id} does not authenticate for this subject (another subject's key, or tampered)`);
    return dataKey;
  }
}

/** The KEK configured in PERSONAL_DATA_KEK or PERSONAL_DATA_KEK_FILE (32 bytes, hex or base64). */
export function loadKeyEncryptionKey(env: KeyEnvironment): LocalKeyEncryptionKey {
  return loadSecretKey(env, KEK_VARIABLE, (rawKey) => new LocalKeyEncryptionKey(rawKey));
}

/** The environment variable (or `_FILE`) holding the KEK being retired during a rotation. */
export const PREVIOUS_KEK_VARIABLE = "PERSONAL_DATA_KEK_PREVIOUS";

/**
 * The current KEK plus the ones being retired: wraps with the current one only, unwraps with
 * whichever KEK a wrapped key names. A server configured with both keeps every subject
 * readable while `decision-ledger rotate-kek` re-wraps the data keys, in any order.
 */
export class KeyEncryptionKeyRing implements KeyEncryptionKey {
  readonly id: string;

  constructor(
    readonly current: KeyEncryptionKey,
    readonly previous: readonly KeyEncryptionKey[],
  ) {
    this.id = current.id;
  }

  wrap(dataKey: Uint8Array, context: WrapContext): Promise<WrappedDataKey> {
    return this.current.wrap(dataKey, context);
  }

  unwrap(wrapped: WrappedDataKey, context: WrapContext): Promise<Uint8Array> {
    const kek = [this.current, ...this.previous].find((k) => k.id === wrapped.kekId);
    if (!kek) throw new DataKeyUnwrapError(`data key is wrapped by KEK ${wrapped.kekId}, which is neither the current KEK ${this.id} nor a previous one`);
    return kek.unwrap(wrapped, context);
  }
}

/**
 * Rotation of one data key: unwrapped with `from`, wrapped again with `to`; the data key,
 * and so every opening it seals, stays the same. A key already wrapped by `to` is returned
 * as it is, so an interrupted rotation can simply run again.
 */
export async function rewrapDataKey(
  wrapped: WrappedDataKey,
  context: WrapContext,
  from: KeyEncryptionKey,
  to: KeyEncryptionKey,
): Promise<WrappedDataKey> {
  if (wrapped.kekId === to.id) return wrapped;
  const dataKey = await from.unwrap(wrapped, context);
  try {
    return await to.wrap(dataKey, context);
  } finally {
    dataKey.fill(0);
  }
}

// The stored form: canonical JSON naming its own format and version, so a reader can tell a
// wrapped key from anything else in a column and a later format from this one.
const WRAPPED_DATA_KEY_FORMAT = "decision-ledger/wrapped-data-key/v1";

const storedWrappedDataKey = z.strictObject({
  format: z.literal(WRAPPED_DATA_KEY_FORMAT),
  kek: z.string().min(1),
  alg: z.string().min(1),
  iv: z.string(),
  ciphertext: z.string().min(1),
});

/** `{"alg":…,"ciphertext":…,"format":"decision-ledger/wrapped-data-key/v1","iv":…,"kek":…}`, bytes in base64url. */
export function serializeWrappedDataKey(wrapped: WrappedDataKey): string {
  return canonicalize({
    format: WRAPPED_DATA_KEY_FORMAT,
    kek: wrapped.kekId,
    alg: wrapped.algorithm,
    iv: toBase64Url(wrapped.iv),
    ciphertext: toBase64Url(wrapped.ciphertext),
  });
}

/** Parses what serializeWrappedDataKey writes; throws TypeError for anything else. */
export function parseWrappedDataKey(text: string): WrappedDataKey {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TypeError("wrapped data key is not JSON");
  }
  const parsed = storedWrappedDataKey.safeParse(json);
  if (!parsed.success) throw new TypeError(`not a ${WRAPPED_DATA_KEY_FORMAT}: ${parsed.error.issues.map((issue) => issue.message).join("; ")}`);
  try {
    const { kek, alg, iv, ciphertext } = parsed.data;
    return { kekId: kek, algorithm: alg, iv: fromBase64Url(iv), ciphertext: fromBase64Url(ciphertext) };
  } catch (error) {
    if (error instanceof EncodingError) throw new TypeError(`wrapped data key: ${error.message}`);
    throw error;
  }
}
