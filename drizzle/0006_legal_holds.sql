CREATE TABLE "legal_holds" (
	"id" uuid PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"subject_indexes" jsonb,
	"reason" text NOT NULL,
	"placed_by" text NOT NULL,
	"placed_at" timestamp with time zone NOT NULL,
	"released_by" text,
	"released_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "legal_holds_subject_idx" ON "legal_holds" USING gin ("subject_indexes");--> statement-breakpoint
DO $$
BEGIN
  GRANT SELECT, INSERT, UPDATE ON legal_holds TO decision_ledger_app;
EXCEPTION WHEN undefined_object OR insufficient_privilege THEN
  RAISE NOTICE 'grants on legal_holds skipped: %', SQLERRM;
END;
$$;
