import { bigint, doublePrecision, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import type { VerificationReport } from "../../lib/ledger/verify/report";

export type VerificationRunStatus = "queued" | "running" | "passed" | "failed" | "error" | "interrupted";
export type VerificationTrigger = "user" | "schedule";

/** The first failure of a run, as kept for the banner and the history. */
export interface RunFailureSummary {
  logId: string;
  class: string;
  seq?: number;
  statementId?: string;
  message: string;
}

/** What a finished run keeps of the verifier's output. */
export interface VerificationRunResult {
  reports: VerificationReport[];
}

/**
 * Verification jobs (integrity page, schedule): one row per run, updated while it runs.
 * Mutable bookkeeping, NOT part of the ledger: the tamper-evident record of every run is the
 * `integrity.verify` entry in the access log (written when a run is requested and when it
 * finishes), so deleting a failed run here does not erase the evidence that it failed.
 *
 * status: queued -> running -> passed | failed (integrity failure found) | error (the run
 * itself could not finish) | interrupted (the server stopped while it ran).
 */
export const verificationRuns = pgTable(
  "verification_runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    status: text("status").$type<VerificationRunStatus>().notNull().default("queued"),
    /** "user" (Verify now) or "schedule" (VERIFY_INTERVAL_SECONDS). */
    trigger: text("trigger").$type<VerificationTrigger>().notNull(),
    requestedById: text("requested_by_id"),
    requestedByEmail: text("requested_by_email"),
    requestedByName: text("requested_by_name"),
    /** Logs covered: "decisions", "access" or both. */
    logIds: text("log_ids").array().notNull(),
    /** Requested time range over recorded_at (null = the whole log) and the seq range it maps to. */
    rangeFrom: timestamp("range_from", { withTimezone: true }),
    rangeTo: timestamp("range_to", { withTimezone: true }),
    fromSeq: bigint("from_seq", { mode: "number" }),
    toSeq: bigint("to_seq", { mode: "number" }),
    recordsChecked: bigint("records_checked", { mode: "number" }).notNull().default(0),
    recordsTotal: bigint("records_total", { mode: "number" }),
    recordsPerSecond: doublePrecision("records_per_second"),
    etaSeconds: doublePrecision("eta_seconds"),
    checkpointsChecked: integer("checkpoints_checked").notNull().default(0),
    failureCount: integer("failure_count").notNull().default(0),
    /** The first failure (class, seq, statement id, message), for the banner and the history. */
    firstFailure: jsonb("first_failure").$type<RunFailureSummary>(),
    /** The verifier's reports, one per log. */
    result: jsonb("result").$type<VerificationRunResult>(),
    error: text("error"),
    requestedAt: timestamp("requested_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    /** Touched while running; a running row with an old heartbeat belonged to a stopped process. */
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }),
    acknowledgedById: text("acknowledged_by_id"),
    acknowledgedByEmail: text("acknowledged_by_email"),
    acknowledgementNote: text("acknowledgement_note"),
  },
  (t) => [
    index("verification_runs_requested_at_idx").on(t.requestedAt.desc()),
    index("verification_runs_status_idx").on(t.status, t.requestedAt),
  ],
);
