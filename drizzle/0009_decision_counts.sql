CREATE TABLE "decision_counts_hourly" (
	"bucket" timestamp with time zone NOT NULL,
	"actor_type" text NOT NULL,
	"ai_system" text,
	"model_version" text,
	"verb" text NOT NULL,
	"outcome" text,
	"human_review" text NOT NULL,
	"entity_type" text,
	"n" bigint NOT NULL,
	CONSTRAINT "decision_counts_hourly_key" UNIQUE NULLS NOT DISTINCT("bucket","actor_type","ai_system","model_version","verb","outcome","human_review","entity_type")
);
--> statement-breakpoint
CREATE TABLE "decision_counts_daily" (
	"bucket" timestamp with time zone NOT NULL,
	"actor_type" text NOT NULL,
	"ai_system" text,
	"model_version" text,
	"verb" text NOT NULL,
	"outcome" text,
	"human_review" text NOT NULL,
	"entity_type" text,
	"n" bigint NOT NULL,
	CONSTRAINT "decision_counts_daily_key" UNIQUE NULLS NOT DISTINCT("bucket","actor_type","ai_system","model_version","verb","outcome","human_review","entity_type")
);
--> statement-breakpoint
-- Decision counts (rollups) kept exactly in step with `decisions` BY THE DATABASE (written by
-- hand, appended to the generated part): statement-level AFTER triggers on the partitioned
-- parent read the statement's transition table (every row of every partition it touched) and
-- merge its grouped counts into the hourly and daily tables, in the same transaction as the
-- rows. The explorer's histogram and count read them (db/queries/decision-counts.ts);
-- verify-db recounts the rows and reports any difference (lib/ledger-store/verify/decision-counts-check.ts).
--
-- Bounds of "exactly in step":
--  * Statement triggers fire for the table a statement names. The app always writes through
--    the parent `decisions` (the runtime role has no rights on the partitions); a statement an
--    owner runs against one partition directly is not counted, and verify-db names the difference.
--  * DETACH / DROP PARTITION fires no trigger at all: run
--    `SELECT decision_counts_forget_partition('decisions_YYYY_MM')` in the same transaction,
--    right before detaching or dropping the partition (retention expiry must do this).
--  * The triggers are ENABLE ALWAYS: they fire under session_replication_role = replica too
--    (a superuser lifting the append-only refusal that way, logical replication apply), so
--    the counts describe the rows there are, whoever wrote them; tampering is for the hashes
--    to find. Consequences: a logical replica must not also subscribe to the count tables
--    (they would be counted twice), and a data-only restore must either restore the count
--    tables with triggers disabled (pg_restore --disable-triggers) or leave them out and let
--    the triggers recount. ALTER TABLE ... DISABLE TRIGGER stops them like any trigger.

