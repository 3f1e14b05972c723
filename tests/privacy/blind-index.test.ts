import { describe, expect, test } from "vitest";
import { blindIndex, BlindIndexKey, normaliseForBlindIndex, type BlindIndexKind } from "@/lib/privacy/blind-index";

const keyFrom = (first: number) => new BlindIndexKey(Uint8Array.from({ length: 32 }, (_, i) => first + i));
const indexKey = keyFrom(0xe0);

/**
 * Computed outside this code, with the index key e0…ff:
 *   { printf 'decision-ledger/blind-index/v1\0'; printf '%s\0' "$kind"; printf '%s' "$value"; } |
 *     openssl dgst -sha256 -mac HMAC -macopt hexkey:e0e1…feff
 * over the normalised value; each is reached here from a spelling that needs normalising.
 */
const VECTORS: [BlindIndexKind, string, string][] = [
  ["email", "  Ana@Example.ORG ", "156a9603226e421f44a8e774e80ecc639d81648db62ba0317691aaa6f4a72444"],
  ["phone", "+44 20 7946 0958", "9a1fa88a3094e87c464e8ecc9aa334c3192ae3f46b9c2ef31e4e6e72503f7172"],
  ["iban", "gb82 west 1234 5698 7654 32", "7cc5a4d55fee19d211d3387373a9ffbe7288e91fc717fe3324761c413ebc3328"],
  ["entity-id", " customer-0042\n", "fe920c0e3d63f1d69632c48f498a6ed9d817dd166e6c53a5656a1c21910fe8ec"],
];

describe("blindIndex", () => {
  test("known answers", () => {
    for (const [kind, value, expected] of VECTORS) expect(blindIndex(indexKey, kind, value), `${kind} ${value}`).toBe(expected);
  });

  test("one subject in different spellings has one index", () => {
    const spellings: [BlindIndexKind, string[]][] = [
      ["email", ["ana@example.org", "ANA@EXAMPLE.ORG", "  Ana@Example.org\t", "mailto:ana@example.org"]],
      ["phone", ["+44 20 7946 0958", "0044 20 7946 0958", "020 7946 0958", "+44 (0)20 7946 0958", "+442079460958", "(020) 7946-0958"]],
      ["iban", ["GB82WEST12345698765432", "gb82 west 1234 5698 7654 32", "GB82-WEST-1234-5698-7654-32"]],
      ["payment-card", ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111"]],
      ["national-id", ["AB 12 34 56 C", "ab123456c"]],
      ["entity-id", ["customer-0042", " customer-0042 ", "customer-0042\n"]],
      ["text", ["Jos\u00e9 Lima", "Jose\u0301 Lima", "  José Lima"]],
    ];
    for (const [kind, values] of spellings) {
      const indexes = new Set(values.map((value) => blindIndex(indexKey, kind, value, { phoneRegion: "GB" })));
      expect(indexes.size, `${kind}: ${values.join(" | ")}`).toBe(1);
    }
  });

  test("a leading 00 is international in any region; a national number needs its region", () => {
    const e164 = blindIndex(indexKey, "phone", "+44 20 7946 0958");
    expect(blindIndex(indexKey, "phone", "0044 20 7946 0958", { phoneRegion: "US" })).toBe(e164);
    expect(blindIndex(indexKey, "phone", "0044 20 7946 0958")).toBe(e164);
    expect(blindIndex(indexKey, "phone", "020 7946 0958", { phoneRegion: "GB" })).toBe(e164);
    expect(blindIndex(indexKey, "phone", "020 7946 0958", { phoneRegion: "NL" })).not.toBe(e164);
    expect(normaliseForBlindIndex("phone", "020 7946 0958")).toBe("02079460958");
    expect(normaliseForBlindIndex("phone", "ext. 12")).toBe("12");
  });

  test("different values, kinds and index keys give different indexes", () => {
    expect(blindIndex(indexKey, "email", "ana@example.org")).not.toBe(blindIndex(indexKey, "email", "ana@example.com"));
    expect(blindIndex(indexKey, "phone", "+44 20 7946 0958")).not.toBe(blindIndex(indexKey, "phone", "+44 20 7946 0959"));
    expect(blindIndex(indexKey, "entity-id", "Customer-0042")).not.toBe(blindIndex(indexKey, "entity-id", "customer-0042"));
    expect(blindIndex(indexKey, "entity-id", "12345")).not.toBe(blindIndex(indexKey, "text", "12345"));
    expect(blindIndex(indexKey, "email", "ana@example.org")).not.toBe(blindIndex(keyFrom(0), "email", "ana@example.org"));
  });

  test("output is 64 lowercase hex digits; an empty value or a wrong key length is refused", () => {
    expect(blindIndex(indexKey, "text", "x")).toMatch(/^[0-9a-f]{64}$/);
    expect(() => blindIndex(indexKey, "iban", " - ")).toThrow(/nothing to index/);
    expect(() => blindIndex(indexKey, "email", "   ")).toThrow(/nothing to index/);
    expect(() => new BlindIndexKey(new Uint8Array(16))).toThrow(/32 bytes/);
    expect(() => blindIndex(indexKey, "zip" as BlindIndexKind, "x")).toThrow(/unknown blind-index kind/);
  });

  test("the key bytes never show in the object", () => {
    expect(JSON.stringify(indexKey)).toBe("{}");
  });
});
