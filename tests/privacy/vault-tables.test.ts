import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { executeSql, queryRows } from "@/db/client";
import { generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";
import { z } from "zod";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";

const countRow = z.object({ n: z.coerce.number() });

describe.each(DATABASE_KINDS)("the personal-data tables (%s)", (kind) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    // Two batches, so subjects that recur across them must reuse their key.
    const statements = generateDemoStatements({ count: 120, now: new Date("2026-03-01T00:00:00Z"), seed: 11 });
    await appendDecisions(database.db, TEST_KEYS, statements.slice(0, 60), { name: "vault-test" });
    await appendDecisions(database.db, TEST_KEYS, statements.slice(60), { name: "vault-test" });
  });
  afterAll(async () => database?.drop());

  const count = async (query: string) => (await queryRows(database.db, sql.raw(query), countRow))[0]!.n;

  test("one active data key per subject, every opening under a key, every record with openings", async () => {
    expect(await count("select count(*) as n from (select subject_index from personal_data_keys group by subject_index having count(*) > 1) s")).toBe(0);
    expect(await count("select count(*) as n from personal_data_openings o left join personal_data_keys k on k.id = o.key_id where k.id is null")).toBe(0);
    expect(await count("select count(*) as n from decisions d where not exists (select 1 from personal_data_openings o where o.record_id = d.id)")).toBe(0);
    // Recurring subjects: fewer keys than records.
    expect(await count("select count(*) as n from personal_data_keys")).toBeLessThan(await count("select count(*) as n from decisions"));
  });

  test.each([
    ["update personal_data_openings set sealed = 'x'", /append-only: UPDATE on "personal_data_openings"/],
    ["delete from personal_data_openings", /append-only: DELETE on "personal_data_openings"/],
    ["truncate personal_data_openings", /append-only: TRUNCATE on "personal_data_openings"/],
    ["delete from personal_data_lookups", /append-only: DELETE on "personal_data_lookups"/],
    ["delete from personal_data_keys", /never deleted/],
    ["truncate personal_data_keys", /append-only: TRUNCATE on "personal_data_keys"/],
    ["update personal_data_keys set subject_index = 'other'", /only the wrapped key and the erasure may change/],
    ["update personal_data_keys set wrapped_key = null", /an active key keeps a wrapped key/],
    ["update personal_data_keys set erased_at = now(), erasure_request_id = gen_random_uuid()", /erasure removes the wrapped key/],
  ])("the database refuses %s", async (statement, message) => {
    await expect(executeSql(database.db, sql.raw(statement))).rejects.toSatisfy((e: unknown) => message.test(String((e as Error).message ?? e) + String((e as { cause?: Error }).cause?.message ?? "")));
  });

  test("an erased key stays erased: it cannot be given a wrapped key again", async () => {
    const [row] = await queryRows(database.db, sql`select id from personal_data_keys limit 1`, z.object({ id: z.string() }));
    await executeSql(database.db, sql`update personal_data_keys set wrapped_key = null, erased_at = now(), erasure_request_id = gen_random_uuid() where id = ${row!.id}`);
    await expect(executeSql(database.db, sql`update personal_data_keys set wrapped_key = 'restored', erased_at = null, erasure_request_id = null where id = ${row!.id}`)).rejects.toSatisfy(
      (e: unknown) => /an erased key stays erased/.test(String((e as Error).message) + String((e as { cause?: Error }).cause?.message ?? "")),
    );
  });
});
