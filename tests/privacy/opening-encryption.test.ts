import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { nodeBytesBackend } from "@/lib/hash/node-sha256";
import { fromBase64Url, fromHex, toBase64Url, utf8Encode } from "@/lib/ledger/bytes";
import { commitPersonalValue, verifyOpening, type RandomBytes } from "@/lib/ledger/xapi/pd-commitment";
import { openAes256Gcm, sealAes256Gcm } from "@/lib/privacy/aes-256-gcm";
import { newDataKey } from "@/lib/privacy/data-keys";
import { decryptOpening, encryptOpening, OpeningDecryptionError, type OpeningContext } from "@/lib/privacy/opening-encryption";

const secureRandom: RandomBytes = (n) => new Uint8Array(randomBytes(n));
const bytesFrom = (first: number, length = 32) => Uint8Array.from({ length }, (_, i) => first + i);
const context: OpeningContext = { ref: "7d3f1c2a-9b4e-4f6a-8c1d-2e5b7a9f0c3e", recordId: "record-7", pointer: "/result/response" };

/**
 * A sealed opening computed outside this code (node:crypto directly, plaintext and AAD
 * written by hand): data key a0…bf, IV d0…db, plaintext
 * {"salt":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","value":"ana@example.org"}, AAD
 * {"pointer":"/context/extensions/https:~1~1decision-ledger.dev~1xapi~1ext~1subject","purpose":"decision-ledger/personal-data-opening/v1","recordId":"record-7","ref":"7d3f1c2a-9b4e-4f6a-8c1d-2e5b7a9f0c3e"}.
 */
const OPENING_VECTOR = {
  dataKey: bytesFrom(0xa0),
  context: { ...context, pointer: "/context/extensions/https:~1~1decision-ledger.dev~1xapi~1ext~1subject" },
  sealed:
    "pdo:v1:0NHS09TV1tfY2drb:_rJlmwxJBBmuUE5jP9PCMRPyQg8z8oPCBhmJjRiU5afocTGHR3ks9fM-ufouVKQJoxO1DLuW5_WmOEh3fgZd8FFfu" +
    "-j0xsiiGfMJWAn9BEbIhApUftAvHJ0j99Qr7TswtQ",
  opening: { value: "ana@example.org", salt: bytesFrom(0) },
};

/** Replaces one part of a sealed opening's text. */
function withPart(sealed: string, part: 1 | 2, change: (bytes: Uint8Array) => Uint8Array): string {
  const parts = sealed.split(":");
  parts[part + 1] = toBase64Url(change(fromBase64Url(parts[part + 1]!)));
  return parts.join(":");
}
const flipBit = (index: number) => (bytes: Uint8Array) => Uint8Array.from(bytes, (b, i) => (i === (index + bytes.length) % bytes.length ? b ^ 0x80 : b));

