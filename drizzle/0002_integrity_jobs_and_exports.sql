CREATE TABLE "verification_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"trigger" text NOT NULL,
	"requested_by_id" text,
	"requested_by_email" text,
	"requested_by_name" text,
	"log_ids" text[] NOT NULL,
	"range_from" timestamp with time zone,
	"range_to" timestamp with time zone,
	"from_seq" bigint,
	"to_seq" bigint,
	"records_checked" bigint DEFAULT 0 NOT NULL,
	"records_total" bigint,
	"records_per_second" double precision,
	"eta_seconds" double precision,
	"checkpoints_checked" integer DEFAULT 0 NOT NULL,
	"failure_count" integer DEFAULT 0 NOT NULL,
	"first_failure" jsonb,
	"result" jsonb,
	"error" text,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by_id" text,
	"acknowledged_by_email" text,
	"acknowledgement_note" text
);
--> statement-breakpoint
CREATE TABLE "evidence_exports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"requested_by_id" text NOT NULL,
	"requested_by_email" text NOT NULL,
	"requested_by_name" text NOT NULL,
	"requested_by_role" text NOT NULL,
	"selection" jsonb NOT NULL,
	"description" text NOT NULL,
	"include_personal_data" boolean NOT NULL,
	"records_total" integer,
	"records_done" integer DEFAULT 0 NOT NULL,
	"file_size" bigint,
	"manifest_sha256" text,
	"error" text,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "verification_runs_requested_at_idx" ON "verification_runs" USING btree ("requested_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "verification_runs_status_idx" ON "verification_runs" USING btree ("status","requested_at");--> statement-breakpoint
CREATE INDEX "evidence_exports_requester_idx" ON "evidence_exports" USING btree ("requested_by_id","requested_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "evidence_exports_status_idx" ON "evidence_exports" USING btree ("status","requested_at");--> statement-breakpoint
-- Job bookkeeping is mutable (progress, status, acknowledgement), unlike the ledger tables:
-- the runtime role may update it. Its tamper-evident counterpart is the access log.
DO $$
BEGIN
  GRANT SELECT, INSERT, UPDATE ON verification_runs, evidence_exports TO decision_ledger_app;
EXCEPTION WHEN undefined_object OR insufficient_privilege THEN
  RAISE NOTICE 'grants on job tables skipped: %', SQLERRM;
END;
$$;
