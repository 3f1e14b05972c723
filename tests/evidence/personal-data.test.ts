import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { executeSql, queryRows } from "@/db/client";
import { getEvidenceExport } from "@/db/queries/evidence-exports";
import { BUNDLE_FILES as F, parseOpeningLine, parseRecordLine, type BundleManifest, type BundleOpeningLine } from "@/lib/evidence/bundle-format";
import { formatVerification, verifyBundle, type BundleVerification } from "@/lib/evidence/verify-bundle";
import { nodeHasher } from "@/lib/hash/node-sha256";
import { exportFilePath, requestEvidenceExport, runEvidenceExportJob, writeEvidenceExport } from "@/lib/services/evidence";
import { ServiceInputError } from "@/lib/services/users";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { AUDITOR, buildEvidenceLedger, bytes, OFFICER, rezip, text, unzip, type EvidenceLedger, type Files } from "./fixture";

/**
 * Personal data in evidence bundles: left out by default (committed records still checked in
 * full, legacy records their own category), included only on an explicit, permitted, reasoned
 * choice, with openings both verifiers check against the records' commitments.
 */

const COMMITTED = 24;
const LEGACY = 6;
const REASON = "Data subject access request DSAR-2026-0042";
const hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function openingLines(files: Files): BundleOpeningLine[] {
  return text(files[F.openings]).split("\n").filter(Boolean).map((l) => parseOpeningLine(l)!);
}

function withOpenings(files: Files, openings: BundleOpeningLine[]): Uint8Array {
  const copy = { ...files, [F.openings]: bytes(openings.map((o) => JSON.stringify(o)).join("\n") + "\n") };
  return rezip(copy);
}

function codes(v: BundleVerification): string[] {
  return [...new Set(v.failures.map((f) => f.code))].sort();
}

