import type { ReactNode } from "react";
import { isCommittedAgentId } from "@/lib/ledger/xapi/derived-columns";
import { findCommitmentStrings, parseCommitmentAgent } from "@/lib/ledger/xapi/pd-commitment";

/**
 * How a commitment (docs/decision-profile.md §15) shows on a page: a labelled placeholder,
 * never its hex as if it were the value. A commitment holds no personal data; the value is
 * kept encrypted outside the ledger and appears only after a logged reveal.
 */
export const COMMITTED_LABEL = "personal data · committed";

/** Whether a column value or text holds a commitment (string form anywhere, or a committed agent's id). */
export function holdsCommitment(text: string | null | undefined): boolean {
  return typeof text === "string" && (isCommittedAgentId(text) || findCommitmentStrings(text).length > 0);
}

/** The text with every commitment replaced by the label in brackets: for aria-labels and other plain-text places. */
export function plainCommittedText(text: string): string {
  if (isCommittedAgentId(text)) return `[${COMMITTED_LABEL}]`;
  let out = text;
  for (const c of findCommitmentStrings(text).reverse()) out = `${out.slice(0, c.start)}[${COMMITTED_LABEL}]${out.slice(c.end)}`;
  return out;
}

/** The placeholder chip; the reference in its title lets an officer match it with the reveal's list. */
export function CommittedChip({ reference }: { reference?: string }) {
  return (
    <span
      className="inline-flex items-center gap-1 rounded bg-indigo-50 px-1.5 py-0.5 text-xs font-medium text-indigo-900 ring-1 ring-indigo-200"
      data-testid="committed-value"
      title={reference ? `Commitment ${reference}: the value is kept encrypted outside the ledger` : "The value is kept encrypted outside the ledger"}
    >
      {COMMITTED_LABEL}
    </span>
  );
}

/** A text with its commitments (whole or spans inside it) shown as placeholders, the rest as written. */
export function CommittedText({ text }: { text: string }) {
  if (isCommittedAgentId(text)) return <CommittedChip />;
  const parts: ReactNode[] = [];
  let at = 0;
  for (const c of findCommitmentStrings(text)) {
    if (c.start > at) parts.push(text.slice(at, c.start));
    parts.push(<CommittedChip key={c.start} reference={c.ref} />);
    at = c.end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return <span className="break-words">{parts}</span>;
}

/** The reference of an Agent-form commitment, or null for anything else. */
export function committedAgentRef(value: unknown): string | null {
  return parseCommitmentAgent(value)?.ref ?? null;
}

/**
 * A JSON pointer as a reader can follow it: extension IRIs shortened to their last segment,
 * "/context/extensions/https:~1~1…~1ext~1input-features/age_band" → "context › input-features › age_band".
 */
export function describePointer(pointer: string): string {
  const tokens = pointer
    .split("/")
    .slice(1)
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
  return tokens
    .filter((t) => t !== "extensions")
    .map((t) => (t.includes("://") ? (t.split("/").pop() ?? t) : t))
    .join(" › ");
}
