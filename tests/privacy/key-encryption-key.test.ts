import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { toBase64, toBase64Url, toHex } from "@/lib/ledger/bytes";
import {
  DataKeyUnwrapError,
  keyEncryptionKeyId,
  loadKeyEncryptionKey,
  LocalKeyEncryptionKey,
  parseWrappedDataKey,
  rewrapDataKey,
  serializeWrappedDataKey,
  type WrappedDataKey,
} from "@/lib/privacy/key-encryption-key";
import { KeyConfigurationError } from "@/lib/privacy/key-material";
import { loadBlindIndexKey } from "@/lib/privacy/blind-index";
import { newDataKey } from "@/lib/privacy/data-keys";

const bytesFrom = (first: number, length = 32) => Uint8Array.from({ length }, (_, i) => first + i);
const subject = { subjectId: "subject-0042" };
const flipBit = (bytes: Uint8Array, index: number) => Uint8Array.from(bytes, (b, i) => (i === index ? b ^ 1 : b));

/**
 * Computed outside this code (node:crypto directly, AAD and JSON written by hand; the id with
 * `printf 'decision-ledger/kek-id/v1' | openssl dgst -sha256 -mac HMAC -macopt hexkey:80…9f`):
 * KEK 80…9f, data key a0…bf, IV c0…cb, subject "subject-0042", AAD
 * {"algorithm":"A256GCM","kekId":"41e1dc0c999c6942","purpose":"decision-ledger/data-key-wrap/v1","subjectId":"subject-0042"}.
 */
const WRAP_VECTOR = {
  kek: bytesFrom(0x80),
  kekId: "41e1dc0c999c6942",
  dataKey: bytesFrom(0xa0),
  subjectId: "subject-0042",
  stored:
    '{"alg":"A256GCM","ciphertext":"xJ0iIRgIRWSqhp3k7gyen5lwuPJWtUTikVcWBpNq0zwG_oZHwrilcRUBh75S7Gau",' +
    '"format":"decision-ledger/wrapped-data-key/v1","iv":"wMHCw8TFxsfIycrL","kek":"41e1dc0c999c6942"}',
};

describe("LocalKeyEncryptionKey", () => {
  const kek = new LocalKeyEncryptionKey(bytesFrom(1));

  test("wraps and unwraps a data key for its subject, with a fresh IV every time", async () => {
    const dataKey = newDataKey();
    const first = await kek.wrap(dataKey, subject);
    const second = await kek.wrap(dataKey, subject);
    expect(first.kekId).toBe(kek.id);
    expect(first.algorithm).toBe("A256GCM");
    expect(first.iv).toHaveLength(12);
    expect(first.ciphertext).toHaveLength(32 + 16);
    expect(toHex(first.iv)).not.toBe(toHex(second.iv));
    expect(await kek.unwrap(first, subject)).toEqual(dataKey);
    expect(await kek.unwrap(second, subject)).toEqual(dataKey);
  });

  test("a wrapped key moved to another subject does not unwrap", async () => {
    const wrapped = await kek.wrap(newDataKey(), subject);
    await expect(kek.unwrap(wrapped, { subjectId: "subject-0043" })).rejects.toThrow(DataKeyUnwrapError);
  });

  test("a wrapped key relabelled with another KEK's id, or unwrapped by another KEK, fails", async () => {
    const other = new LocalKeyEncryptionKey(bytesFrom(2));
    const wrapped = await kek.wrap(newDataKey(), subject);
    await expect(other.unwrap(wrapped, subject)).rejects.toThrow(/wrapped by KEK/);
    await expect(other.unwrap({ ...wrapped, kekId: other.id }, subject)).rejects.toThrow(DataKeyUnwrapError);
    await expect(kek.unwrap({ ...wrapped, kekId: other.id }, subject)).rejects.toThrow(DataKeyUnwrapError);
    await expect(kek.unwrap({ ...wrapped, algorithm: "A128GCM" }, subject)).rejects.toThrow(DataKeyUnwrapError);
  });

  test("a tampered ciphertext, tag or IV fails", async () => {
    const wrapped = await kek.wrap(newDataKey(), subject);
    const tampered: WrappedDataKey[] = [
      { ...wrapped, ciphertext: flipBit(wrapped.ciphertext, 0) },
      { ...wrapped, ciphertext: flipBit(wrapped.ciphertext, wrapped.ciphertext.length - 1) },
      { ...wrapped, ciphertext: wrapped.ciphertext.subarray(0, 40) },
      { ...wrapped, iv: flipBit(wrapped.iv, 5) },
      { ...wrapped, iv: wrapped.iv.subarray(0, 8) },
    ];
    for (const candidate of tampered) await expect(kek.unwrap(candidate, subject)).rejects.toThrow(DataKeyUnwrapError);
  });

  test("refuses keys of the wrong length and an empty subject", async () => {
    expect(() => new LocalKeyEncryptionKey(bytesFrom(0, 16))).toThrow(/32 bytes/);
    await expect(kek.wrap(bytesFrom(0, 16), subject)).rejects.toThrow(/32 bytes/);
    await expect(kek.wrap(newDataKey(), { subjectId: "" })).rejects.toThrow(/subjectId/);
  });

  test("the key id is derived from the key, and the key bytes never show in the object", () => {
    expect(kek.id).toMatch(/^[0-9a-f]{16}$/);
    expect(new LocalKeyEncryptionKey(bytesFrom(1)).id).toBe(kek.id);
    expect(new LocalKeyEncryptionKey(bytesFrom(2)).id).not.toBe(kek.id);
    expect(JSON.stringify(kek)).not.toContain(toHex(bytesFrom(1)));
    expect(Object.values(kek)).toEqual([kek.id]);
  });

  test("known answer: a wrapped key computed independently unwraps, and the id matches", async () => {
    const vectorKek = new LocalKeyEncryptionKey(WRAP_VECTOR.kek);
    expect(vectorKek.id).toBe(WRAP_VECTOR.kekId);
    expect(keyEncryptionKeyId(WRAP_VECTOR.kek)).toBe(WRAP_VECTOR.kekId);
    const wrapped = parseWrappedDataKey(WRAP_VECTOR.stored);
    expect(await vectorKek.unwrap(wrapped, { subjectId: WRAP_VECTOR.subjectId })).toEqual(WRAP_VECTOR.dataKey);
    expect(serializeWrappedDataKey(wrapped)).toBe(WRAP_VECTOR.stored);
  });
});

