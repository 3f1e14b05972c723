// report.html of an evidence bundle: self-contained (no scripts, no external resources),
// readable by someone who is not an engineer, and printable (print styles, table headers
// repeat on every page). Shared-safe: no node: imports.

import { ACTOR_TYPE_LABELS, type ActorType } from "../ledger/xapi/actor-type";
import { BUNDLE_FILES as F, type BundleManifest } from "./bundle-format";

export interface ReportRow {
  seq: number;
  id: string;
  occurredAt: string;
  actorType: string;
  aiSystem: string | null;
  model: string | null;
  verb: string;
  entity: string | null;
  outcome: string | null;
  confidence: number | null;
  humanReview: string;
  withheld: boolean;
}

export interface ReportData {
  manifest: Omit<BundleManifest, "files">;
  byActorType: Map<string, number>;
  byOutcome: Map<string, number>;
  byModelVersion: Map<string, number>;
  /** The first rows (at most rowLimit are kept by the writer). */
  rows: ReportRow[];
  /** Rows beyond this many are left out of the table (they are all in records.jsonl). */
  rowLimit: number;
}

const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

function countTable(title: string, counts: Map<string, number>, label: (k: string) => string = (k) => k): string {
  const rows = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return `<section class="counts"><h3>${esc(title)}</h3><table><thead><tr><th scope="col">${esc(title)}</th><th scope="col" class="num">Decisions</th></tr></thead><tbody>${rows
    .map(([k, n]) => `<tr><td>${esc(label(k))}</td><td class="num">${n.toLocaleString("en-US")}</td></tr>`)
    .join("")}</tbody></table></section>`;
}

const actorLabel = (k: string): string => ACTOR_TYPE_LABELS[k as ActorType] ?? k;

/**
 * What the bundle holds of personal data. Committed records are always whole, so their
 * content is checked in full; only records stored before personal data was committed are
 * masked, and they are named as their own category.
 */
function personalDataNote(m: ReportData["manifest"]): string {
  const nf = (n: number) => n.toLocaleString("en-US");
  const legacy =
    m.withheldRecords > 0
      ? ` ${nf(m.withheldRecords)} record(s) were stored before personal data was committed (format 0): they are masked copies, their contents withheld; their leaf hash and inclusion in the ledger are verified.`
      : "";
  const d = m.disclosure;
  if (!d) {
    return `<p class="note">Personal data was left out. Records store commitments in its place, so every other record is shown byte for byte and its content is checked against the ledger's hashes.${legacy}</p>`;
  }
  const erased = d.erasedValues > 0 ? ` ${nf(d.erasedValues)} value(s) of data subjects whose data was erased are not included.` : "";
  return `<p class="note">Personal data is included, disclosed by ${esc(d.disclosedBy.name)} (${esc(d.disclosedBy.email)}) because: “${esc(d.reason)}”. ${F.openings} holds ${nf(d.openings)} value(s), each checked against the commitment in its record.${erased}</p>`;
}