describe("encryptOpening / decryptOpening", () => {
  const dataKey = newDataKey();

  test("round-trips any JSON value, and the opening still opens its commitment", () => {
    const values: unknown[] = ["ana@example.org", { name: "Ana", born: "1990-01-01", ids: [1, 2] }, 42, true, null, ["é", "\u{1F600}"]];
    for (const value of values) {
      const { commitment, opening } = commitPersonalValue(nodeBytesBackend, secureRandom, value);
      const sealed = encryptOpening(dataKey, opening, context);
      expect(sealed).toMatch(/^pdo:v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
      const opened = decryptOpening(dataKey, sealed, context);
      expect(opened).toEqual(opening);
      expect(verifyOpening(nodeBytesBackend, commitment, opened)).toBe(true);
    }
  });

  test("a fresh IV per value: the same opening seals differently every time", () => {
    const opening = { value: "ana", salt: bytesFrom(0) };
    expect(encryptOpening(dataKey, opening, context)).not.toBe(encryptOpening(dataKey, opening, context));
  });

  test("a sealed opening moved to another commitment, record or field does not open", () => {
    const sealed = encryptOpening(dataKey, { value: "ana", salt: bytesFrom(0) }, context);
    const elsewhere: OpeningContext[] = [
      { ...context, ref: "0b6a2f4e-8c1d-4e7a-9f3b-5d2c1a0e9b8f" },
      { ...context, recordId: "record-8" },
      { ...context, pointer: "/result/extensions/x" },
    ];
    for (const other of elsewhere) expect(() => decryptOpening(dataKey, sealed, other), JSON.stringify(other)).toThrow(OpeningDecryptionError);
    expect(() => decryptOpening(newDataKey(), sealed, context)).toThrow(OpeningDecryptionError);
  });

  test("a tampered IV, ciphertext or tag, or a malformed text, fails with the one error", () => {
    const sealed = encryptOpening(dataKey, { value: "ana", salt: bytesFrom(0) }, context);
    const tampered = [
      withPart(sealed, 1, flipBit(0)),
      withPart(sealed, 2, flipBit(0)),
      withPart(sealed, 2, flipBit(-1)),
      withPart(sealed, 2, (bytes) => bytes.subarray(0, bytes.length - 1)),
      sealed.replace("pdo:v1:", "pdo:v2:"),
      sealed + "=",
      "pdo:v1:short:AAAA",
      "",
    ];
    for (const text of tampered) expect(() => decryptOpening(dataKey, text, context), text).toThrow(OpeningDecryptionError);
  });

  test("the error never carries plaintext", () => {
    const secret = "ana.secret@example.org";
    const sealed = encryptOpening(dataKey, { value: secret, salt: bytesFrom(0) }, context);
    expect(decryptionErrorOf(() => decryptOpening(dataKey, sealed, { ...context, recordId: "x" }))).not.toContain(secret);
    expect(decryptionErrorOf(() => decryptOpening(newDataKey(), sealed, context))).not.toContain(secret);
    // Authentic but not an opening: JSON.parse's own message would quote the text.
    const notAnOpening = sealPlaintext(dataKey, utf8Encode(`{"value":"${secret}"`));
    const message = decryptionErrorOf(() => decryptOpening(dataKey, notAnOpening, context));
    expect(message).toMatch(/plaintext is not JSON/);
    expect(message).not.toContain(secret);
  });

  test("refuses a wrong key or salt length and a malformed context", () => {
    const opening = { value: "ana", salt: bytesFrom(0) };
    expect(() => encryptOpening(bytesFrom(0, 16), opening, context)).toThrow(TypeError);
    expect(() => encryptOpening(dataKey, { value: "ana", salt: bytesFrom(0, 16) }, context)).toThrow(/salt must be 32 bytes/);
    expect(() => encryptOpening(dataKey, opening, { ...context, pointer: "result" })).toThrow(/pointer/);
    expect(() => encryptOpening(dataKey, opening, { ...context, recordId: "" })).toThrow(/recordId/);
  });

  test("known answer: a sealed opening computed independently opens, to the opening it was made from", () => {
    expect(decryptOpening(OPENING_VECTOR.dataKey, OPENING_VECTOR.sealed, OPENING_VECTOR.context)).toEqual(OPENING_VECTOR.opening);
    expect(() => decryptOpening(OPENING_VECTOR.dataKey, OPENING_VECTOR.sealed, context)).toThrow(OpeningDecryptionError);
  });
});

/** The message of the OpeningDecryptionError `decrypt` throws. */
function decryptionErrorOf(decrypt: () => unknown): string {
  try {
    decrypt();
  } catch (error) {
    expect(error).toBeInstanceOf(OpeningDecryptionError);
    return (error as Error).message;
  }
  throw new Error("expected an OpeningDecryptionError");
}

/** A sealed opening of `plaintext` in `context`, with the AAD written by hand as format v1 defines it. */
function sealPlaintext(dataKey: Uint8Array, plaintext: Uint8Array): string {
  const aad = utf8Encode(`{"pointer":"${context.pointer}","purpose":"decision-ledger/personal-data-opening/v1","recordId":"${context.recordId}","ref":"${context.ref}"}`);
  const { iv, ciphertext } = sealAes256Gcm(dataKey, plaintext, aad);
  return `pdo:v1:${toBase64Url(iv)}:${toBase64Url(ciphertext)}`;
}

describe("AES-256-GCM primitive", () => {
  // The GCM specification's test case 16 (McGrew and Viega; AES-256, 96-bit IV, with AAD).
  const NIST = {
    key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
    iv: "cafebabefacedbaddecaf888",
    aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    plaintext: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
    ciphertext: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
    tag: "76fc6ece0f4e1768cddf8853bb2d551b",
  };

  test("opens the published vector, and nothing once a bit of it changes", () => {
    const key = fromHex(NIST.key);
    const sealed = { iv: fromHex(NIST.iv), ciphertext: fromHex(NIST.ciphertext + NIST.tag) };
    expect(openAes256Gcm(key, sealed, fromHex(NIST.aad))).toEqual(fromHex(NIST.plaintext));
    expect(openAes256Gcm(key, sealed, fromHex(NIST.aad.replace(/^f/, "e")))).toBeNull();
    expect(openAes256Gcm(key, { ...sealed, iv: fromHex(NIST.iv.replace(/^c/, "d")) }, fromHex(NIST.aad))).toBeNull();
  });

  test("seals with a fresh 96-bit IV and a 128-bit tag", () => {
    const key = newDataKey();
    const a = sealAes256Gcm(key, utf8Encode("x"), new Uint8Array(0));
    const b = sealAes256Gcm(key, utf8Encode("x"), new Uint8Array(0));
    expect(a.iv).toHaveLength(12);
    expect(a.ciphertext).toHaveLength(1 + 16);
    expect(a.iv).not.toEqual(b.iv);
  });
});
