import { createHash, randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { portableHasher } from "@/lib/hash/browser-sha256";
import { hashLeafText, nodeBinaryHasher, nodeHasher } from "@/lib/hash/node-sha256";
import { toHex, utf8Encode } from "@/lib/ledger/bytes";

// The one hasher over three SHA-256 backends: each must give RFC 9162's hashes, byte for byte,
// or the browser, the append path and the verifier would disagree about the same record.
const sha = (...parts: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
};
const binHex = (h: string) => toHex(nodeBinaryHasher.backend.toBytes(h));

describe("the ledger hasher", () => {
  test("leaf, node and chain hashes follow RFC 9162 and the chain rule on every backend", () => {
    for (let i = 0; i < 50; i++) {
      const data = randomBytes(i * 37);
      const left = randomBytes(32);
      const right = randomBytes(32);
      const leaf = sha(Buffer.from([0x00]), data);
      const node = sha(Buffer.from([0x01]), left, right);
      const chain = sha(left, right);
      for (const hasher of [nodeHasher, portableHasher]) {
        expect(toHex(hasher.hashLeaf(data))).toBe(leaf);
        expect(toHex(hasher.hashChildren(left, right))).toBe(node);
        expect(toHex(hasher.hashChain(left, right))).toBe(chain);
      }
      const b = nodeBinaryHasher.backend;
      expect(binHex(nodeBinaryHasher.hashLeaf(data))).toBe(leaf);
      expect(binHex(nodeBinaryHasher.hashChildren(b.fromBytes(left), b.fromBytes(right)))).toBe(node);
      expect(binHex(nodeBinaryHasher.hashChain(b.fromBytes(left), b.fromBytes(right)))).toBe(chain);
    }
  });

  test("the verifier's text leaf hash equals the leaf hash of the UTF-8 bytes", () => {
    for (const text of ["", "a", "héllo wörld", "😀 emoji", "\u2028", "x".repeat(40_000)]) {
      expect(binHex(hashLeafText(text))).toBe(toHex(nodeHasher.hashLeaf(utf8Encode(text))));
    }
  });

  test("the empty root and chain genesis are constants no caller can corrupt", () => {
    for (const hasher of [nodeHasher, portableHasher]) {
      const root = hasher.emptyRoot();
      expect(toHex(root)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
      root.fill(0xff);
      expect(toHex(hasher.emptyRoot())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
      const genesis = hasher.chainGenesis();
      expect(toHex(genesis)).toBe("00".repeat(32));
      genesis.fill(1);
      expect(toHex(hasher.chainGenesis())).toBe("00".repeat(32));
    }
    expect(binHex(nodeBinaryHasher.emptyRoot())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});
