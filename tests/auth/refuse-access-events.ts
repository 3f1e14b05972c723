import { sql } from "drizzle-orm";
import { executeSql, type Db } from "@/db/client";

/**
 * Runs `fn` while inserts of access-log entries with `action` fail, as a full disk or a lost
 * connection would: for tests that a change and its log entry commit or roll back together.
 */
export async function withAccessEventsRefused<T>(db: Db, action: string, fn: () => Promise<T>): Promise<T> {
  const name = `test_refuse_${action.replace(/\W/g, "_")}`;
  await executeSql(
    db,
    sql.raw(`create or replace function ${name}() returns trigger language plpgsql as $$
             begin raise exception 'access log unavailable'; end; $$`),
  );
  await executeSql(
    db,
    sql.raw(`create trigger ${name} before insert on access_events for each row
             when (new.action = '${action.replace(/'/g, "''")}') execute function ${name}()`),
  );
  try {
    return await fn();
  } finally {
    await executeSql(db, sql.raw(`drop trigger ${name} on access_events`));
  }
}
