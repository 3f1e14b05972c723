import "server-only";
import { createCipheriv, createDecipheriv, randomFillSync, type KeyObject } from "node:crypto";

// AES-256-GCM as every sealed thing in lib/privacy uses it: 256-bit key, 96-bit IV fresh from
// the CSPRNG for every encryption, 128-bit tag appended to the ciphertext. Random 96-bit IVs
// keep the NIST SP 800-38D bound (at most 2^32 encryptions per key) out of reach: a data key
// seals the openings of one data subject, and the key-encryption key one data key per subject.

export const AES_256_KEY_BYTES = 32;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;

const CIPHER = "aes-256-gcm";

/** An AES-256 key: raw bytes (a data key) or a Node KeyObject (a key-encryption key, kept out of logs). */
export type Aes256Key = Uint8Array | KeyObject;

export interface GcmSealed {
  /** GCM_IV_BYTES bytes. */
  iv: Uint8Array;
  /** The ciphertext followed by the GCM_TAG_BYTES-byte tag. */
  ciphertext: Uint8Array;
}

function checkKey(key: Aes256Key): void {
  const length = key instanceof Uint8Array ? key.length : key.symmetricKeySize;
  if (length !== AES_256_KEY_BYTES) throw new TypeError(`AES-256 key must be ${AES_256_KEY_BYTES} bytes, got ${length}`);
}

/** A fresh random IV in its own buffer (never a slice of Node's shared Buffer pool). */
function freshIv(): Uint8Array {
  return randomFillSync(new Uint8Array(GCM_IV_BYTES));
}

/** Encrypts `plaintext` under `key` with a fresh IV, authenticating `aad` too. */
export function sealAes256Gcm(key: Aes256Key, plaintext: Uint8Array, aad: Uint8Array): GcmSealed {
  checkKey(key);
  const iv = freshIv();
  const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const final = cipher.final();
  const ciphertext = new Uint8Array(body.length + final.length + GCM_TAG_BYTES);
  ciphertext.set(body, 0);
  ciphertext.set(final, body.length);
  ciphertext.set(cipher.getAuthTag(), body.length + final.length);
  return { iv, ciphertext };
}

/**
 * The plaintext of `sealed`, or null when it does not authenticate under `key` and `aad`
 * (wrong key, wrong AAD, tampered IV, ciphertext or tag, or a wrong IV or tag length: Node
 * would accept other GCM IV lengths, the formats here allow only 96 bits). Callers turn
 * null into their own typed error. The plaintext is written into its own buffer and Node's
 * intermediate one is zeroed, best effort for data keys in memory.
 */
export function openAes256Gcm(key: Aes256Key, sealed: GcmSealed, aad: Uint8Array): Uint8Array | null {
  checkKey(key);
  const { iv, ciphertext } = sealed;
  if (iv.length !== GCM_IV_BYTES || ciphertext.length < GCM_TAG_BYTES) return null;
  const bodyLength = ciphertext.length - GCM_TAG_BYTES;
  const decipher = createDecipheriv(CIPHER, key, iv, { authTagLength: GCM_TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(ciphertext.subarray(bodyLength));
  const body = decipher.update(ciphertext.subarray(0, bodyLength));
  try {
    const final = decipher.final();
    const plaintext = new Uint8Array(body.length + final.length);
    plaintext.set(body, 0);
    plaintext.set(final, body.length);
    return plaintext;
  } catch {
    return null;
  } finally {
    body.fill(0);
  }
}
