CREATE TABLE "personal_data_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"subject_index" text NOT NULL,
	"wrapped_key" text,
	"created_at" timestamp with time zone NOT NULL,
	"erased_at" timestamp with time zone,
	"erasure_request_id" uuid
);
--> statement-breakpoint
CREATE TABLE "personal_data_openings" (
	"ref" uuid PRIMARY KEY NOT NULL,
	"record_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"pointer" text NOT NULL,
	"kind" text NOT NULL,
	"key_id" uuid NOT NULL,
	"sealed" text NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "personal_data_lookups" (
	"blind_index" text NOT NULL,
	"record_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"kind" text NOT NULL,
	CONSTRAINT "personal_data_lookups_blind_index_record_id_pk" PRIMARY KEY("blind_index","record_id")
);
--> statement-breakpoint
CREATE TABLE "erasure_requests" (
	"id" uuid PRIMARY KEY NOT NULL,
	"subject_indexes" jsonb NOT NULL,
	"reason" text NOT NULL,
	"status" text NOT NULL,
	"requested_by" text NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"keys_erased" integer,
	"values_unreadable" integer,
	"records_affected" integer,
	"receipt" text
);
--> statement-breakpoint
CREATE TABLE "personal_data_detection_settings" (
	"ai_system" text PRIMARY KEY NOT NULL,
	"config" jsonb NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "decisions" ADD COLUMN "content_digest" "bytea";--> statement-breakpoint
CREATE UNIQUE INDEX "personal_data_keys_active_subject_idx" ON "personal_data_keys" USING btree ("subject_index") WHERE "personal_data_keys"."erased_at" is null;--> statement-breakpoint
CREATE INDEX "personal_data_keys_subject_idx" ON "personal_data_keys" USING btree ("subject_index");--> statement-breakpoint
CREATE INDEX "personal_data_openings_record_idx" ON "personal_data_openings" USING btree ("record_id");--> statement-breakpoint
CREATE INDEX "personal_data_openings_key_idx" ON "personal_data_openings" USING btree ("key_id");--> statement-breakpoint
CREATE INDEX "personal_data_lookups_seq_idx" ON "personal_data_lookups" USING btree ("blind_index","seq" DESC NULLS LAST);