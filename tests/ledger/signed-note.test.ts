import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { describe, expect, test } from "vitest";
import { fromBase64, fromHex, toBase64, toHex } from "@/lib/ledger/bytes";
import {
  formatCheckpoint,
  formatSignerKey,
  formatVerifierKey,
  generateSignerKey,
  isValidKeyName,
  keyId,
  NoteError,
  parseCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  verifyNote,
} from "@/lib/ledger/signed-note";

// Fixed vectors from golang.org/x/mod/sumdb/note (note.go docs / note_test.go).
const PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG =
  "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG =
  "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

// Example from the C2SP signed-note spec (docs/specs/signed-note.md).
const SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const SPEC_NOTE =
  "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

async function rejects(p: Promise<unknown>, pattern?: RegExp): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(NoteError);
  if (pattern) await expect(p).rejects.toThrow(pattern);
}

function spkiFromRaw(pub: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(pub)]);
}

describe("keys", () => {
  test("key ID follows SHA-256(name || 0x0A || 0x01 || pub)[:4]", async () => {
    const v = await parseVerifierKey(PETER_VKEY);
    const manual = createHash("sha256")
      .update(Buffer.concat([Buffer.from("PeterNeumann"), Buffer.from([0x0a, 0x01]), Buffer.from(v.publicKey)]))
      .digest()
      .subarray(0, 4);
    expect(toHex(await keyId("PeterNeumann", v.publicKey))).toBe(manual.toString("hex"));
    expect(toHex(v.keyId)).toBe("c74f20a3");
    expect(toHex((await parseVerifierKey(SPEC_VKEY)).keyId)).toBe("530d903a");
  });

  test("sumdb/note key strings round-trip byte for byte", async () => {
    const s = await parseSignerKey(PETER_SKEY);
    const v = await parseVerifierKey(PETER_VKEY);
    expect(s.name).toBe("PeterNeumann");
    expect(toHex(s.publicKey)).toBe(toHex(v.publicKey));
    expect(await formatSignerKey(s.name, s.seed)).toBe(PETER_SKEY);
    expect(await formatVerifierKey(v.name, v.publicKey)).toBe(PETER_VKEY);
    expect(await formatVerifierKey("EnochRoot", (await parseVerifierKey(ENOCH_VKEY)).publicKey)).toBe(ENOCH_VKEY);
  });

  test("generated keys have the documented shapes and work together", async () => {
    const { signerKey, verifierKey } = await generateSignerKey("ledger.example/log");
    expect(signerKey).toMatch(/^PRIVATE\+KEY\+ledger\.example\/log\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    expect(verifierKey).toMatch(/^ledger\.example\/log\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    expect(verifierKey.split("+")[1]).toBe(signerKey.split("+")[3]);
    const note = await signNote("hello\n", signerKey);
    expect((await verifyNote(note, [verifierKey])).text).toBe("hello\n");
  });

  test("key names follow the spec", async () => {
    for (const bad of ["", "a+b", "a b", "a\tb", "a\u00a0b", "a\u2003b", "a\u3000b", "a\u0085b", "a\u0001b", "x\ud800"]) {
      expect(isValidKeyName(bad), JSON.stringify(bad)).toBe(false);
      await rejects(generateSignerKey(bad), /invalid key name/);
    }
    for (const good of ["PeterNeumann", "example.com/log42", "ünïcødé", "a/b-c_d.e:f"]) expect(isValidKeyName(good)).toBe(true);
  });

  test("malformed or inconsistent key strings are rejected", async () => {
    const bad = [
      "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", // wrong key ID
      "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", // non-canonical hex
      "PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", // name not bound to ID
      "PeterNeumann+c74f20a3+AhpjZ2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", // unknown type
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", // bad base64
      "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", // wrong length
      "PeterNeumann+c74f20a3",
      "PeterNeumann",
      "",
    ];
    for (const k of bad) await rejects(parseVerifierKey(k));
    await rejects(parseSignerKey(PETER_VKEY));
    await rejects(parseSignerKey(PETER_SKEY.replace("c74f20a3", "c74f20a4")), /key ID/);
    await rejects(parseSignerKey(PETER_SKEY.replace("PRIVATE+KEY", "PRIVATE+KEX")));
  });
});

describe("signed notes", () => {
  test("reproduces the Go reference signature byte for byte", async () => {
    expect(await signNote(GO_TEXT, PETER_SKEY)).toBe(`${GO_TEXT}\n${PETER_SIG}`);
  });

  test("verifies the Go reference note and the C2SP spec example", async () => {
    const n = await verifyNote(`${GO_TEXT}\n${PETER_SIG}`, [PETER_VKEY]);
    expect(n.text).toBe(GO_TEXT);
    expect(n.signatures.map((s) => [s.name, toHex(s.keyId)])).toEqual([["PeterNeumann", "c74f20a3"]]);
    const spec = await verifyNote(SPEC_NOTE, [SPEC_VKEY]);
    expect(spec.text).toBe("This is an example message.\n");
  });

  test("round trip with several signers; unknown signatures are ignored", async () => {
    const log = await generateSignerKey("log.example/one");
    const witness = await generateSignerKey("witness.example");
    const note = await signNote("a\n\nb with blank line above\n", [log.signerKey, witness.signerKey]);
    const onlyLog = await verifyNote(note, [log.verifierKey]);
    expect(onlyLog.text).toBe("a\n\nb with blank line above\n");
    expect(onlyLog.signatures.map((s) => s.name)).toEqual(["log.example/one"]);
    expect(onlyLog.unverifiedSignatures.map((s) => s.name)).toEqual(["witness.example"]);
    const both = await verifyNote(note, [witness.verifierKey, log.verifierKey]);
    expect(both.signatures.map((s) => s.name)).toEqual(["log.example/one", "witness.example"]);

    // Go semantics: Peter verified, Enoch unknown; duplicate lines collapse.
    const mixed = await verifyNote(`${GO_TEXT}\n${PETER_SIG}${PETER_SIG}${ENOCH_SIG}${ENOCH_SIG}`, [PETER_VKEY]);
    expect(mixed.signatures).toHaveLength(1);
    expect(mixed.unverifiedSignatures.map((s) => [s.name, toHex(s.keyId)])).toEqual([["EnochRoot", "af0cfe78"]]);
  });

  test("a key sharing only the name or only the ID with a trusted key is ignored, not checked", async () => {
    const real = await generateSignerKey("log.example");
    const impostor = await generateSignerKey("log.example"); // same name, different ID
    const note = await signNote("body\n", [impostor.signerKey, real.signerKey]);
    const n = await verifyNote(note, [real.verifierKey]);
    expect(n.signatures).toHaveLength(1);
    expect(n.unverifiedSignatures).toHaveLength(1);
  });

  test("tampered body, signature or key is rejected", async () => {
    const { signerKey, verifierKey } = await generateSignerKey("log.example");
    const other = await generateSignerKey("other.example");
    const note = await signNote("origin\n42\nroot\n", signerKey);
    await rejects(verifyNote(note.replace("42", "43"), [verifierKey]), /invalid signature/);
    const [body, sigLine] = [note.slice(0, note.lastIndexOf("\n\n") + 2), note.slice(note.lastIndexOf("\n\n") + 2)];
    const b64 = sigLine.trim().split(" ")[2]!;
    const raw = fromBase64(b64);
    raw[10] = raw[10]! ^ 1;
    await rejects(verifyNote(`${body}${sigLine.replace(b64, toBase64(raw))}`, [verifierKey]), /invalid signature/);
    // Only an unrelated key is trusted: nothing verifies.
    await rejects(verifyNote(note, [other.verifierKey]), /no valid signature/);
    await rejects(verifyNote(note, []), /no valid signature/);
    // A trusted vkey string that was tampered with is a configuration error.
    await rejects(verifyNote(note, [verifierKey.slice(0, -2) + "AA"]));
    // Go's "invalid signature" vector: bytes spliced into Peter's signature.
    await rejects(
      verifyNote(`${GO_TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`, [PETER_VKEY]),
      /invalid signature/,
    );
  });

  test("malformed notes are rejected (sumdb/note badMsgs and more)", async () => {
    const bad = [
      GO_TEXT,
      `${GO_TEXT}\n`,
      `${GO_TEXT}\n${PETER_SIG.slice(0, -1)}`,
      `\u0001${GO_TEXT}\n${PETER_SIG}`,
      `${GO_TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      `${GO_TEXT}\n${PETER_SIG}Unexpected line.\n`,
      `${GO_TEXT}\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
      `${GO_TEXT}\n— PeterNeumann\n`,
      `${GO_TEXT}\n— PeterNeumann x08go/ZJ\n`,
      `${GO_TEXT}\n— PeterNeumann AAAA\n`,
      `${GO_TEXT.replace("\n", "\r\n")}\n${PETER_SIG}`,
      `\ud800${GO_TEXT}\n${PETER_SIG}`,
      `${GO_TEXT}\n${PETER_SIG.repeat(101)}`,
    ];
    for (const msg of bad) await rejects(verifyNote(msg, [PETER_VKEY]));
  });

  test("up to 100 signatures are accepted", async () => {
    const n = await verifyNote(`${GO_TEXT}\n${PETER_SIG.repeat(100)}`, [PETER_VKEY]);
    expect(n.signatures).toHaveLength(1);
  });

  test("duplicate identical trusted keys are deduplicated, not treated as ambiguous", async () => {
    // (Two *different* trusted keys with the same name and ID would be refused as
    // ambiguous, but constructing one needs a 32-bit key ID collision.)
    const n = await verifyNote(`${GO_TEXT}\n${PETER_SIG}`, [PETER_VKEY, PETER_VKEY, ENOCH_VKEY]);
    expect(n.signatures).toHaveLength(1);
  });

  test("signNote validates its input", async () => {
    await rejects(signNote("no newline", PETER_SKEY), /newline/);
    await rejects(signNote("tab\there\n", PETER_SKEY), /control/);
    await rejects(signNote("ok\n", []), /no signer/);
    await rejects(signNote("ok\n", PETER_VKEY));
  });
});

describe("interop with standard Ed25519 tooling", () => {
  test("our signatures verify with node:crypto via an openssl-style SPKI key", async () => {
    const { signerKey, verifierKey } = await generateSignerKey("interop.example");
    const text = "interop.example\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    const note = await signNote(text, signerKey);
    const raw = fromBase64(note.slice(note.lastIndexOf(" ") + 1).trim());
    const sig = raw.subarray(4);
    expect(sig.length).toBe(64);

    const pub = (await parseVerifierKey(verifierKey)).publicKey;
    const spki = spkiFromRaw(pub);
    // Same DER `openssl pkey -pubout -outform DER` emits for an Ed25519 key.
    expect(spki.toString("hex")).toMatch(/^302a300506032b6570032100[0-9a-f]{64}$/);
    const keyObject = createPublicKey({ key: spki, format: "der", type: "spki" });
    expect(nodeVerify(null, Buffer.from(text, "utf8"), keyObject, sig)).toBe(true);
    expect(nodeVerify(null, Buffer.from(text + "x", "utf8"), keyObject, sig)).toBe(false);

    // And node:crypto, given the same seed, produces the identical (deterministic) signature.
    const seed = (await parseSignerKey(signerKey)).seed;
    const priv = createPrivateKey({
      key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(seed)]),
      format: "der",
      type: "pkcs8",
    });
    expect(toHex(nodeSign(null, Buffer.from(text, "utf8"), priv))).toBe(toHex(sig));
  });

  test("a note signed by node:crypto verifies with verifyNote", async () => {
    const seed = fromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"); // RFC 8032 test 1
    const priv = createPrivateKey({
      key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(seed)]),
      format: "der",
      type: "pkcs8",
    });
    const pubDer = createPublicKey(priv).export({ format: "der", type: "spki" });
    const pub = new Uint8Array(pubDer.subarray(12));
    expect(toHex(pub)).toBe("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    const vkey = await formatVerifierKey("rfc8032.example", pub);
    const text = "signed elsewhere\n";
    const id = (await parseVerifierKey(vkey)).keyId;
    const sig = nodeSign(null, Buffer.from(text), priv);
    const note = `${text}\n— rfc8032.example ${toBase64(new Uint8Array([...id, ...sig]))}\n`;
    expect((await verifyNote(note, [vkey])).text).toBe(text);
  });
});

