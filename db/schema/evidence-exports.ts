import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export type EvidenceExportStatus = "queued" | "running" | "ready" | "failed" | "interrupted";

/**
 * Evidence bundle export jobs. The bundle itself is written to DATA_DIR/exports/<id>.zip;
 * this row tracks who asked for what and how far the job got. Mutable bookkeeping: the
 * tamper-evident record of an export is its `evidence.export` access-log entry, which
 * carries the manifest's SHA-256 and the record count.
 *
 * status: queued -> running -> ready | failed | interrupted.
 */
export const evidenceExports = pgTable(
  "evidence_exports",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    status: text("status").$type<EvidenceExportStatus>().notNull().default("queued"),
    requestedById: text("requested_by_id").notNull(),
    requestedByEmail: text("requested_by_email").notNull(),
    requestedByName: text("requested_by_name").notNull(),
    requestedByRole: text("requested_by_role").notNull(),
    /** What to export: the decisions-list filters and/or selected ids (see lib/evidence/selection.ts). */
    selection: jsonb("selection").notNull(),
    /** The selection in words, as printed in the manifest and the report. */
    description: text("description").notNull(),
    /** Whether personal data is included verbatim (the requester may reveal it) or withheld. */
    includePersonalData: boolean("include_personal_data").notNull(),
    recordsTotal: integer("records_total"),
    recordsDone: integer("records_done").notNull().default(0),
    fileSize: bigint("file_size", { mode: "number" }),
    manifestSha256: text("manifest_sha256"),
    error: text("error"),
    requestedAt: timestamp("requested_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
  },
  (t) => [
    index("evidence_exports_requester_idx").on(t.requestedById, t.requestedAt.desc()),
    index("evidence_exports_status_idx").on(t.status, t.requestedAt),
  ],
);