describe("stored form of a wrapped data key", () => {
  test("round-trips and names its format", async () => {
    const kek = new LocalKeyEncryptionKey(bytesFrom(3));
    const wrapped = await kek.wrap(newDataKey(), subject);
    const text = serializeWrappedDataKey(wrapped);
    expect(JSON.parse(text)).toMatchObject({ format: "decision-ledger/wrapped-data-key/v1", kek: kek.id, alg: "A256GCM" });
    expect(parseWrappedDataKey(text)).toEqual(wrapped);
  });

  test("refuses anything else", () => {
    const valid = JSON.parse(WRAP_VECTOR.stored) as Record<string, unknown>;
    const invalid = [
      "not json",
      "[]",
      JSON.stringify({ ...valid, format: "decision-ledger/wrapped-data-key/v2" }),
      JSON.stringify({ ...valid, extra: 1 }),
      JSON.stringify({ ...valid, kek: "" }),
      JSON.stringify({ ...valid, iv: "wMHCw8TFxsfIycr=" }),
    ];
    for (const text of invalid) expect(() => parseWrappedDataKey(text), text).toThrow(TypeError);
  });
});

describe("rewrapDataKey (KEK rotation)", () => {
  const oldKek = new LocalKeyEncryptionKey(bytesFrom(10));
  const newKek = new LocalKeyEncryptionKey(bytesFrom(11));

  test("the re-wrapped key unwraps with the new KEK, to the same data key, and not with the old", async () => {
    const dataKey = newDataKey();
    const rewrapped = await rewrapDataKey(await oldKek.wrap(dataKey, subject), subject, oldKek, newKek);
    expect(rewrapped.kekId).toBe(newKek.id);
    expect(await newKek.unwrap(rewrapped, subject)).toEqual(dataKey);
    await expect(oldKek.unwrap(rewrapped, subject)).rejects.toThrow(DataKeyUnwrapError);
  });

  test("a key already wrapped by the new KEK is left as it is, so a rotation can run again", async () => {
    const wrapped = await newKek.wrap(newDataKey(), subject);
    expect(await rewrapDataKey(wrapped, subject, oldKek, newKek)).toBe(wrapped);
  });

  test("the subject stays bound: rotation cannot move a key to another subject", async () => {
    const wrapped = await oldKek.wrap(newDataKey(), subject);
    await expect(rewrapDataKey(wrapped, { subjectId: "subject-0043" }, oldKek, newKek)).rejects.toThrow(DataKeyUnwrapError);
  });
});

