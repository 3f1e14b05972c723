import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows } from "@/db/client";
import { BUNDLE_FILES as F, parseRecordLine, parseTlogProof, type BundleManifest } from "@/lib/evidence/bundle-format";
import { formatVerification, verifyBundle, type BundleVerification } from "@/lib/evidence/verify-bundle";
import { toStoredFilters } from "@/lib/evidence/selection";
import { noDecisionFilters } from "@/lib/filters/decision-filters";
import { generateSignerKey, signNote } from "@/lib/ledger/signed-note";
import { nodeHasher } from "@/lib/hash/node-sha256";
import { exportFilePath, writeEvidenceExport } from "@/lib/services/evidence";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { AUDITOR, buildEvidenceLedger, bytes, OFFICER, rezip, text, unzip, type EvidenceLedger, type Files } from "./fixture";

const hex = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

/** Rewrites SHA256SUMS (and, when asked, the manifest's file list) as a careful forger would. */
function refreshHashes(files: Files, opts: { manifest?: boolean } = {}): void {
  if (opts.manifest) {
    const m = JSON.parse(text(files[F.manifest])) as BundleManifest;
    m.files = m.files.map((f) => ({ ...f, sha256: hex(files[f.path]!), bytes: files[f.path]!.length }));
    files[F.manifest] = bytes(JSON.stringify(m, null, 2) + "\n");
  }
  const sums = text(files[F.sha256sums])
    .split("\n")
    .filter(Boolean)
    .map((l) => l.slice(66));
  files[F.sha256sums] = bytes(sums.map((p) => `${hex(files[p]!)}  ${p}\n`).join(""));
}

function recordLines(files: Files): string[] {
  return text(files[F.records]).split("\n").filter(Boolean);
}

function codes(v: BundleVerification): string[] {
  return [...new Set(v.failures.map((f) => f.code))].sort();
}

