-- Append-only enforcement for every ledger table, the monthly partitions of `decisions`,
-- the two logs this deployment keeps, and a least-privilege runtime role.
--
-- A superuser can still bypass all of this (SET session_replication_role = replica,
-- ALTER TABLE ... DISABLE TRIGGER, or editing files). That is why every record is
-- hash-chained and covered by signed checkpoints kept outside the database: the
-- verifier detects and names what the triggers could not prevent.

CREATE OR REPLACE FUNCTION ledger_refuse_mutation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'Decision Ledger is append-only: % on "%" is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Records can only be appended. Corrections are new records that reference the original.';
END;
$$;
--> statement-breakpoint
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['ledger_logs', 'log_entries', 'merkle_nodes', 'checkpoints', 'decisions', 'access_events'] LOOP
    -- Row triggers on the partitioned `decisions` are cloned onto every partition by Postgres.
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ledger_refuse_mutation()', t || '_refuse_update_delete', t);
    -- Statement triggers are not inherited: each partition gets its own (see below).
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_mutation()', t || '_refuse_truncate', t);
  END LOOP;
END;
$$;
--> statement-breakpoint
-- Creates the month's partition of `decisions` if it does not exist yet, with its own
-- TRUNCATE trigger. SECURITY DEFINER so the runtime role can append into a new month
-- without holding DDL rights.
CREATE OR REPLACE FUNCTION ledger_ensure_decisions_partition(at timestamptz) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  month_start timestamptz := date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  month_end timestamptz := (date_trunc('month', at AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
  part text := 'decisions_' || to_char(at AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
  IF to_regclass(part) IS NULL THEN
    -- Serialise concurrent creators of the same month.
    PERFORM pg_advisory_xact_lock(hashtext('ledger_partition:' || part));
    IF to_regclass(part) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF decisions FOR VALUES FROM (%L) TO (%L)', part, month_start, month_end);
      EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_mutation()', part || '_refuse_truncate', part);
    END IF;
  END IF;
  RETURN part;
END;
$$;
--> statement-breakpoint
INSERT INTO ledger_logs (id, description) VALUES
  ('decisions', 'Decision records written through the ingest API'),
  ('access', 'Every use of the dashboard: sign-ins, searches, views, reveals, exports, verifications, admin changes');
--> statement-breakpoint
-- Least-privilege runtime role: may read and append the ledger, never change or remove it.
-- Roles are cluster-wide, so creation tolerates an existing role (other databases of the
-- same cluster, or a concurrent migration). Grant it to the login role the app uses:
--   CREATE ROLE ledger_app LOGIN PASSWORD '...' IN ROLE decision_ledger_app;
DO $$
BEGIN
  BEGIN
    CREATE ROLE decision_ledger_app NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
  END;
  GRANT SELECT, INSERT ON ledger_logs, log_entries, merkle_nodes, checkpoints, decisions, access_events TO decision_ledger_app;
  GRANT SELECT, INSERT, UPDATE ON users, api_keys TO decision_ledger_app;
  GRANT EXECUTE ON FUNCTION ledger_ensure_decisions_partition(timestamptz) TO decision_ledger_app;
  REVOKE UPDATE, DELETE, TRUNCATE ON ledger_logs, log_entries, merkle_nodes, checkpoints, decisions, access_events FROM decision_ledger_app;
EXCEPTION WHEN insufficient_privilege THEN
  -- Managed Postgres without CREATEROLE: the operator creates the role (see README).
  RAISE NOTICE 'decision_ledger_app role not created: %', SQLERRM;
END;
$$;
