"use client";

import { useId, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, fieldA11y } from "@/components/ui/field";
import { controlClasses } from "@/components/ui/input";
import { blobSource } from "@/lib/evidence/bundle-zip-reader";
import { FAILURE_CODES, formatVerification, verifyBundle, type BundleVerification } from "@/lib/evidence/verify-bundle";
import { CopyButton } from "@/components/ui/copy-button";

const nf = (n: number) => n.toLocaleString("en-US");

/**
 * Verifies an evidence bundle entirely in this browser: the file is read locally as a stream
 * (slices of the File, never the whole of it in memory), unzipped with fflate and checked with
 * the ledger's hasher on a pure-JS SHA-256 (verifyBundle's default, portableHasher;
 * lib/evidence/verify-bundle.ts). Nothing is sent to any server.
 */
export function BundleVerifier({ ledgerKey }: { ledgerKey: string }) {
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [key, setKey] = useState("");
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<string | null>(null);
  const [result, setResult] = useState<BundleVerification | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function run() {
    if (!file) return;
    setBusy(true);
    setResult(null);
    setError(null);
    setProgress("Checking…");
    try {
      const v = await verifyBundle(blobSource(file), {
        trustedKey: key.trim() || null,
        onProgress: (p) => setProgress(`Checking ${p.phase}: ${nf(p.done)} of ${nf(p.total)}`),
      });
      setResult(v);
    } catch (e) {
      setError(`The bundle could not be checked: ${(e as Error).message}`);
    } finally {
      setBusy(false);
      setProgress(null);
    }
  }

  return (
    <div className="space-y-6">
      <form
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <Field id={`${id}-file`} label="Evidence bundle (.zip)" hint="The file stays on this computer.">
          <input
            type="file"
            accept=".zip,application/zip"
            required
            className="block w-full text-sm text-slate-800 file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5 file:text-sm file:font-medium hover:file:bg-slate-50"
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setResult(null);
            }}
            data-testid="bundle-file"
            {...fieldA11y(`${id}-file`, { hint: true })}
          />
        </Field>
        <Field
          id={`${id}-key`}
          label="Verifier key you trust (optional, recommended)"
          hint="The ledger's public key as you obtained it from its operator or published address, e.g. name+1234abcd+AbC…. Without it the bundle is checked against the key it carries, which proves less."
        >
          <textarea
            rows={2}
            value={key}
            onChange={(e) => setKey(e.target.value)}
            className={controlClasses + " h-auto font-mono text-xs"}
            spellCheck={false}
            {...fieldA11y(`${id}-key`, { hint: true })}
          />
        </Field>
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" disabled={!file || busy}>
            {busy ? "Checking…" : "Verify bundle"}
          </Button>
          <Button variant="ghost" size="sm" onClick={() => setKey(ledgerKey)}>
            Use this ledger&apos;s key
          </Button>
          {progress ? (
            <span className="text-sm text-slate-600" aria-live="polite">
              {progress}
            </span>
          ) : null}
        </div>
      </form>

      {error ? <Alert tone="error">{error}</Alert> : null}
      {result ? <VerificationResult v={result} /> : null}
    </div>
  );
}

function VerificationResult({ v }: { v: BundleVerification }) {
  return (
    <section aria-labelledby="verification-heading" className="space-y-4" data-testid="bundle-result" data-ok={v.ok ? "true" : "false"}>
      <h2 id="verification-heading" className="sr-only">
        Result
      </h2>
      {v.ok ? (
        <Alert tone="success" title="Pass: the evidence bundle verifies">
          {nf(v.recordsChecked)} record(s) are proven to be in the ledger {v.checkpoint ? `(${v.checkpoint.origin}, ${nf(v.checkpoint.treeSize)} records)` : ""}
          ; the content of {nf(v.recordsVerifiedByBytes)} is checked byte for byte
          {v.legacyRecordsWithheld > 0
            ? `; ${nf(v.legacyRecordsWithheld)} stored before personal data was committed have their contents withheld (leaf hash and inclusion verified)`
            : v.withheldRecords > 0
              ? `; ${nf(v.withheldRecords)} masked (personal data withheld, content not checkable)`
              : ""}
          {v.openingsChecked > 0 ? `; ${nf(v.openingsChecked)} disclosed personal value(s) open their commitments` : ""}.
        </Alert>
      ) : (
        <Alert tone="error" title={`Fail: ${nf(v.failures.length + v.moreFailures)} problem(s) found`}>
          Do not rely on this bundle. The problems are listed below.
        </Alert>
      )}
      {v.warnings.map((w, i) => (
        <Alert key={i} tone="warning">
          {w}
        </Alert>
      ))}
      <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-1 text-sm">
        {v.bundleId ? (
          <>
            <dt className="text-slate-600">Bundle</dt>
            <dd className="font-mono text-xs">{v.bundleId}</dd>
          </>
        ) : null}
        {v.createdBy ? (
          <>
            <dt className="text-slate-600">Exported</dt>
            <dd>
              {v.createdAt} by {v.createdBy}
            </dd>
          </>
        ) : null}
        {v.selection ? (
          <>
            <dt className="text-slate-600">Selection</dt>
            <dd>{v.selection}</dd>
          </>
        ) : null}
      </dl>
      <ul className="space-y-1 text-sm">
        {v.checks.map((c) => (
          <li key={c.label} className="flex gap-2">
            <span aria-hidden="true" className={c.ok ? "text-emerald-700" : "text-red-700"}>
              {c.ok ? "✔" : "✘"}
            </span>
            <span>
              <span className="font-medium">{c.label}</span>
              <span className="sr-only">{c.ok ? " (passed)" : " (failed)"}</span>: {c.detail}
            </span>
          </li>
        ))}
      </ul>
      {v.failures.length > 0 ? (
        <div className="overflow-x-auto">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <caption className="sr-only">Problems found</caption>
            <thead className="bg-slate-50">
              <tr>
                <th scope="col" className="px-3 py-2 text-left font-semibold">
                  Problem
                </th>
                <th scope="col" className="px-3 py-2 text-left font-semibold">
                  Record
                </th>
                <th scope="col" className="px-3 py-2 text-left font-semibold">
                  Details
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {v.failures.map((f, i) => (
                <tr key={i} data-testid="bundle-failure">
                  <td className="px-3 py-2 align-top">
                    <span className="font-medium">{FAILURE_CODES[f.code]}</span>
                    <span className="block font-mono text-xs text-slate-500">{f.code}</span>
                  </td>
                  <td className="px-3 py-2 align-top">
                    {f.seq !== undefined ? `Position ${nf(f.seq)}` : (f.file ?? "—")}
                    {f.id ? <span className="block font-mono text-xs">{f.id}</span> : null}
                  </td>
                  <td className="px-3 py-2 align-top">{f.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {v.moreFailures > 0 ? <p className="mt-2 text-sm text-slate-600">… and {nf(v.moreFailures)} more.</p> : null}
        </div>
      ) : null}
      <CopyButton value={formatVerification(v)} label="Copy the result as text" />
    </section>
  );
}
