import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { DECISION_COLUMN_ENTRIES, type DecisionColumnSpec } from "../../ledger/xapi/decision-columns";
import { deriveDecisionColumns } from "../../ledger/xapi/derived-columns";
import type { XapiStatement } from "../../ledger/xapi/types";
import type { LogId } from "../../ledger/log-id";

/**
 * The deep check (verify-db --deep): the columns the dashboard filters and lists by are
 * derived from the hashed record, not hashed themselves, so a superuser could change them
 * (an "approved" outcome that the record says was "denied") without touching a hash. The
 * deep check recomputes them from the canonical text and compares. It parses every record,
 * so it is several times slower than the default verification and off by default.
 */

/** A catalogue column as text (timestamps as epoch milliseconds), so both drivers return the same thing. */
function columnAsText({ column, type }: DecisionColumnSpec): string {
  if (type === "timestamp") return `floor(extract(epoch from ${column}) * 1000)::bigint::text`;
  return type === "text" ? column : `${column}::text`;
}

/** Extra columns read with each content row: every catalogue column of a decision as x_<column>, and the access log's. */
export const DERIVED_SELECT: Record<LogId, SQL> = {
  decisions: sql.raw(DECISION_COLUMN_ENTRIES.map(([, spec]) => `, ${columnAsText(spec)} as x_${spec.column}`).join("")),
  access: sql`, action as x_action, outcome as x_outcome, user_id as x_user_id, user_email as x_user_email, target as x_target, ip as x_ip`,
};

export interface ColumnDifference {
  column: string;
  stored: string | null;
  expected: string | null;
}

type Row = Record<string, unknown>;

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function bool(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return v === true || v === "true" || v === "t" ? "true" : "false";
}

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

/** Differences between the stored derived columns of `row` and what `canonical` says. */
export function derivedColumnDifferences(logId: LogId, canonical: string, row: Row): ColumnDifference[] {
  const out: ColumnDifference[] = [];
  const same = (column: string, stored: string | null, expected: string | null) => {
    if (stored !== expected) out.push({ column, stored, expected });
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(canonical);
  } catch {
    return out; // not reached for authentic records (only checked when the leaf hash matches)
  }
  if (logId === "access") {
    const e = parsed as { action?: unknown; outcome?: unknown; user?: { id?: unknown; email?: unknown } | null; target?: unknown; ip?: unknown };
    same("action", text(row.x_action), text(e.action));
    same("outcome", text(row.x_outcome), text(e.outcome));
    same("user_id", text(row.x_user_id), text(e.user?.id ?? null));
    same("user_email", text(row.x_user_email), text(e.user?.email ?? null));
    same("target", text(row.x_target), text(e.target ?? null));
    same("ip", text(row.x_ip), text(e.ip ?? null));
    return out;
  }
  const derived = deriveDecisionColumns(parsed as XapiStatement);
  for (const [key, spec] of DECISION_COLUMN_ENTRIES) {
    const difference = columnDifference(spec, row[`x_${spec.column}`], derived[key]);
    if (difference) out.push(difference);
  }
  return out;
}

/** A stored catalogue column (as DERIVED_SELECT reads it) against its derived value, compared in the form of its type. */
function columnDifference(spec: DecisionColumnSpec, stored: unknown, expected: unknown): ColumnDifference | null {
  const { column } = spec;
  const differs = (s: string | null, e: string | null) => (s === e ? null : { column, stored: s, expected: e });
  switch (spec.type) {
    case "timestamp": {
      const ms = (expected as Date).getTime();
      return differs(text(stored), Number.isNaN(ms) ? null : String(ms));
    }
    case "double":
    case "integer":
      // Numbers compare as numbers: float text output need not match JS's shortest form.
      return num(stored) === expected ? null : { column, stored: text(stored), expected: text(expected) };
    case "boolean":
      return differs(bool(stored), String(expected));
    case "text":
      return differs(text(stored), text(expected));
  }
}
