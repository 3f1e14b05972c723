/**
 * Timestamps at the edges of what the ledger stores, through the real ingest handler on
 * PGlite and Postgres. Before the range check, "0000-…" reached the insert and Postgres
 * refused the occurred_at value (22008, no year 0), instants past 9999 became "+010000-…"
 * (22009): both answered 500; and years 0001–0099 were stored but read back as 1950–2049.
 * Now they are 400s that name the field; the edges themselves store and read back exactly.
 */
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decisions } from "@/db/schema";
import { createIngestHandler } from "@/lib/api/ingest";
import { PROFILE_EXAMPLES } from "@/lib/ledger/profile-examples";
import { RFC3339_RANGE_MESSAGE, STORABLE_INSTANTS } from "@/lib/ledger/xapi/syntax";
import { createApiKey } from "@/lib/services/api-keys";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";

interface ErrorBody {
  error: { status: number; code: string; problems: { index: number; pointer: string; message: string }[] };
}

describe.each(DATABASE_KINDS)("timestamps at the storable edges on %s", (kind) => {
  let database: TestDatabase;
  let handler: (req: Request) => Promise<Response>;
  let secret: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    handler = createIngestHandler({ getDb: async () => database.db, getPersonalDataKeys: async () => TEST_KEYS });
    secret = (await createApiKey(database.db, { owner: "edge-writer", createdBy: "test" })).secret;
  });
  afterAll(async () => {
    await database?.drop();
  });

  function post(overrides: Record<string, unknown>) {
    const body = { ...structuredClone(PROFILE_EXAMPLES.loanDenialHumanApproved), id: randomUUID(), ...overrides };
    const req = new Request("http://ledger.test/api/v1/decisions", {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { id: body.id, response: handler(req) };
  }

  test.each([
    ["/timestamp", "0000-01-01T00:00:00Z"],
    ["/timestamp", "0001-01-01T00:00:00Z"],
    ["/timestamp", "0100-01-01T00:00:00+00:01"],
    ["/timestamp", "9999-12-31T23:59:59-00:01"],
    ["/stored", "0000-06-15T12:00:00Z"],
  ])("%s %s is refused with 400 naming the field", async (pointer, value) => {
    const res = await post({ [pointer.slice(1)]: value }).response;
    const body = (await res.json()) as ErrorBody;
    expect(res.status).toBe(400);
    expect(body.error.code).toBe("invalid_statements");
    expect(body.error.problems).toEqual([{ index: 0, pointer, message: RFC3339_RANGE_MESSAGE }]);
  });

  test.each([
    ["0100-01-01T00:00:00Z", STORABLE_INSTANTS.minMs],
    ["0100-01-01T00:00:00-00:01", STORABLE_INSTANTS.minMs + 60_000],
    ["9999-12-31T23:59:59.999Z", STORABLE_INSTANTS.maxMs],
    ["9999-12-31T23:59:59.99999999999999999999Z", STORABLE_INSTANTS.maxMs],
    ["9999-12-31t22:59:59.999-01:00", STORABLE_INSTANTS.maxMs],
  ])("%s is stored as that instant", async (timestamp, ms) => {
    const { id, response } = post({ timestamp });
    const res = await response;
    expect(res.status, await res.clone().text()).toBe(201);
    const rows = await database.db.select({ occurredAt: decisions.occurredAt }).from(decisions).where(eq(decisions.id, id));
    expect(rows.map((r) => r.occurredAt.getTime())).toEqual([ms]);
  });
});
