"use client";

import { portableBytesBackend } from "@/lib/hash/browser-sha256";
import { fromBase64 } from "@/lib/ledger/bytes";
import { findCommitments, openStatement } from "@/lib/ledger/xapi/open-statement";
import { verifyOpening, type PdOpening } from "@/lib/ledger/xapi/pd-commitment";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
// A type only (erased at build): the server module itself never reaches the browser.
import type { RevealedOpening } from "@/lib/services/reveal-personal-data";
import { describePointer } from "./committed-value";

export type { RevealedOpening };

/** The verdict on one commitment of the record. */
export interface OpeningVerdict {
  ref: string;
  pointer: string;
  value: unknown;
  status: "matches" | "differs" | "missing";
}

function decodeOpening(o: RevealedOpening): PdOpening | null {
  try {
    return { value: o.value, salt: fromBase64(o.salt) };
  } catch {
    return null;
  }
}

/**
 * Checks each opening against the commitment in the record's canonical text, in this browser
 * (SHA-256 in JavaScript): the commitments come from the exact bytes whose leaf hash the
 * integrity panel recomputes, never from what the server says they are. Returns the verdicts
 * and the statement with exactly the openings that matched put back.
 */
export function checkOpenings(canonical: string, openings: readonly RevealedOpening[]): { verdicts: OpeningVerdict[]; statement: XapiStatement } {
  const committed = JSON.parse(canonical) as XapiStatement;
  const byRef = new Map(openings.map((o) => [o.ref, o]));
  const decoded = new Map<string, PdOpening>();
  const verdicts = findCommitments(committed).map((c): OpeningVerdict => {
    const sent = byRef.get(c.ref);
    const opening = sent ? decodeOpening(sent) : null;
    if (!sent || !opening) return { ref: c.ref, pointer: c.pointer, value: sent?.value, status: "missing" };
    const ok = verifyOpening(portableBytesBackend, c.commitment, opening);
    if (ok) decoded.set(c.ref, opening);
    return { ref: c.ref, pointer: c.pointer, value: opening.value, status: ok ? "matches" : "differs" };
  });
  return { verdicts, statement: openStatement(portableBytesBackend, committed, (ref) => decoded.get(ref)).statement };
}

const STATUS_TEXT: Record<OpeningVerdict["status"], string> = {
  matches: "matches its commitment",
  differs: "does NOT match its commitment",
  missing: "no opening was received",
};

function shownValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The per-value result of the browser's check, after a reveal of a committed record. */
export function OpeningCheck({ verdicts }: { verdicts: readonly OpeningVerdict[] }) {
  const failed = verdicts.filter((v) => v.status !== "matches").length;
  return (
    <section aria-labelledby="opening-check-heading" className="rounded-lg border border-slate-200 bg-white shadow-xs" data-testid="opening-check">
      <div className="border-b border-slate-200 px-5 py-3">
        <h2 id="opening-check-heading" className="text-base font-semibold text-slate-900">
          Revealed values checked in your browser
        </h2>
        <p className="mt-0.5 text-sm text-slate-600" data-testid="opening-check-summary" role={failed > 0 ? "alert" : undefined}>
          {failed === 0
            ? `All ${verdicts.length} revealed ${verdicts.length === 1 ? "value matches its commitment" : "values match their commitments"} in the stored record (SHA-256 over the value and its salt, computed here).`
            : `${failed} of ${verdicts.length} revealed values do not match the commitments in the stored record: they are not shown. Tell your administrator.`}
        </p>
      </div>
      <ul className="divide-y divide-slate-100 px-5 py-2 text-sm">
        {verdicts.map((v) => (
          <li key={v.ref} className="flex flex-wrap items-baseline gap-x-3 gap-y-1 py-1.5" data-testid="opening-verdict" data-status={v.status}>
            <span aria-hidden="true" className={v.status === "matches" ? "text-emerald-700" : "text-red-700"}>
              {v.status === "matches" ? "✔" : "✖"}
            </span>
            <span className="font-mono text-xs text-slate-600">{describePointer(v.pointer)}</span>
            {v.status === "matches" ? <span className="break-all">{shownValue(v.value)}</span> : null}
            <span className={v.status === "matches" ? "text-emerald-800" : "font-medium text-red-800"}>{STATUS_TEXT[v.status]}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