describe.each(DATABASE_KINDS)("evidence bundles (%s)", (kind) => {
  let database: TestDatabase;
  let ledger: EvidenceLedger;
  let sparse: Uint8Array;
  let sparseSeqs: number[];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    ledger = await buildEvidenceLedger(database, { batches: 3, perBatch: 120 });
    // A sparse selection: every 7th record, picked by hand.
    const picked = ledger.ids.filter((_, i) => i % 7 === 3);
    const out = exportFilePath(ledger.deps.exportsDir, "sparse");
    const result = await writeEvidenceExport(ledger.deps, {
      bundleId: "9a0f9c43-5d0e-4a8c-9d40-3f1b7f0e0001",
      selection: { filters: null, ids: picked },
      actor: OFFICER,
      disclosure: { reason: "Regulator request REG-2026-14 (loan decisions)" },
      outPath: out,
    });
    expect(result.recordCount).toBe(picked.length);
    sparse = new Uint8Array(readFileSync(out));
    sparseSeqs = recordLines(unzip(sparse)).map((l) => parseRecordLine(l)!.seq);
  }, 180_000);

  afterAll(async () => {
    ledger?.cleanup();
    await database?.drop();
  });

  it("a clean bundle verifies in node, with the recipient's key and with the bundled one", async () => {
    const withKey = await verifyBundle(sparse, { trustedKey: ledger.keys.verifierKey, hasher: nodeHasher });
    expect(withKey.failures).toEqual([]);
    expect(withKey.ok).toBe(true);
    expect(withKey.keyUsed).toBe("supplied");
    expect(withKey.recordsVerifiedByBytes).toBe(sparseSeqs.length);
    expect(withKey.openingsChecked).toBeGreaterThan(0);
    expect(withKey.proofsChecked).toBe(sparseSeqs.length);
    expect(withKey.consistencyProofsChecked).toBe(2);
    expect(withKey.receiptVerified).toBe(true);
    expect(withKey.warnings).toEqual([]);

    // WebCrypto (the browser's path) gives the same answer; only the bundled key: a warning.
    const bundledOnly = await verifyBundle(sparse);
    expect(bundledOnly.ok).toBe(true);
    expect(bundledOnly.keyUsed).toBe("bundled");
    expect(bundledOnly.warnings.join(" ")).toMatch(/only against the key inside the bundle/);
  });

  it("holds what the manifest says: a sparse selection in seq order, canonical bytes verbatim, and proofs against one checkpoint", async () => {
    const files = unzip(sparse);
    const manifest = JSON.parse(text(files[F.manifest])) as BundleManifest;
    expect(manifest.recordCount).toBe(sparseSeqs.length);
    expect(manifest.selection.selectedIds).toHaveLength(sparseSeqs.length);
    expect(manifest.checkpoint.treeSize).toBe(360);
    expect(manifest.consistency.map((c) => c.fromSize)).toEqual([120, 240]);
    expect([...sparseSeqs].sort((a, b) => a - b)).toEqual(sparseSeqs);
    // The bytes in the bundle are exactly the bytes the ledger stored and hashed.
    const first = parseRecordLine(recordLines(files)[0]!)!;
    const [stored] = await queryRows(database.db, sql`select canonical from decisions where seq = ${first.seq}`, z.object({ canonical: z.string() }));
    expect(first.canonical).toBe(stored!.canonical);
    const proofLine = JSON.parse(text(files[F.proofs]).split("\n")[0]!) as { tlogProof: string };
    expect(parseTlogProof(proofLine.tlogProof).checkpoint).toBe(text(files[F.checkpointNote]));
    // Every file is listed with its hash (the manifest itself, the receipt and SHA256SUMS come after it).
    for (const f of manifest.files) expect(hex(files[f.path]!)).toBe(f.sha256);
    expect(Object.keys(files).sort()).toEqual([...manifest.files.map((f) => f.path), F.manifest, F.receipt, F.sha256sums].sort());
    // The export is in the access log with the manifest's hash and the record count.
    const events = await queryRows(
      database.db,
      sql`select event->'details' as details from access_events where action = 'evidence.export'`,
      z.object({ details: z.record(z.string(), z.unknown()) }),
    );
    expect(events.map((e) => e.details)).toContainEqual(
      expect.objectContaining({ phase: "completed", manifestSha256: hex(files[F.manifest]!), recordCount: sparseSeqs.length }),
    );
  });

  it("catches an edited record and names it", async () => {
    const files = unzip(sparse);
    const lines = recordLines(files);
    const victim = parseRecordLine(lines[2]!)!;
    // One digit of the decision time changes: what a quiet edit of a record looks like.
    lines[2] = lines[2]!.replace(/"timestamp":"(\d{4})/, (_, y: string) => `"timestamp":"${Number(y) + 1}`);
    expect(lines[2]).not.toBe(recordLines(files)[2]);
    files[F.records] = bytes(lines.join("\n") + "\n");
    const v = await verifyBundle(rezip(files), { trustedKey: ledger.keys.verifierKey, hasher: nodeHasher });
    expect(v.ok).toBe(false);
    expect(v.failures).toContainEqual(expect.objectContaining({ code: "record_modified", seq: victim.seq, id: victim.id }));
    expect(codes(v)).toContain("file_modified");
  });

  it("catches an edited record whose leaf hash and every file hash were recomputed", async () => {
    const files = unzip(sparse);
    const lines = recordLines(files);
    const victim = parseRecordLine(lines[4]!)!;
    const forged = victim.canonical.replace(/"timestamp":"(\d{4})/, (_, y: string) => `"timestamp":"${Number(y) - 1}`);
    expect(forged).not.toBe(victim.canonical);
    const leaf = hex(Buffer.concat([Buffer.from([0]), Buffer.from(forged)]));
    lines[4] = `{"seq":${victim.seq},"id":"${victim.id}","leafHash":"${leaf}","statement":${forged}}`;
    files[F.records] = bytes(lines.join("\n") + "\n");
    refreshHashes(files, { manifest: true });
    const v = await verifyBundle(rezip(files), { trustedKey: ledger.keys.verifierKey, hasher: nodeHasher });
    expect(v.ok).toBe(false);
    expect(v.failures).toContainEqual(expect.objectContaining({ code: "proof_invalid", seq: victim.seq, id: victim.id }));
    // The rewritten manifest no longer matches the export's entry in the access log.
    expect(codes(v)).toContain("manifest_not_authenticated");
  });

  it("catches a dropped record and names it", async () => {
    const files = unzip(sparse);
    const lines = recordLines(files);
    const victim = parseRecordLine(lines[5]!)!;
    lines.splice(5, 1);
    files[F.records] = bytes(lines.join("\n") + "\n");
    refreshHashes(files, { manifest: true });
    const v = await verifyBundle(rezip(files), { trustedKey: ledger.keys.verifierKey, hasher: nodeHasher });
    expect(v.ok).toBe(false);
    expect(v.failures).toContainEqual(expect.objectContaining({ code: "record_missing", seq: victim.seq, id: victim.id }));
    expect(codes(v)).toEqual(expect.arrayContaining(["record_count_mismatch", "manifest_not_authenticated"]));
  });

  it("catches two swapped records and names them", async () => {
    const files = unzip(sparse);
    const lines = recordLines(files);
    const moved = parseRecordLine(lines[6]!)!;
    [lines[6], lines[7]] = [lines[7]!, lines[6]!];
    files[F.records] = bytes(lines.join("\n") + "\n");
    const v = await verifyBundle(rezip(files), { trustedKey: ledger.keys.verifierKey, hasher: nodeHasher });
    expect(v.ok).toBe(false);
    expect(v.failures).toContainEqual(expect.objectContaining({ code: "record_out_of_order", seq: moved.seq, id: moved.id }));

    // Swapping the statements but keeping the positions: both records are named as modified.
    const files2 = unzip(sparse);
    const l2 = recordLines(files2);
    const a = parseRecordLine(l2[6]!)!;
    const b = parseRecordLine(l2[7]!)!;
    l2[6] = `{"seq":${a.seq},"id":"${a.id}","leafHash":"${a.leafHash}","statement":${b.canonical}}`;
    l2[7] = `{"seq":${b.seq},"id":"${b.id}","leafHash":"${b.leafHash}","statement":${a.canonical}}`;
    files2[F.records] = bytes(l2.join("\n") + "\n");
    const v2 = await verifyBundle(rezip(files2), { hasher: nodeHasher });
    expect(v2.failures).toContainEqual(expect.objectContaining({ code: "record_modified", seq: a.seq, id: a.id }));
    expect(v2.failures).toContainEqual(expect.objectContaining({ code: "record_modified", seq: b.seq, id: b.id }));
  });

  it("catches an altered inclusion proof and names the record", async () => {
    const files = unzip(sparse);
    const proofLines = text(files[F.proofs]).split("\n").filter(Boolean);
    const entry = JSON.parse(proofLines[3]!) as { seq: number; id: string; tlogProof: string };
    const parts = entry.tlogProof.split("\n");
    // Line 2 is the first proof hash: replace it with another valid hash.
    parts[2] = Buffer.alloc(32, 7).toString("base64");
    entry.tlogProof = parts.join("\n");
    proofLines[3] = JSON.stringify(entry);
    files[F.proofs] = bytes(proofLines.join("\n") + "\n");
    refreshHashes(files, { manifest: true });
    const v = await verifyBundle(rezip(files), { trustedKey: ledger.keys.verifierKey, hasher: nodeHasher });
    expect(v.ok).toBe(false);
    expect(v.failures).toContainEqual(expect.objectContaining({ code: "proof_invalid", seq: entry.seq, id: entry.id }));
  });

  it("catches a forged checkpoint re-signed with another key", async () => {
    const other = await generateSignerKey("evidence.test");
    const files = unzip(sparse);
    const body = text(files[F.checkpointMessage]);
    const forgedNote = await signNote(body, other.signerKey);
    files[F.checkpointNote] = bytes(forgedNote);

    // 1. Only the note replaced: the bundled key rejects it.
    const v1 = await verifyBundle(rezip(files), { hasher: nodeHasher });
    expect(v1.failures).toContainEqual(expect.objectContaining({ code: "checkpoint_signature", file: F.checkpointNote }));

    // 2. The forger also swaps in their own key everywhere and fixes every hash.
    files[F.verifierKey] = bytes(other.verifierKey + "\n");
    const { verifierKeyToPem, splitSignedNote } = await import("@/lib/evidence/bundle-format");
    files[F.keyPem] = bytes(verifierKeyToPem(other.verifierKey));
    files[F.checkpointSignature] = Buffer.from(splitSignedNote(forgedNote).signatures[0]!.signature, "base64").subarray(4);
    const m = JSON.parse(text(files[F.manifest])) as BundleManifest;
    m.ledger.verifierKey = other.verifierKey;
    files[F.manifest] = bytes(JSON.stringify(m, null, 2) + "\n");
    refreshHashes(files, { manifest: true });
    const forged = rezip(files);
    // The recipient's own copy of the real key catches it...
    const v2 = await verifyBundle(forged, { trustedKey: ledger.keys.verifierKey, hasher: nodeHasher });
    expect(v2.ok).toBe(false);
    expect(v2.failures).toContainEqual(expect.objectContaining({ code: "checkpoint_signature" }));
    // ...and even without it, the receipt (signed by the real key, naming the real manifest) does not verify.
    const v3 = await verifyBundle(forged, { hasher: nodeHasher });
    expect(v3.ok).toBe(false);
    expect(codes(v3)).toContain("receipt_invalid");
    expect(v3.warnings.join(" ")).toMatch(/only against the key inside the bundle/);
  });

  it("catches a changed manifest", async () => {
    const files = unzip(sparse);
    const m = JSON.parse(text(files[F.manifest])) as BundleManifest;
    m.selection.description = "All loan decisions of March (complete)";
    files[F.manifest] = bytes(JSON.stringify(m, null, 2) + "\n");
    // Without fixing SHA256SUMS: the manifest is named twice.
    const v1 = await verifyBundle(rezip(files), { trustedKey: ledger.keys.verifierKey, hasher: nodeHasher });
    expect(v1.failures).toContainEqual(expect.objectContaining({ code: "manifest_not_authenticated", file: F.manifest }));
    expect(v1.failures).toContainEqual(expect.objectContaining({ code: "file_modified", file: F.manifest }));
    // With SHA256SUMS fixed: the receipt still names the original manifest's hash.
    refreshHashes(files);
    const v2 = await verifyBundle(rezip(files), { trustedKey: ledger.keys.verifierKey, hasher: nodeHasher });
    expect(codes(v2)).toEqual(["manifest_not_authenticated"]);

    // A changed record count is caught against the records themselves.
    const files3 = unzip(sparse);
    const m3 = JSON.parse(text(files3[F.manifest])) as BundleManifest;
    m3.recordCount += 1;
    files3[F.manifest] = bytes(JSON.stringify(m3, null, 2) + "\n");
    const v3 = await verifyBundle(rezip(files3), { hasher: nodeHasher });
    expect(codes(v3)).toEqual(expect.arrayContaining(["record_count_mismatch", "manifest_not_authenticated"]));
  });

  it("the standard-tool commands in VERIFY.txt work as written (sha256sum, openssl, sed)", () => {
    const dir = mkdtempSync(path.join(ledger.tmp, "extracted-"));
    const files = unzip(sparse);
    for (const [name, data] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), data);
    }
    const verifyText = text(files[F.verifyText]);
    const commands = verifyText
      .split("\n")
      .filter((l) => l.startsWith("  $ "))
      .map((l) => l.slice(4));
    expect(commands.length).toBeGreaterThanOrEqual(5);
    const run = (command: string) => spawnSync("bash", ["-c", command], { cwd: dir, encoding: "utf8" });
    const outputs = commands.map((c) => {
      const r = run(c);
      expect(r.status, `${c}\n${r.stderr}`).toBe(0);
      return r.stdout;
    });
    const all = outputs.join("\n");
    expect(all).toContain(`${F.records}: OK`);
    expect(all).toContain("Signature Verified Successfully");
    const first = parseRecordLine(recordLines(files)[0]!)!;
    expect(outputs.find((o) => o.includes("  -"))?.startsWith(first.leafHash)).toBe(true);
    expect(all).toContain(`${hex(files[F.manifest]!)}  ${F.manifest}`);
    expect(all).toContain(text(files[F.checkpointMessage]).split("\n")[2]);

    // The same commands fail on a tampered copy: they are real checks.
    writeFileSync(path.join(dir, F.checkpointMessage), text(files[F.checkpointMessage]).replace(/\n(\d+)\n/, (_, n: string) => `\n${Number(n) + 1}\n`));
    const openssl = commands.find((c) => c.startsWith("openssl"))!;
    expect(run(openssl).status).not.toBe(0);
    expect(run(commands.find((c) => c.startsWith("sha256sum -c"))!).status).not.toBe(0);
  });

  it("reports a file that is not a bundle instead of throwing", async () => {
    const v = await verifyBundle(bytes("not a zip at all"));
    expect(v.ok).toBe(false);
    expect(codes(v)).toEqual(["bundle_unreadable"]);
    const noManifest = unzip(sparse);
    delete noManifest[F.manifest];
    const v2 = await verifyBundle(rezip(noManifest));
    expect(v2.failures[0]).toMatchObject({ code: "file_missing", file: F.manifest });
  });

  it("leaves personal data out by default and still checks every record's content completely", async () => {
    const out = exportFilePath(ledger.deps.exportsDir, "masked");
    const result = await writeEvidenceExport(ledger.deps, {
      bundleId: "9a0f9c43-5d0e-4a8c-9d40-3f1b7f0e0002",
      selection: {
        filters: toStoredFilters(noDecisionFilters()),
        ids: null,
      },
      actor: AUDITOR,
      outPath: out,
    });
    expect(result.recordCount).toBe(360);
    expect(result.manifest).toMatchObject({ personalData: "withheld", withheldRecords: 0, disclosure: null });
    const zip = new Uint8Array(readFileSync(out));
    const files = unzip(zip);
    expect(files[F.openings]).toBeUndefined();
    // Committed records carry commitments, never the values, so every one is carried whole.
    const records = recordLines(files).map((l) => parseRecordLine(l)!);
    expect(records.filter((r) => r.withheld)).toEqual([]);
    expect(records.filter((r) => r.canonical.includes("pd:v1:")).length).toBeGreaterThan(0);
    const v = await verifyBundle(zip, { trustedKey: ledger.keys.verifierKey, hasher: nodeHasher });
    expect(v.failures).toEqual([]);
    expect(v).toMatchObject({ recordsChecked: 360, recordsVerifiedByBytes: 360, withheldRecords: 0, legacyRecordsWithheld: 0, proofsChecked: 360, openingsChecked: 0 });
    expect(formatVerification(v)).not.toMatch(/not checkable/);
    expect(text(files[F.report])).not.toMatch(/cannot be checked/);
  });

  it("refuses a bundle whose export receipt was removed", async () => {
    const files = unzip(sparse);
    delete files[F.receipt];
    files[F.sha256sums] = bytes(text(files[F.sha256sums]).split("\n").filter((l) => l && !l.endsWith(F.receipt)).join("\n") + "\n");
    const v = await verifyBundle(rezip(files), { trustedKey: ledger.keys.verifierKey, hasher: nodeHasher });
    expect(v.ok).toBe(false);
    expect(codes(v)).toEqual(["receipt_missing"]);
    expect(v.checks.find((c) => c.label === "Manifest tied to the ledger")).toMatchObject({ ok: false, detail: "no export receipt" });
  });
});
