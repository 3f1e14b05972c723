import { createHash, randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import { BUNDLE_FILES as F } from "@/lib/evidence/bundle-format";
import { blobSource, bytesSource, lineBatches, ZipReader, type BundleSource } from "@/lib/evidence/bundle-zip-reader";
import { fileBundleSource, nodeInflateRaw } from "@/lib/evidence/file-bundle-source";
import { verifyBundle, type BundleVerification, type VerifyBundleOptions } from "@/lib/evidence/verify-bundle";
import { nodeHasher } from "@/lib/hash/node-sha256";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { exportFilePath, writeEvidenceExport } from "@/lib/services/evidence";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";
import { createTestDatabase, type TestDatabase } from "../support/test-databases";
import { buildEvidenceLedger, bytes, OFFICER, rezip, text, unzip, type EvidenceLedger } from "./fixture";

/**
 * The verifier streams: a bundle read in chunks of any size (boundaries inside lines and inside
 * multi-byte UTF-8 characters, through either inflater) gives exactly the result of the bundle
 * read whole, and a truncated or corrupt zip fails as clearly as it always did.
 */

/** Text whose UTF-8 has 2-, 3- and 4-byte characters. */
const MULTIBYTE = "Entscheidung geprüft — Grüße ✓ 日本語 🚀";

/** A result without its timing, for comparing two runs. */
const comparable = (v: BundleVerification) => ({ ...v, durationMs: 0 });

/** A source whose reads of the range from `from` fail after 2,000 bytes: a disk or network read error mid-file. */
function failingSource(zip: Uint8Array, from: number): BundleSource {
  const inner = bytesSource(zip, 1000);
  return {
    size: zip.length,
    async *read(start, end) {
      let n = 0;
      for await (const chunk of inner.read(start, end)) {
        if (start === from && (n += chunk.length) > 2000) throw new Error("read error");
        yield chunk;
      }
    },
  };
}

/** Where an entry's compressed data starts (after its local header). */
async function dataStart(zip: Uint8Array, name: string): Promise<number> {
  const entry = (await ZipReader.open(bytesSource(zip))).entry(name)!;
  const h = entry.headerOffset;
  return h + 30 + (zip[h + 26]! | (zip[h + 27]! << 8)) + (zip[h + 28]! | (zip[h + 29]! << 8));
}

describe("lineBatches", () => {
  it("gives the lines of the whole buffer wherever the chunks split it", async () => {
    const whole = bytes(`{"a":"${MULTIBYTE}"}\n\nsecond ✓\nlast without newline 🚀`);
    const expected = text(whole).split("\n");
    const chunked = async function* (size: number, offset: number) {
      yield whole.subarray(0, offset);
      for (let at = offset; at < whole.length; at += size) yield whole.subarray(at, at + size);
    };
    for (const size of [1, 2, 3, 5, 64]) {
      for (let offset = 0; offset < 4; offset++) {
        const got: { line: string; number: number }[] = [];
        for await (const batch of lineBatches(chunked(size, offset))) for (const l of batch) got.push({ line: text(l.line), number: l.number });
        expect(got).toEqual(expected.map((line, i) => ({ line, number: i + 1 })));
      }
    }
    const trailing: string[] = [];
    for await (const batch of lineBatches(chunked(3, 0))) trailing.push(...batch.map((l) => text(l.line)));
    expect(trailing.at(-1)).toBe("last without newline 🚀");
  });
});

describe("streamed verification", () => {
  let database: TestDatabase;
  let ledger: EvidenceLedger;
  let zip: Uint8Array;
  let whole: BundleVerification;
  const opts = (): VerifyBundleOptions => ({ trustedKey: ledger.keys.verifierKey, hasher: nodeHasher });
  const nodeOpts = (): VerifyBundleOptions => ({ ...opts(), sha256Stream: () => createHash("sha256"), inflateRaw: nodeInflateRaw });

  beforeAll(async () => {
    database = await createTestDatabase("pglite");
    ledger = await buildEvidenceLedger(database, { batches: 2, perBatch: 10 });
    const [statement] = generateDemoStatements({ count: 1, now: new Date(), days: 5, seed: "streaming-multibyte" });
    const s = statement as { result?: Record<string, unknown> };
    s.result = { ...s.result, response: MULTIBYTE };
    const r = await appendDecisions(database.db, TEST_KEYS, [statement!], { name: "streaming-writer" });
    const out = exportFilePath(ledger.deps.exportsDir, "streaming");
    await writeEvidenceExport(ledger.deps, {
      bundleId: randomUUID(),
      selection: { filters: null, ids: [...ledger.ids, ...r.records.map((x) => x.id)] },
      actor: OFFICER,
      disclosure: { reason: "Streaming verification test case 7" },
      outPath: out,
    });
    zip = new Uint8Array(readFileSync(out));
    whole = await verifyBundle(zip, opts());
  }, 180_000);

  afterAll(async () => {
    ledger?.cleanup();
    await database?.drop();
  });

  it("the bundle verifies whole, with personal data openings and a multi-byte record", () => {
    expect(whole.failures).toEqual([]);
    expect(whole).toMatchObject({ ok: true, recordsChecked: 21, recordsVerifiedByBytes: 21, proofsChecked: 21 });
    expect(whole.openingsChecked).toBeGreaterThan(0);
    expect(text(unzip(zip)[F.records])).toContain(MULTIBYTE);
  });

  it("gives the same result from chunks split inside lines and multi-byte characters", async () => {
    // Stored (not deflated): the source's 1-byte chunks are the lines' chunks, so every
    // boundary falls everywhere, inside every multi-byte character included.
    const stored = zipSync(unzip(zip), { level: 0 });
    const storedWhole = comparable(await verifyBundle(stored, opts()));
    expect(storedWhole).toEqual(comparable(whole));
    expect(comparable(await verifyBundle(bytesSource(stored, 1), opts()))).toEqual(storedWhole);
    expect(comparable(await verifyBundle(bytesSource(stored, 7), nodeOpts()))).toEqual(storedWhole);
    // Deflated, through both inflaters, from tiny compressed chunks and from a file.
    expect(comparable(await verifyBundle(bytesSource(zip, 5), opts()))).toEqual(comparable(whole));
    expect(comparable(await verifyBundle(bytesSource(zip, 5), nodeOpts()))).toEqual(comparable(whole));
    const file = path.join(ledger.tmp, "streaming.zip");
    writeFileSync(file, zip);
    expect(comparable(await verifyBundle(fileBundleSource(file, 3), nodeOpts()))).toEqual(comparable(whole));
    // A File the user picked in a page is a Blob: read in slices, as the browser page does.
    expect(comparable(await verifyBundle(blobSource(new Blob([new Uint8Array(zip)])), opts()))).toEqual(comparable(whole));
  });

  it("still finds every record's openings when openings.jsonl is not in record order", async () => {
    const files = unzip(zip);
    files[F.openings] = bytes(text(files[F.openings]).split("\n").filter(Boolean).reverse().join("\n") + "\n");
    const v = await verifyBundle(rezip(files), opts());
    // Only the reordered file's hash differs: each opening still opens its record's commitment.
    expect(v.failures.map((f) => [f.code, f.file])).toEqual([
      ["file_modified", F.openings],
      ["file_modified", F.openings],
    ]);
    expect(v.openingsChecked).toBe(whole.openingsChecked);
    expect(v.erasedValues).toBe(whole.erasedValues);
  });

  it("a truncated zip is not a readable zip, whole or streamed from a file", async () => {
    const truncated = zip.subarray(0, zip.length - 200);
    const expected = [{ code: "bundle_unreadable", message: "not a readable .zip file: invalid zip data" }];
    expect((await verifyBundle(truncated, opts())).failures).toEqual(expected);
    const file = path.join(ledger.tmp, "truncated.zip");
    writeFileSync(file, truncated);
    expect((await verifyBundle(fileBundleSource(file), nodeOpts())).failures).toEqual(expected);
    expect((await verifyBundle(zip.subarray(0, 10), opts())).failures).toEqual(expected);
  });

  it.each([F.records, F.proofs])("corrupt data in %s: that file cannot be unpacked, with either inflater", async (name) => {
    const corrupt = zip.slice();
    // BFINAL=1, BTYPE=11: a block type DEFLATE does not have.
    corrupt[await dataStart(zip, name)] = 0x07;
    for (const o of [opts(), nodeOpts()]) {
      const v = await verifyBundle(corrupt, o);
      expect(v.ok).toBe(false);
      expect(v.failures).toContainEqual({ code: "bundle_unreadable", file: name, message: `${name} cannot be unpacked` });
      expect(v.failures.filter((f) => f.code === "bundle_unreadable")).toHaveLength(1);
      expect(v.failures.filter((f) => f.code === "record_malformed" || f.code === "proof_invalid")).toEqual([]);
    }
  });

  it("a source that fails mid-file reads as that file not unpacking, not as a crash", async () => {
    const v = await verifyBundle(failingSource(zip, await dataStart(zip, F.records)), opts());
    expect(v.ok).toBe(false);
    expect(v.failures).toContainEqual({ code: "bundle_unreadable", file: F.records, message: `${F.records} cannot be unpacked` });
    expect(v.recordsChecked).toBe(0);
  });
});
