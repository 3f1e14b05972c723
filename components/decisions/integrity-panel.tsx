"use client";

import { useCallback, useEffect, useState, useTransition } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { fromHex, toHex, utf8Encode } from "@/lib/ledger/bytes";
import { portableHasher } from "@/lib/hash/browser-sha256";
import { verifyInclusion } from "@/lib/ledger/merkle";
import { parseCheckpoint, verifyNote } from "@/lib/ledger/signed-note";
import { LocalTime } from "./local-time";

/** The proof route's answer (app/api/v1/decisions/[id]/proof/route.ts). */
interface ProofResponse {
  id: string;
  seq: number;
  leafHash: string;
  chainHash: string;
  checkpoint: { treeSize: number; rootHash: string; signedNote: string; createdAt: string } | null;
  proof: string[] | null;
  covered: boolean;
  verifierKey: string;
  origin: string;
  checkpointIntervalSeconds: number;
}

interface Step {
  ok: boolean;
  text: string;
}

type CheckState =
  | { status: "checking" }
  | { status: "verified"; steps: Step[]; treeSize: number; signedAt: string; keyName: string }
  | { status: "failed"; steps: Step[]; reason: string }
  | { status: "not-covered"; proof: ProofResponse }
  | { status: "unavailable"; message: string };

/**
 * Checks the record IN THIS BROWSER: verifies the checkpoint's Ed25519 signature with
 * WebCrypto, takes tree size and root from the signed note (never from unsigned fields),
 * recomputes the leaf hash from the canonical bytes when the viewer has them (SHA-256 in
 * JavaScript, the portable hasher), and checks the inclusion proof up to the signed root. The server's word is only needed for the proof
 * hashes, which cannot be forged without breaking SHA-256.
 */
async function verifyInBrowser(p: ProofResponse, canonical: string | null, committed: boolean): Promise<CheckState> {
  if (!p.covered || !p.checkpoint || !p.proof) return { status: "not-covered", proof: p };
  const steps: Step[] = [];
  const fail = (reason: string): CheckState => {
    steps.push({ ok: false, text: reason });
    return { status: "failed", steps, reason };
  };
  let keyName = p.verifierKey.split("+")[0] ?? "";
  let size: number;
  let root: Uint8Array;
  try {
    const note = await verifyNote(p.checkpoint.signedNote, [p.verifierKey]);
    keyName = note.signatures[0]?.name ?? keyName;
    steps.push({ ok: true, text: `The checkpoint's Ed25519 signature is valid for the verifier key ${keyName}.` });
    const cp = parseCheckpoint(note.text);
    if (cp.origin !== p.origin) return fail(`The checkpoint is for "${cp.origin}", not for this ledger's decisions log "${p.origin}".`);
    steps.push({ ok: true, text: `The checkpoint is for this ledger's decisions log (${cp.origin}) and covers ${cp.size.toLocaleString("en-GB")} records.` });
    size = cp.size;
    root = cp.rootHash;
  } catch (error) {
    return fail(`The signed checkpoint could not be verified: ${(error as Error).message}.`);
  }
  const storedLeaf = fromHex(p.leafHash);
  let leaf = storedLeaf;
  if (canonical !== null) {
    const computed = portableHasher.hashLeaf(utf8Encode(canonical));
    if (toHex(computed) !== p.leafHash) {
      return fail(`The record's canonical text hashes to ${toHex(computed)}, but the ledger stored ${p.leafHash}: the content was changed after it was recorded.`);
    }
    steps.push({
      ok: true,
      text: committed
        ? "This browser recomputed the record's hash from its exact stored text, and it matches. Its personal data is in that text only as commitments, so every role can make this check."
        : "This browser recomputed the record's hash from its exact stored text, and it matches.",
    });
    leaf = computed;
  } else {
    steps.push({
      ok: true,
      text: "The record's text is withheld because it contains personal data, so the check uses the hash stored by the ledger. Reveal the personal data to have this browser recompute it.",
    });
  }
  try {
    verifyInclusion(portableHasher, p.seq, size, leaf, p.proof.map(fromHex), root);
  } catch (error) {
    return fail(`The inclusion proof does not lead to the signed root: ${(error as Error).message}.`);
  }
  steps.push({ ok: true, text: `Record #${p.seq.toLocaleString("en-GB")} is included in the signed tree of ${size.toLocaleString("en-GB")} records (${p.proof.length} proof hashes checked).` });
  return { status: "verified", steps, treeSize: size, signedAt: p.checkpoint.createdAt, keyName };
}

