import { sql, type SQL } from "drizzle-orm";
import { deriveDecisionColumns } from "../../ledger/xapi/derived-columns";
import type { XapiStatement } from "../../ledger/xapi/types";
import type { LogId } from "../log-append";

/**
 * The deep check (verify-db --deep): the columns the dashboard filters and lists by are
 * derived from the hashed record, not hashed themselves, so a superuser could change them
 * (an "approved" outcome that the record says was "denied") without touching a hash. The
 * deep check recomputes them from the canonical text and compares. It parses every record,
 * so it is several times slower than the default verification and off by default.
 */

/** Extra columns read with each content row, as text so both drivers return the same thing. */
export const DERIVED_SELECT: Record<LogId, SQL> = {
  decisions: sql`, floor(extract(epoch from occurred_at) * 1000)::bigint::text as x_occurred_at, actor_type as x_actor_type,
    actor_id as x_actor_id, actor_name as x_actor_name, ai_system as x_ai_system, model_name as x_model_name,
    model_version as x_model_version, verb as x_verb, entity_type as x_entity_type, entity_id as x_entity_id,
    outcome as x_outcome, confidence::text as x_confidence, latency_ms::text as x_latency_ms, session_id as x_session_id,
    reviewer_id as x_reviewer_id, reviewer_name as x_reviewer_name, human_review as x_human_review,
    error_state::text as x_error_state, search_text as x_search_text`,
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
  const c = deriveDecisionColumns(parsed as XapiStatement);
  same("occurred_at", text(row.x_occurred_at), Number.isNaN(c.occurredAt.getTime()) ? null : String(c.occurredAt.getTime()));
  same("actor_type", text(row.x_actor_type), c.actorType);
  same("actor_id", text(row.x_actor_id), c.actorId);
  same("actor_name", text(row.x_actor_name), c.actorName);
  same("ai_system", text(row.x_ai_system), c.aiSystem);
  same("model_name", text(row.x_model_name), c.modelName);
  same("model_version", text(row.x_model_version), c.modelVersion);
  same("verb", text(row.x_verb), c.verb);
  same("entity_type", text(row.x_entity_type), c.entityType);
  same("entity_id", text(row.x_entity_id), c.entityId);
  same("outcome", text(row.x_outcome), c.outcome);
  // Numbers compare as numbers: float text output need not match JS's shortest form.
  if (num(row.x_confidence) !== c.confidence) out.push({ column: "confidence", stored: text(row.x_confidence), expected: text(c.confidence) });
  if (num(row.x_latency_ms) !== c.latencyMs) out.push({ column: "latency_ms", stored: text(row.x_latency_ms), expected: text(c.latencyMs) });
  same("session_id", text(row.x_session_id), c.sessionId);
  same("reviewer_id", text(row.x_reviewer_id), c.reviewerId);
  same("reviewer_name", text(row.x_reviewer_name), c.reviewerName);
  same("human_review", text(row.x_human_review), c.humanReview);
  same("error_state", bool(row.x_error_state), String(c.errorState));
  same("search_text", text(row.x_search_text), c.searchText);
  return out;
}