-- The statement that merges the counts of the rows of `source` (a table, a partition or a
-- transition table) into the `grain` table, multiplied by `sign` (+1 added rows, -1 removed).
-- Grouped, so each key is touched once per statement; ORDER BY the key so concurrent
-- transactions lock the count rows in the same order and never deadlock each other.
CREATE OR REPLACE FUNCTION decision_counts_merge_sql(grain text, source text, sign integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT format(
    'INSERT INTO %I AS c (bucket, actor_type, ai_system, model_version, verb, outcome, human_review, entity_type, n) '
    'SELECT date_trunc(%L, d.occurred_at, ''UTC''), d.actor_type, d.ai_system, d.model_version, d.verb, d.outcome, d.human_review, d.entity_type, %s * count(*) '
    'FROM %I d GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8 '
    'ON CONFLICT (bucket, actor_type, ai_system, model_version, verb, outcome, human_review, entity_type) DO UPDATE SET n = c.n + excluded.n',
    CASE grain WHEN 'hour' THEN 'decision_counts_hourly' WHEN 'day' THEN 'decision_counts_daily' END, grain, sign, source)
$$;
--> statement-breakpoint
-- Removes the count rows that reached 0 in the buckets of the rows of `source` (so a deleted
-- month leaves no empty rows behind to read).
CREATE OR REPLACE FUNCTION decision_counts_prune_sql(grain text, source text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT format(
    'DELETE FROM %I c WHERE c.n = 0 AND c.bucket IN (SELECT DISTINCT date_trunc(%L, d.occurred_at, ''UTC'') FROM %I d)',
    CASE grain WHEN 'hour' THEN 'decision_counts_hourly' WHEN 'day' THEN 'decision_counts_daily' END, grain, source)
$$;
--> statement-breakpoint
-- SECURITY DEFINER: the runtime role appends decisions and so moves the counts, but holds
-- only SELECT on the count tables and cannot change them itself.
CREATE OR REPLACE FUNCTION decision_counts_apply() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  grain text;
BEGIN
  FOREACH grain IN ARRAY ARRAY['hour', 'day'] LOOP
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      EXECUTE decision_counts_merge_sql(grain, 'old_decisions', -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      EXECUTE decision_counts_merge_sql(grain, 'new_decisions', 1);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      EXECUTE decision_counts_prune_sql(grain, 'old_decisions');
    END IF;
  END LOOP;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- Subtracts a partition's rows from the counts: call it in the transaction that detaches or
-- drops the partition, right before (those fire no delete trigger). Not granted to the runtime role.
CREATE OR REPLACE FUNCTION decision_counts_forget_partition(part regclass) RETURNS void
LANGUAGE plpgsql SET search_path = public AS $$
DECLARE
  grain text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = part AND inhparent = 'decisions'::regclass) THEN
    RAISE EXCEPTION '% is not a partition of decisions', part;
  END IF;
  FOREACH grain IN ARRAY ARRAY['hour', 'day'] LOOP
    EXECUTE decision_counts_merge_sql(grain, part::text, -1);
    EXECUTE decision_counts_prune_sql(grain, part::text);
  END LOOP;
END;
$$;
--> statement-breakpoint
REVOKE EXECUTE ON FUNCTION decision_counts_forget_partition(regclass) FROM PUBLIC;
--> statement-breakpoint
-- Transition tables allow one event per trigger. The row triggers of 0001 refuse UPDATE and
-- DELETE before these run; the UPDATE and DELETE triggers keep the counts right when an
-- owner lifts that refusal (retention expiry of rows).
CREATE TRIGGER decisions_counts_insert AFTER INSERT ON decisions REFERENCING NEW TABLE AS new_decisions FOR EACH STATEMENT EXECUTE FUNCTION decision_counts_apply();
--> statement-breakpoint
CREATE TRIGGER decisions_counts_update AFTER UPDATE ON decisions REFERENCING OLD TABLE AS old_decisions NEW TABLE AS new_decisions FOR EACH STATEMENT EXECUTE FUNCTION decision_counts_apply();
--> statement-breakpoint
CREATE TRIGGER decisions_counts_delete AFTER DELETE ON decisions REFERENCING OLD TABLE AS old_decisions FOR EACH STATEMENT EXECUTE FUNCTION decision_counts_apply();
--> statement-breakpoint
ALTER TABLE decisions ENABLE ALWAYS TRIGGER decisions_counts_insert;
--> statement-breakpoint
ALTER TABLE decisions ENABLE ALWAYS TRIGGER decisions_counts_update;
--> statement-breakpoint
ALTER TABLE decisions ENABLE ALWAYS TRIGGER decisions_counts_delete;
--> statement-breakpoint
-- The count tables change only through the functions above; TRUNCATE would silently zero them.
CREATE TRIGGER decision_counts_hourly_refuse_truncate BEFORE TRUNCATE ON decision_counts_hourly FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_mutation();
--> statement-breakpoint
CREATE TRIGGER decision_counts_daily_refuse_truncate BEFORE TRUNCATE ON decision_counts_daily FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_mutation();
--> statement-breakpoint
-- Backfill the decisions that exist. After CREATE TRIGGER, which holds a SHARE ROW EXCLUSIVE
-- lock on `decisions` until the migration commits: no append can land between the
-- backfill's snapshot and the triggers, so nothing is counted twice or missed.
DO $$
BEGIN
  EXECUTE decision_counts_merge_sql('hour', 'decisions', 1);
  EXECUTE decision_counts_merge_sql('day', 'decisions', 1);
END;
$$;
--> statement-breakpoint
DO $$
BEGIN
  GRANT SELECT ON decision_counts_hourly, decision_counts_daily TO decision_ledger_app;
  REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON decision_counts_hourly, decision_counts_daily FROM decision_ledger_app;
EXCEPTION WHEN undefined_object OR insufficient_privilege THEN
  RAISE NOTICE 'grants on decision count tables skipped: %', SQLERRM;
END;
$$;