export function IntegrityPanel({
  id,
  seq,
  leafHash: storedLeafHash,
  chainHash,
  canonical,
  committed = false,
  canSignCheckpoint,
  signCheckpoint,
}: {
  id: string;
  seq: number;
  leafHash: string;
  chainHash: string;
  canonical: string | null;
  /** Whether the record's personal values are commitments (format 1): its canonical text is then every role's to check. */
  committed?: boolean;
  canSignCheckpoint: boolean;
  signCheckpoint: () => Promise<{ ok: true; treeSize: number } | { ok: false; message: string }>;
}) {
  const [state, setState] = useState<CheckState>({ status: "checking" });
  const [run, setRun] = useState(0);
  const [signing, startSigning] = useTransition();
  const [signError, setSignError] = useState<string | null>(null);

  const check = useCallback(async (): Promise<CheckState> => {
    const res = await fetch(`/api/v1/decisions/${id}/proof`, { cache: "no-store" });
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as { error?: { message?: string }; message?: string } | null;
      return { status: "unavailable", message: body?.error?.message ?? body?.message ?? `The server answered ${res.status}.` };
    }
    return verifyInBrowser((await res.json()) as ProofResponse, canonical, committed);
  }, [id, canonical, committed]);

  useEffect(() => {
    let cancelled = false;
    check()
      .then((s) => !cancelled && setState(s))
      .catch((error: unknown) => !cancelled && setState({ status: "unavailable", message: (error as Error).message }));
    return () => {
      cancelled = true;
    };
  }, [check, run]);

  return (
    <section aria-labelledby="integrity-heading" className="rounded-lg border border-slate-200 bg-white shadow-xs">
      <div className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 px-5 py-4">
        <div>
          <h2 id="integrity-heading" className="text-base font-semibold text-slate-900">
            Integrity
          </h2>
          <p className="mt-1 text-sm text-slate-600">Checked in your browser against the latest signed checkpoint, without trusting this server.</p>
        </div>
        <div aria-live="polite" data-testid="integrity-status">
          {state.status === "checking" ? <Badge tone="neutral">Checking…</Badge> : null}
          {state.status === "verified" ? <Badge tone="success">✔ Verified</Badge> : null}
          {state.status === "failed" ? <Badge tone="danger">✖ Failed</Badge> : null}
          {state.status === "not-covered" ? <Badge tone="warning">Not yet checkpointed</Badge> : null}
          {state.status === "unavailable" ? <Badge tone="warning">Could not check</Badge> : null}
        </div>
      </div>
      <div className="space-y-3 px-5 py-4 text-sm">
        {state.status === "verified" ? (
          <p>
            This record is part of the ledger exactly as it was recorded. The checkpoint signed <LocalTime value={state.signedAt} /> covers{" "}
            {state.treeSize.toLocaleString("en-GB")} records.
          </p>
        ) : null}
        {state.status === "failed" ? (
          <p className="font-medium text-red-800" role="alert">
            {state.reason} Tell your administrator and run a full verification from the Integrity page.
          </p>
        ) : null}
        {state.status === "unavailable" ? <p>{state.message} Try again in a moment.</p> : null}
        {state.status === "not-covered" ? (
          <NotYetCheckpointed
            proof={state.proof}
            canSignCheckpoint={canSignCheckpoint}
            signing={signing}
            signError={signError}
            onSign={() =>
              startSigning(async () => {
                setSignError(null);
                const r = await signCheckpoint();
                if (!r.ok) setSignError(r.message);
                setState({ status: "checking" });
                setRun((n) => n + 1);
              })
            }
          />
        ) : null}
        <details className="rounded-md border border-slate-200 px-3 py-2">
          <summary className="cursor-pointer font-medium text-slate-800">Details</summary>
          <dl className="mt-2 grid grid-cols-1 gap-x-4 gap-y-1 sm:grid-cols-[10rem_1fr]">
            <dt className="text-slate-600">Position (seq)</dt>
            <dd className="font-mono">{seq}</dd>
            <dt className="text-slate-600">Leaf hash</dt>
            <dd className="font-mono text-xs break-all">{storedLeafHash}</dd>
            <dt className="text-slate-600">Chain hash</dt>
            <dd className="font-mono text-xs break-all">{chainHash}</dd>
          </dl>
          {state.status === "verified" || state.status === "failed" ? (
            <ol className="mt-3 space-y-1">
              {state.steps.map((s) => (
                <li key={s.text} className="flex gap-2">
                  <span aria-hidden="true" className={s.ok ? "text-emerald-700" : "text-red-700"}>
                    {s.ok ? "✔" : "✖"}
                  </span>
                  <span>{s.text}</span>
                </li>
              ))}
            </ol>
          ) : null}
          <p className="mt-3 text-xs text-slate-600">
            The verifier key comes from this server. For independent assurance compare it with the key your organisation published (Integrity page), or
            export an evidence bundle and verify it offline.
          </p>
        </details>
      </div>
    </section>
  );
}

/** A record newer than the latest signed checkpoint: when the next one comes, or a button to sign it now. */
function NotYetCheckpointed({
  proof,
  canSignCheckpoint,
  signing,
  signError,
  onSign,
}: {
  proof: ProofResponse;
  canSignCheckpoint: boolean;
  signing: boolean;
  signError: string | null;
  onSign: () => void;
}) {
  return (
    <div className="space-y-2">
      <p>
        This record (#{proof.seq.toLocaleString("en-GB")}) is newer than the latest signed checkpoint
        {proof.checkpoint ? ` (${proof.checkpoint.treeSize.toLocaleString("en-GB")} records)` : " (none has been signed yet)"}, so it cannot be checked yet.{" "}
        {proof.checkpointIntervalSeconds > 0
          ? `Checkpoints are signed automatically every ${proof.checkpointIntervalSeconds} seconds when there are new records.`
          : "Checkpoints are only signed on demand on this server."}
      </p>
      {canSignCheckpoint ? (
        <div className="flex items-center gap-3">
          <Button size="sm" disabled={signing} onClick={onSign}>
            {signing ? "Signing…" : "Sign a checkpoint now"}
          </Button>
          {signError ? (
            <span className="text-red-800" role="alert">
              {signError}
            </span>
          ) : null}
        </div>
      ) : (
        <p className="text-slate-600">Open this page again after the next checkpoint to check it.</p>
      )}
    </div>
  );
}
