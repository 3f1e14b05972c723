-- Openings and lookups are insert-only, like the ledger tables (0001). Erasure never
-- deletes them: it destroys the subject's data key, after which the sealed openings are
-- ciphertext nobody can open.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['personal_data_openings', 'personal_data_lookups'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ledger_refuse_mutation()', t || '_refuse_update_delete', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_mutation()', t || '_refuse_truncate', t);
  END LOOP;
END;
$$;
--> statement-breakpoint
-- A data key row changes once: erasure, which removes the wrapped key for good. Every other
-- update (un-erasing, swapping in another key for an erased subject) and every delete is refused.
-- KEK rotation re-wraps active keys: the same row, still active, a new wrapped form.
CREATE OR REPLACE FUNCTION personal_data_keys_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'personal_data_keys rows are never deleted; erase a subject by destroying its wrapped key'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.id <> OLD.id OR NEW.subject_index <> OLD.subject_index OR NEW.created_at <> OLD.created_at THEN
    RAISE EXCEPTION 'personal_data_keys: only the wrapped key and the erasure may change' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.erased_at IS NOT NULL THEN
    RAISE EXCEPTION 'personal_data_keys: an erased key stays erased' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.erased_at IS NOT NULL AND (NEW.wrapped_key IS NOT NULL OR NEW.erasure_request_id IS NULL) THEN
    RAISE EXCEPTION 'personal_data_keys: erasure removes the wrapped key and names its request' USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.erased_at IS NULL AND (NEW.wrapped_key IS NULL OR NEW.erasure_request_id IS NOT NULL) THEN
    RAISE EXCEPTION 'personal_data_keys: an active key keeps a wrapped key' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER personal_data_keys_guard BEFORE UPDATE OR DELETE ON personal_data_keys FOR EACH ROW EXECUTE FUNCTION personal_data_keys_guard();
--> statement-breakpoint
CREATE TRIGGER personal_data_keys_refuse_truncate BEFORE TRUNCATE ON personal_data_keys FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_mutation();
--> statement-breakpoint
DO $$
BEGIN
  GRANT SELECT, INSERT ON personal_data_openings, personal_data_lookups TO decision_ledger_app;
  GRANT SELECT, INSERT, UPDATE ON personal_data_keys, erasure_requests, personal_data_detection_settings TO decision_ledger_app;
  REVOKE UPDATE, DELETE, TRUNCATE ON personal_data_openings, personal_data_lookups FROM decision_ledger_app;
EXCEPTION WHEN undefined_object OR insufficient_privilege THEN
  RAISE NOTICE 'grants on personal-data tables skipped: %', SQLERRM;
END;
$$;