describe("loading the KEK and the index key from the environment", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "privacy-keys-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const raw = bytesFrom(0x20);
  const expectedId = new LocalKeyEncryptionKey(raw).id;
  const file = (name: string, contents: string | Uint8Array) => {
    const target = path.join(dir, name);
    writeFileSync(target, contents);
    return target;
  };

  test("hex, base64 and base64url in the variable or in the file", () => {
    const encodings = [toHex(raw), toHex(raw).toUpperCase(), toBase64(raw), toBase64Url(raw), `  ${toHex(raw)}\n`];
    for (const text of encodings) expect(loadKeyEncryptionKey({ PERSONAL_DATA_KEK: text }).id, text).toBe(expectedId);
    expect(loadKeyEncryptionKey({ PERSONAL_DATA_KEK_FILE: file("hex", toHex(raw) + "\n") }).id).toBe(expectedId);
    expect(loadKeyEncryptionKey({ PERSONAL_DATA_KEK_FILE: file("b64", toBase64(raw) + "\n") }).id).toBe(expectedId);
  });

  function configurationError(load: () => unknown): KeyConfigurationError {
    try {
      load();
    } catch (error) {
      if (error instanceof KeyConfigurationError) return error;
      throw error;
    }
    throw new Error("expected a KeyConfigurationError");
  }

  test("errors name the variable, say what is wrong and never echo the value", () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{}, "PERSONAL_DATA_KEK", /PERSONAL_DATA_KEK or PERSONAL_DATA_KEK_FILE must be set/],
      [{ PERSONAL_DATA_KEK: toHex(raw).slice(2) }, "PERSONAL_DATA_KEK", /PERSONAL_DATA_KEK decodes to 31 bytes/],
      [{ PERSONAL_DATA_KEK: toBase64(bytesFrom(0, 16)) }, "PERSONAL_DATA_KEK", /PERSONAL_DATA_KEK decodes to 16 bytes/],
      [{ PERSONAL_DATA_KEK: "not a key at all!" }, "PERSONAL_DATA_KEK", /PERSONAL_DATA_KEK is neither hex nor base64/],
      [{ PERSONAL_DATA_KEK: toHex(raw), PERSONAL_DATA_KEK_FILE: "/x" }, "PERSONAL_DATA_KEK", /not both/],
      [{ PERSONAL_DATA_KEK_FILE: path.join(dir, "missing") }, "PERSONAL_DATA_KEK_FILE", /PERSONAL_DATA_KEK_FILE: cannot read .*ENOENT/],
      [{ PERSONAL_DATA_KEK_FILE: file("short", toHex(raw).slice(4)) }, "PERSONAL_DATA_KEK_FILE", /named by PERSONAL_DATA_KEK_FILE decodes to 30 bytes/],
      [{ PERSONAL_DATA_KEK_FILE: file("raw", raw) }, "PERSONAL_DATA_KEK_FILE", /named by PERSONAL_DATA_KEK_FILE is neither hex nor base64/],
    ];
    for (const [env, variable, message] of cases) {
      const error = configurationError(() => loadKeyEncryptionKey(env));
      expect(error.variable, JSON.stringify(env)).toBe(variable);
      expect(error.message).toMatch(message);
      if (env.PERSONAL_DATA_KEK) expect(error.message).not.toContain(env.PERSONAL_DATA_KEK);
    }
  });

  test("the index key follows the same rules under its own variable", () => {
    expect(() => loadBlindIndexKey({ PERSONAL_DATA_INDEX_KEY: toHex(raw) })).not.toThrow();
    expect(() => loadBlindIndexKey({ PERSONAL_DATA_INDEX_KEY_FILE: file("index", toBase64(raw)) })).not.toThrow();
    const error = configurationError(() => loadBlindIndexKey({ PERSONAL_DATA_KEK: toHex(raw), PERSONAL_DATA_INDEX_KEY: "abcd" }));
    expect(error.variable).toBe("PERSONAL_DATA_INDEX_KEY");
    expect(error.message).toMatch(/PERSONAL_DATA_INDEX_KEY decodes to 2 bytes/);
  });
});
