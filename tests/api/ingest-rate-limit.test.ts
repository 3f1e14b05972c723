import { randomUUID } from "node:crypto";
import { count } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decisions } from "@/db/schema";
import { createIngestHandler } from "@/lib/api/ingest";
import { TokenBuckets } from "@/lib/api/rate-limit";
import { PROFILE_EXAMPLES } from "@/lib/ledger/profile-examples";
import { loadConfig } from "@/lib/server/config";
import { createApiKey } from "@/lib/services/api-keys";
import { createTestDatabase, type TestDatabase } from "../support/test-databases";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";

describe("token buckets", () => {
  test("a burst, then one request per 1/rate seconds; each key has its own bucket; 0 is off", () => {
    let now = 0;
    const buckets = new TokenBuckets({ perSecond: 0.5, burst: 2, now: () => now });
    expect([buckets.take("a"), buckets.take("a")]).toEqual([{ ok: true }, { ok: true }]);
    expect(buckets.take("a")).toEqual({ ok: false, retryAfterSeconds: 2 });
    expect(buckets.take("b")).toEqual({ ok: true });
    now = 1_000; // half a token back: one more second to wait
    expect(buckets.take("a")).toEqual({ ok: false, retryAfterSeconds: 1 });
    now = 2_000;
    expect(buckets.take("a")).toEqual({ ok: true });
    const off = new TokenBuckets({ perSecond: 0, burst: 0 });
    for (let i = 0; i < 1000; i++) expect(off.take("a").ok).toBe(true);
  });

  test("the defaults are on and generous; 0 turns them off; bad values are refused", () => {
    const defaults = loadConfig({});
    expect(defaults.INGEST_RATE_LIMIT_PER_SECOND).toBeGreaterThanOrEqual(10);
    expect(defaults.INGEST_RATE_LIMIT_BURST).toBeGreaterThanOrEqual(100);
    expect(loadConfig({ INGEST_RATE_LIMIT_PER_SECOND: "0" }).INGEST_RATE_LIMIT_PER_SECOND).toBe(0);
    expect(() => loadConfig({ INGEST_RATE_LIMIT_BURST: "-1" })).toThrow(/INGEST_RATE_LIMIT_BURST/);
  });
});

describe("POST /api/v1/decisions over the rate limit", () => {
  let database: TestDatabase;
  let handler: (req: Request) => Promise<Response>;
  let now = 0;
  let fast = "";
  let other = "";

  beforeAll(async () => {
    database = await createTestDatabase("pglite");
    const rateLimit = new TokenBuckets({ perSecond: 1, burst: 2, now: () => now });
    handler = createIngestHandler({ getDb: async () => database.db, getPersonalDataKeys: async () => TEST_KEYS, rateLimit });
    fast = (await createApiKey(database.db, { owner: "chatty-service", createdBy: "test" })).secret;
    other = (await createApiKey(database.db, { owner: "quiet-service", createdBy: "test" })).secret;
  });
  afterAll(async () => {
    await database?.drop();
  });

  const countDecisions = async () => (await database.db.select({ n: count() }).from(decisions))[0]!.n;
  const post = (key: string, body: BodyInit = JSON.stringify({ ...structuredClone(PROFILE_EXAMPLES.loanDenialHumanApproved), id: randomUUID() })) =>
    handler(
      new Request("http://ledger.test/api/v1/decisions", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body,
      }),
    );

  test("answers 429 rate_limited with Retry-After, stores nothing, and leaves other keys alone", async () => {
    expect((await post(fast)).status).toBe(201);
    expect((await post(fast)).status).toBe(201);
    const before = await countDecisions();

    const refused = await post(fast);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.headers.get("x-experience-api-version")).toBe("2.0.0");
    const body = (await refused.json()) as { error: { status: number; code: string; message: string; problems: unknown[]; requestId: string } };
    expect(body.error).toMatchObject({ status: 429, code: "rate_limited", problems: [] });
    expect(body.error.requestId).toBe(refused.headers.get("x-request-id"));
    expect(await countDecisions()).toBe(before);

    expect((await post(other)).status).toBe(201);
    now += 1_000;
    expect((await post(fast)).status).toBe(201);
  });

  test("the limit is checked before the body is read", async () => {
    now += 10_000;
    await post(fast);
    await post(fast);
    // An invalid body would be 400 if it were read: the key's limit answers first.
    expect((await post(fast, "{ not json")).status).toBe(429);
  });

  test("a bad key is refused 401 before it costs any key's tokens", async () => {
    now += 10_000;
    for (let i = 0; i < 5; i++) expect((await post("dl_not_a_key")).status).toBe(401);
    expect((await post(other)).status).toBe(201);
  });
});