describe.each(DATABASE_KINDS)("personal data in evidence bundles (%s)", (kind) => {
  let database: TestDatabase;
  let ledger: EvidenceLedger;
  const verify = (zip: Uint8Array) => verifyBundle(zip, { trustedKey: ledger.keys.verifierKey, hasher: nodeHasher });
  const exportAs = async (name: string, actor: typeof OFFICER, disclosure: { reason: string } | null) => {
    const out = exportFilePath(ledger.deps.exportsDir, name);
    const result = await writeEvidenceExport(ledger.deps, {
      bundleId: randomUUID(),
      selection: { filters: null, ids: [...ledger.ids, ...ledger.legacyIds] },
      actor,
      disclosure,
      outPath: out,
    });
    return { result, zip: new Uint8Array(readFileSync(out)) };
  };

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    ledger = await buildEvidenceLedger(database, { batches: 2, perBatch: COMMITTED / 2, legacy: LEGACY });
  }, 180_000);

  afterAll(async () => {
    ledger?.cleanup();
    await database?.drop();
  });

  it("a bundle without personal data checks every committed record's content; legacy records are their own category", async () => {
    const { result, zip } = await exportAs("masked", AUDITOR, null);
    const files = unzip(zip);
    const records = text(files[F.records]).split("\n").filter(Boolean).map((l) => parseRecordLine(l)!);
    const withheld = records.filter((r) => r.withheld);
    // Only legacy records are masked: the demo data gives every one of them personal data.
    expect(withheld.map((r) => r.id).sort()).toEqual([...ledger.legacyIds].sort());
    expect(result.manifest).toMatchObject({ format: "decision-ledger-evidence-bundle/v2", personalData: "withheld", withheldRecords: LEGACY, disclosure: null });

    const v = await verify(zip);
    expect(v.failures).toEqual([]);
    expect(v).toMatchObject({
      ok: true,
      recordsChecked: COMMITTED + LEGACY,
      recordsVerifiedByBytes: COMMITTED,
      withheldRecords: LEGACY,
      legacyRecordsWithheld: LEGACY,
      proofsChecked: COMMITTED + LEGACY,
    });
    expect(v.checks.find((c) => c.label === "Records stored before personal data was committed")).toEqual({
      label: "Records stored before personal data was committed",
      ok: true,
      detail: `${LEGACY} stored before personal data was committed (format 0): contents withheld, leaf hash and inclusion verified`,
    });
    const report = formatVerification(v);
    expect(report).not.toMatch(/not checkable/);
    expect(report).toContain(`${COMMITTED} of ${COMMITTED + LEGACY} record(s) match their leaf hashes byte for byte`);
    expect(text(files[F.report])).not.toMatch(/cannot be checked/);
    expect(text(files[F.report])).toContain(`${LEGACY} record(s) were stored before personal data was committed (format 0)`);
  });

  it("a masked copy claiming committed personal data, or an edited legacy copy without the receipt, fails", async () => {
    const { zip } = await exportAs("masked-tamper", AUDITOR, null);
    const files = unzip(zip);
    const lines = text(files[F.records]).split("\n").filter(Boolean);
    const committed = parseRecordLine(lines[0]!)!;
    lines[0] = lines[0]!.replace(',"statement":', ',"withheld":["/actor"],"statement":');
    const v = await verify(rezip({ ...files, [F.records]: bytes(lines.join("\n") + "\n") }));
    expect(v.failures).toContainEqual(expect.objectContaining({ code: "record_malformed", seq: committed.seq, id: committed.id }));
    expect(v.failures.find((f) => f.code === "record_malformed")?.message).toMatch(/committed, so it must be carried in full/);

    // A legacy record's readable copy is bound only by the receipt: edit it, drop the receipt, still caught.
    const edited = { ...files };
    const target = text(files[F.records]).split("\n").find((l) => parseRecordLine(l)?.withheld)!;
    const forged = target.replace("personal data (hidden)", "personal data (hidden), edited after export");
    expect(forged).not.toBe(target);
    edited[F.records] = bytes(text(files[F.records]).replace(target, forged));
    delete edited[F.receipt];
    const m = JSON.parse(text(files[F.manifest])) as BundleManifest;
    m.files = m.files.map((f) => ({ ...f, sha256: hex(edited[f.path]!), bytes: edited[f.path]!.length }));
    edited[F.manifest] = bytes(JSON.stringify(m, null, 2) + "\n");
    edited[F.sha256sums] = bytes(
      Object.keys(edited)
        .filter((p) => p !== F.sha256sums)
        .map((p) => `${hex(edited[p]!)}  ${p}\n`)
        .join(""),
    );
    expect(codes(await verify(rezip(edited)))).toEqual(["receipt_missing"]);
  });

  it("includes personal data on a reasoned choice: openings that verify, the reason and the counts in the manifest and the access log", async () => {
    const { result, zip } = await exportAs("included", OFFICER, { reason: REASON });
    const files = unzip(zip);
    const openings = openingLines(files);
    expect(openings.length).toBeGreaterThan(COMMITTED);
    expect(result.manifest).toMatchObject({
      personalData: "included",
      withheldRecords: 0,
      disclosure: { reason: REASON, disclosedBy: { email: OFFICER.email, role: OFFICER.role }, openings: openings.length, erasedValues: 0 },
    });
    const v = await verify(zip);
    expect(v.failures).toEqual([]);
    expect(v).toMatchObject({ ok: true, recordsVerifiedByBytes: COMMITTED + LEGACY, openingsChecked: openings.length, erasedValues: 0 });
    expect(v.checks.find((c) => c.label === "Personal data openings")).toMatchObject({ ok: true });

    const events = await queryRows(
      database.db,
      sql`select event->'details' as details from access_events where action = 'evidence.export' and target = ${result.manifest.bundleId}`,
      z.object({ details: z.record(z.string(), z.unknown()) }),
    );
    expect(events.map((e) => e.details)).toContainEqual(
      expect.objectContaining({ phase: "completed", personalData: "included", personalDataReason: REASON, disclosedBy: OFFICER.email, openings: openings.length }),
    );
  });

  it("a changed value or salt, a moved opening and an opening for no record each fail, naming the record and pointer", async () => {
    const { zip } = await exportAs("included-tamper", OFFICER, { reason: REASON });
    const files = unzip(zip);
    const openings = openingLines(files);
    const victim = openings[0]!;

    const changedValue = await verify(withOpenings(files, [{ ...victim, value: "Someone Else" }, ...openings.slice(1)]));
    expect(changedValue.ok).toBe(false);
    const failure = changedValue.failures.find((f) => f.code === "opening_invalid");
    expect(failure).toMatchObject({ file: F.openings, id: victim.recordId });
    expect(failure?.message).toContain(victim.pointer);

    const salt = Buffer.from(victim.salt, "base64");
    salt[0] = salt[0]! ^ 1;
    const changedSalt = await verify(withOpenings(files, [{ ...victim, salt: salt.toString("base64") }, ...openings.slice(1)]));
    expect(changedSalt.failures).toContainEqual(expect.objectContaining({ code: "opening_invalid", id: victim.recordId }));

    const elsewhere = openings.find((o) => o.recordId !== victim.recordId)!;
    const moved = await verify(withOpenings(files, [{ ...victim, recordId: elsewhere.recordId }, ...openings.slice(1)]));
    expect(moved.failures).toContainEqual(expect.objectContaining({ code: "opening_unmatched", id: elsewhere.recordId }));

    const stray = { ...victim, recordId: randomUUID(), ref: randomUUID() };
    const unmatched = await verify(withOpenings(files, [...openings, stray]));
    expect(unmatched.failures).toContainEqual(expect.objectContaining({ code: "opening_unmatched", id: stray.recordId }));
  });

  it("an erased subject's values are absent and counted as erased; the bundle still verifies", async () => {
    const [key] = await queryRows(
      database.db,
      sql`select k.id from personal_data_keys k join personal_data_openings o on o.key_id = k.id where k.erased_at is null limit 1`,
      z.object({ id: z.string() }),
    );
    await executeSql(database.db, sql`update personal_data_keys set wrapped_key = null, erased_at = now(), erasure_request_id = ${randomUUID()} where id = ${key!.id}`);
    const { result, zip } = await exportAs("erased", OFFICER, { reason: REASON });
    expect(result.manifest.disclosure?.erasedValues).toBeGreaterThan(0);
    const v = await verify(zip);
    expect(v.failures).toEqual([]);
    expect(v.erasedValues).toBe(result.manifest.disclosure!.erasedValues);
    expect(v.checks.find((c) => c.label === "Personal data openings")?.detail).toMatch(/value\(s\) of erased data subjects are not included/);
  });

  it("leaves personal data out by default; including it needs the permission and a reason", async () => {
    const selection = { filters: null, ids: ledger.ids.slice(0, 3) };
    const byDefault = await requestEvidenceExport(database.db, { selection, actor: OFFICER });
    expect(byDefault.includePersonalData).toBe(false);

    const refused = requestEvidenceExport(database.db, { selection, actor: AUDITOR, personalData: { includePersonalData: true, reason: REASON } });
    await expect(refused).rejects.toBeInstanceOf(ServiceInputError);
    await expect(refused).rejects.toMatchObject({ fieldErrors: { includePersonalData: [expect.stringMatching(/evidence\.export_personal_data/)] } });
    for (const reason of [undefined, "too short"]) {
      const bad = requestEvidenceExport(database.db, { selection, actor: OFFICER, personalData: { includePersonalData: true, reason } });
      await expect(bad).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^Invalid input \(reason: /), fieldErrors: { reason: [expect.any(String)] } });
    }
    await expect(writeEvidenceExport(ledger.deps, { bundleId: randomUUID(), selection, actor: AUDITOR, disclosure: { reason: REASON }, outPath: path.join(ledger.tmp, "no.zip") })).rejects.toBeInstanceOf(ServiceInputError);
  });

  it("the export job carries the logged request's reason into the bundle", async () => {
    const record = await requestEvidenceExport(database.db, {
      selection: { filters: null, ids: ledger.ids.slice(0, 5) },
      actor: OFFICER,
      personalData: { includePersonalData: true, reason: `  ${REASON}  ` },
    });
    expect(record.includePersonalData).toBe(true);
    await runEvidenceExportJob(ledger.deps, record.id, new AbortController().signal);
    expect(await getEvidenceExport(database.db, { id: record.id })).toMatchObject({ status: "ready" });
    const zip = new Uint8Array(readFileSync(exportFilePath(ledger.deps.exportsDir, record.id)));
    const manifest = JSON.parse(text(unzip(zip)[F.manifest])) as BundleManifest;
    expect(manifest.disclosure).toMatchObject({ reason: REASON, disclosedBy: { id: OFFICER.id } });
    const v = await verify(zip);
    expect(v.failures).toEqual([]);
    expect(v.openingsChecked).toBe(manifest.disclosure!.openings);
  });
});

describe("bundles written before format v2", () => {
  const dir = path.join(__dirname, "fixtures");
  const key = readFileSync(path.join(dir, "v1-verifier-key.txt"), "utf8").trim();
  const v1 = (name: string) => verifyBundle(new Uint8Array(readFileSync(path.join(dir, name))), { trustedKey: key, hasher: nodeHasher });

  it("a v1 bundle with personal data masked still verifies, its masked records reported as not checkable", async () => {
    const v = await v1("v1-masked.zip");
    expect(v.failures).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.withheldRecords).toBeGreaterThan(0);
    expect(v.legacyRecordsWithheld).toBe(0);
    expect(v.recordsVerifiedByBytes + v.withheldRecords).toBe(v.recordsChecked);
    expect(formatVerification(v)).toMatch(/masked \(personal data withheld, content not checkable\)/);
  });

  it("a v1 bundle with personal data included still verifies, every record by its bytes", async () => {
    const v = await v1("v1-included.zip");
    expect(v.failures).toEqual([]);
    expect(v).toMatchObject({ ok: true, withheldRecords: 0, openingsChecked: 0 });
    expect(v.recordsVerifiedByBytes).toBe(v.recordsChecked);
  });
});