describe("checkpoints", () => {
  const root = fromBase64("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");

  test("format/parse round trip matches the spec example body", () => {
    const text = formatCheckpoint({ origin: "example.com/behind-the-sofa", size: 20852163, rootHash: root });
    expect(text).toBe("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
    const cp = parseCheckpoint(text);
    expect(cp).toMatchObject({ origin: "example.com/behind-the-sofa", size: 20852163, extensionLines: [] });
    expect(toHex(cp.rootHash)).toBe(toHex(root));
  });

  test("extension lines and size 0", () => {
    const text = formatCheckpoint({ origin: "o", size: 0, rootHash: root, extensionLines: ["ext one", "ext2"] });
    expect(text.endsWith("ext one\next2\n")).toBe(true);
    expect(parseCheckpoint(text).extensionLines).toEqual(["ext one", "ext2"]);
    expect(parseCheckpoint(text).size).toBe(0);
  });

  test("signed checkpoint end to end", async () => {
    const { signerKey, verifierKey } = await generateSignerKey("ledger.example/log");
    const note = await signNote(formatCheckpoint({ origin: "ledger.example/log", size: 5, rootHash: root }), signerKey);
    const cp = parseCheckpoint((await verifyNote(note, [verifierKey])).text);
    expect(cp.size).toBe(5);
  });

  test("strict parsing", () => {
    const r = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
    const bad = [
      `o\n1\n${r}`, // no final newline
      `o\n1\n`, // too few lines
      `\n1\n${r}\n`, // empty origin
      `o\n01\n${r}\n`, // leading zero
      `o\n-1\n${r}\n`,
      `o\n+1\n${r}\n`,
      `o\n1.0\n${r}\n`,
      `o\n 1\n${r}\n`,
      `o\n9007199254740992\n${r}\n`, // beyond 2^53 - 1
      `o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n`, // unpadded
      `o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n`, // non-canonical bits
      `o\n1\nAAAA\n`, // wrong hash length
      `o\n1\n${r}\n\n`, // empty extension line
      `o\n1\n${r}\next\n\n`,
      `o\r\n1\n${r}\n`, // control character
    ];
    for (const t of bad) expect(() => parseCheckpoint(t), JSON.stringify(t)).toThrow(NoteError);
  });

  test("formatCheckpoint validation", () => {
    expect(() => formatCheckpoint({ origin: "", size: 1, rootHash: root })).toThrow(NoteError);
    expect(() => formatCheckpoint({ origin: "a\nb", size: 1, rootHash: root })).toThrow(NoteError);
    expect(() => formatCheckpoint({ origin: "o", size: -1, rootHash: root })).toThrow(NoteError);
    expect(() => formatCheckpoint({ origin: "o", size: 1.5, rootHash: root })).toThrow(NoteError);
    expect(() => formatCheckpoint({ origin: "o", size: 1, rootHash: root.subarray(1) })).toThrow(NoteError);
    expect(() => formatCheckpoint({ origin: "o", size: 1, rootHash: root, extensionLines: [""] })).toThrow(NoteError);
  });
});