export function renderReport(d: ReportData): string {
  const m = d.manifest;
  const cp = m.checkpoint;
  const shown = d.rows.slice(0, d.rowLimit);
  const withheldNote = personalDataNote(m);
  const rows = shown
    .map(
      (r) => `<tr><td class="nowrap">${esc(r.occurredAt.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC"))}</td><td>${esc(actorLabel(r.actorType))}</td><td>${esc(
        [r.aiSystem, r.model].filter(Boolean).join(" · ") || "—",
      )}</td><td>${esc(r.verb)}</td><td>${esc(r.entity ?? "—")}</td><td>${esc(r.outcome ?? "—")}</td><td class="num">${
        r.confidence === null ? "—" : r.confidence.toFixed(2)
      }</td><td>${esc(r.humanReview)}</td><td class="num">${r.seq}</td><td class="mono">${esc(r.id)}${r.withheld ? " (masked: stored before personal data was committed)" : ""}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Evidence bundle ${esc(m.bundleId)}</title>
<style>
  body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #0f172a; margin: 2rem; }
  h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #cbd5e1; }
  h3 { font-size: 1rem; margin: .5rem 0; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; } dt { color: #475569; } dd { margin: 0; }
  table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #e2e8f0; padding: .25rem .5rem; text-align: left; vertical-align: top; }
  thead { display: table-header-group; } th { background: #f1f5f9; } tr { break-inside: avoid; }
  .num { text-align: right; font-variant-numeric: tabular-nums; } .mono { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
  .nowrap { white-space: nowrap; } .counts { display: inline-block; vertical-align: top; margin-right: 2rem; min-width: 16rem; }
  .note { background: #fef9c3; border: 1px solid #facc15; padding: .5rem .75rem; } ol li { margin-bottom: .25rem; }
  code { font-family: ui-monospace, monospace; background: #f1f5f9; padding: 0 .2rem; }
  @media print { body { margin: 0; font-size: 11px; } h2 { break-after: avoid; } .counts { break-inside: avoid; } }
</style>
</head>
<body>
<h1>Evidence bundle: AI decision records</h1>
<p>Exported from the Decision Ledger at <strong>${esc(m.ledger.deployment)}</strong> on ${esc(m.createdAt)} by ${esc(m.createdBy.name)} (${esc(
    m.createdBy.email,
  )}, ${esc(m.createdBy.role)}).</p>
<dl>
  <dt>Bundle id</dt><dd class="mono">${esc(m.bundleId)}</dd>
  <dt>Selection</dt><dd>${esc(m.selection.description)}</dd>
  <dt>Decisions</dt><dd>${m.recordCount.toLocaleString("en-US")}${m.firstSeq !== null ? ` (ledger positions ${m.firstSeq} to ${m.lastSeq})` : ""}</dd>
  <dt>Personal data</dt><dd>${m.personalData === "included" ? "Included" : "Left out"}</dd>
  <dt>Signed checkpoint</dt><dd>${esc(cp.origin)}, ${cp.treeSize.toLocaleString("en-US")} records, root <span class="mono">${esc(cp.rootHash)}</span>${
    cp.signedAt ? `, signed ${esc(cp.signedAt)}` : ""
  }</dd>
  <dt>Verifier key</dt><dd class="mono">${esc(m.ledger.verifierKey)}</dd>
</dl>
${withheldNote}
<h2>How these records can be checked</h2>
<ol>
  <li>Each record below is stored in <code>records.jsonl</code> as the exact bytes the ledger hashed when it was written. Its fingerprint (SHA-256 leaf hash) is recomputed from those bytes.</li>
  <li>For every record, <code>proofs.jsonl</code> holds a Merkle inclusion proof showing the fingerprint is part of the ledger at the signed checkpoint above (${cp.treeSize.toLocaleString(
    "en-US",
  )} records).</li>
  <li>The checkpoint is signed with the ledger's Ed25519 key (<code>checkpoint/checkpoint.note</code>, public key in <code>key/</code>). Obtain the key from the ledger operator or its published address to be sure it is theirs.</li>
  <li>The manifest (this selection, counts and every file's SHA-256) is tied to the export's own entry in the ledger's access log (<code>receipt/export-receipt.json</code>), which is proven the same way.</li>
</ol>
<p>Run <code>npx decision-ledger verify bundle.zip --key &lt;verifier key&gt;</code>, use the dashboard's "Verify a bundle" page (nothing is uploaded), or follow <code>VERIFY.txt</code> with standard tools (sha256sum, openssl).</p>
<h2>Summary</h2>
${countTable("Decided by", d.byActorType, actorLabel)}
${countTable("Outcome", d.byOutcome)}
${countTable("Model version", d.byModelVersion)}
<h2>Decisions</h2>
${m.recordCount > shown.length ? `<p class="note">The table shows the first ${shown.length.toLocaleString("en-US")} of ${m.recordCount.toLocaleString("en-US")} decisions; all of them are in records.jsonl.</p>` : ""}
<table>
<thead><tr><th scope="col">Decided (UTC)</th><th scope="col">Decided by</th><th scope="col">AI system · model</th><th scope="col">Action</th><th scope="col">About</th><th scope="col">Outcome</th><th scope="col" class="num">Confidence</th><th scope="col">Human review</th><th scope="col" class="num">Position</th><th scope="col">Record id</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
