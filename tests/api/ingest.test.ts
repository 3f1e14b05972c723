import { randomUUID } from "node:crypto";
import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DatabaseUnavailableError } from "@/db/client";
import { readLogSize } from "@/db/queries/log-entries";
import { decisions, logEntries } from "@/db/schema";
import { createIngestHandler } from "@/lib/api/ingest";
import { INGEST_LIMITS } from "@/lib/api/limits";
import { generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import { PROFILE_EXAMPLES } from "@/lib/ledger/profile-examples";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import { createApiKey, revokeApiKey } from "@/lib/services/api-keys";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";

const URL_ = "http://ledger.test/api/v1/decisions";

/** A profile example with a fresh id, so tests in one database never collide. */
function statement(overrides: Partial<XapiStatement> = {}): XapiStatement {
  return { ...structuredClone(PROFILE_EXAMPLES.loanDenialHumanApproved), id: randomUUID(), ...overrides };
}

interface ErrorBody {
  error: {
    status: number;
    code: string;
    message: string;
    requestId: string;
    problems: { index: number; pointer: string; message: string }[];
    location?: { line: number; column: number; byteOffset: number };
  };
}
interface OkBody {
  stored: { index: number; id: string; seq: number; leafHash: string; created: boolean; personalPointers: string[] }[];
  treeSize: number;
}

describe.each(DATABASE_KINDS)("POST /api/v1/decisions on %s", (kind) => {
  let database: TestDatabase;
  let handler: (req: Request) => Promise<Response>;
  let secret: string;
  let revokedSecret: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    handler = createIngestHandler({ getDb: async () => database.db, getPersonalDataKeys: async () => TEST_KEYS });
    secret = (await createApiKey(database.db, { owner: "loan-underwriting-service", createdBy: "test" })).secret;
    const revoked = await createApiKey(database.db, { owner: "retired-service", createdBy: "test" });
    await revokeApiKey(database.db, { id: revoked.key.id, actor: { email: "test@example.com" } });
    revokedSecret = revoked.secret;
  });
  afterAll(async () => {
    await database?.drop();
  });

  const countDecisions = async () => (await database.db.select({ n: count() }).from(decisions))[0]!.n;
  const decisionsWithId = (id: string) => database.db.select({ seq: decisions.seq }).from(decisions).where(eq(decisions.id, id));

  function post(body: BodyInit | null, opts: { key?: string | null; contentType?: string | null; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...opts.headers };
    const key = opts.key === undefined ? secret : opts.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    const contentType = opts.contentType === undefined ? "application/json" : opts.contentType;
    if (contentType !== null) headers["content-type"] = contentType;
    return handler(new Request(URL_, { method: "POST", headers, body, duplex: "half" } as RequestInit));
  }
  const postJson = (value: unknown, opts: Parameters<typeof post>[1] = {}) => post(JSON.stringify(value), opts);

  async function expectError(res: Response, status: number, code: string): Promise<ErrorBody["error"]> {
    const body = (await res.json()) as ErrorBody;
    expect({ status: res.status, code: body.error.code }, body.error.message).toEqual({ status, code });
    expect(body.error.status).toBe(status);
    expect(Array.isArray(body.error.problems)).toBe(true);
    expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("x-request-id")).toBe(body.error.requestId);
    expect(res.headers.get("x-experience-api-version")).toBe("2.0.0");
    return body.error;
  }

  test("stores one statement: 201 with its sequence number and leaf hash", async () => {
    const before = await countDecisions();
    const s = statement();
    const res = await postJson(s);
    expect(res.status).toBe(201);
    expect(res.headers.get("x-experience-api-version")).toBe("2.0.0");
    const body = (await res.json()) as OkBody;
    expect(body.stored).toHaveLength(1);
    expect(body.stored[0]).toMatchObject({ index: 0, id: s.id, created: true });
    expect(body.stored[0]!.leafHash).toMatch(/^[0-9a-f]{64}$/);
    expect(body.treeSize).toBe(body.stored[0]!.seq + 1);
    expect(await countDecisions()).toBe(before + 1);
    const rows = await database.db.select({ writer: decisions.writer }).from(decisions).where(eq(decisions.id, s.id!));
    expect(rows.map((r) => r.writer)).toEqual(["loan-underwriting-service"]);
  });

  test("a retry with the same id and content is idempotent: 200, created false, same record", async () => {
    const s = statement();
    const first = (await (await postJson(s)).json()) as OkBody;
    const before = await countDecisions();
    const res = await postJson(s);
    expect(res.status).toBe(200);
    const again = (await res.json()) as OkBody;
    expect(again.stored[0]).toEqual({ ...first.stored[0], created: false });
    expect(await countDecisions()).toBe(before);
  });

  test("a batch is stored in order with consecutive sequence numbers", async () => {
    const batch = [statement(), statement(), { ...structuredClone(PROFILE_EXAMPLES.moderationFlagAiOnly), id: randomUUID() }];
    const res = await postJson(batch);
    expect(res.status).toBe(201);
    const body = (await res.json()) as OkBody;
    expect(body.stored.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(body.stored.map((r) => r.id)).toEqual(batch.map((s) => s.id));
    const first = body.stored[0]!.seq;
    expect(body.stored.map((r) => r.seq)).toEqual([first, first + 1, first + 2]);
  });

  test("a member named __proto__ is stored as data (no prototype pollution) and retries still match", async () => {
    const s = statement();
    (s.context!.extensions as Record<string, unknown>)["https://example.com/ext/raw"] = { PROTO: { polluted: true }, zero: -0, text: "\u2028é😀" };
    const text = JSON.stringify(s).replace('"PROTO"', '"__proto__"');
    const first = await post(text);
    expect(first.status).toBe(201);
    expect((await post(text)).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const rows = await database.db.select({ canonical: decisions.canonical }).from(decisions).where(eq(decisions.id, s.id!));
    expect(rows[0]!.canonical).toContain('"__proto__":{"polluted":true}');
  });

  test("charset=UTF-8 (any case) is accepted", async () => {
    const res = await postJson(statement(), { contentType: "application/json; charset=UTF-8" });
    expect(res.status).toBe(201);
  });

  describe("authentication", () => {
    test("no Authorization header: 401 with WWW-Authenticate", async () => {
      const res = await postJson(statement(), { key: null });
      await expectError(res, 401, "unauthenticated");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="decision-ledger"/);
    });

    test("another scheme: 401", async () => {
      const res = await postJson(statement(), { key: null, headers: { authorization: `Basic ${btoa("a:b")}` } });
      await expectError(res, 401, "unauthenticated");
    });

    test("an unknown key: 401 invalid_token", async () => {
      const res = await postJson(statement(), { key: "dl_live_" + "A".repeat(32) });
      await expectError(res, 401, "unauthenticated");
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    });

    test("a revoked key: 401, nothing stored", async () => {
      const before = await countDecisions();
      const res = await postJson(statement(), { key: revokedSecret });
      await expectError(res, 401, "unauthenticated");
      expect(await countDecisions()).toBe(before);
    });

    test("the key is checked before the body is read (a bad body from an anonymous client is a 401)", async () => {
      const res = await post("{not json", { key: null });
      await expectError(res, 401, "unauthenticated");
    });
  });

  describe("content type", () => {
    test.each([
      ["missing", null],
      ["text/plain", "text/plain"],
      ["form", "application/x-www-form-urlencoded"],
      ["latin-1 charset", "application/json; charset=iso-8859-1"],
      ["utf-16 charset", 'application/json; charset="utf-16"'],
    ])("%s: 415", async (_label, contentType) => {
      const res = await postJson(statement(), { contentType });
      await expectError(res, 415, "unsupported_media_type");
    });
  });

  describe("size", () => {
    const big = () => JSON.stringify([statement({ result: { response: "x".repeat(INGEST_LIMITS.maxBytes) } })]);

    test("a body over 5 MB without Content-Length is cut off while streaming: 413", async () => {
      const bytes = new TextEncoder().encode(big());
      let pulled = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled >= bytes.length) return controller.close();
          controller.enqueue(bytes.subarray(pulled, pulled + 65536));
          pulled += 65536;
        },
      });
      const before = await countDecisions();
      const res = await post(stream);
      await expectError(res, 413, "payload_too_large");
      // The reader stopped soon after the cap instead of buffering everything.
      expect(pulled).toBeLessThan(INGEST_LIMITS.maxBytes + 4 * 65536);
      expect(await countDecisions()).toBe(before);
    });

    test("a declared Content-Length over the limit is refused without reading: 413", async () => {
      const res = await post("{}", { headers: { "content-length": String(INGEST_LIMITS.maxBytes + 1) } });
      await expectError(res, 413, "payload_too_large");
    });

    test("more than 1,000 statements: 413 too_many_statements", async () => {
      const batch = Array.from({ length: INGEST_LIMITS.maxStatements + 1 }, () => statement());
      const before = await countDecisions();
      await expectError(await postJson(batch), 413, "too_many_statements");
      expect(await countDecisions()).toBe(before);
    });
  });

  describe("body syntax", () => {
    test("bytes that are not UTF-8: 400 naming the byte offset", async () => {
      const prefix = new TextEncoder().encode('{"a":"é');
      const bytes = new Uint8Array([...prefix, 0xff, ...new TextEncoder().encode('"}')]);
      const error = await expectError(await post(bytes), 400, "invalid_encoding");
      expect(error.location?.byteOffset).toBe(prefix.length);
      expect(error.message).toContain(`byte offset ${prefix.length}`);
    });

    test("a truncated UTF-8 sequence at the end: 400 at its first byte", async () => {
      const prefix = new TextEncoder().encode('{"a":"');
      const bytes = new Uint8Array([...prefix, 0xe2, 0x82]);
      const error = await expectError(await post(bytes), 400, "invalid_encoding");
      expect(error.location?.byteOffset).toBe(prefix.length);
    });

    test("malformed JSON: 400 with line, column and byte offset", async () => {
      const text = '{\n  "actor": {},\n  "verb": ,\n}';
      const error = await expectError(await post(text), 400, "invalid_json");
      expect(error.location).toEqual({ line: 3, column: 11, byteOffset: text.indexOf(" ,") + 1 });
      expect(error.message).toContain("line 3, column 11");
    });

    test("positions count characters, byte offsets count UTF-8 bytes", async () => {
      const text = '{"name":"Zoë","x":tru}';
      const error = await expectError(await post(text), 400, "invalid_json");
      const at = text.indexOf("tru}");
      expect(error.location).toEqual({ line: 1, column: at + 1, byteOffset: at + 1 });
    });

    test("trailing comma, missing value, trailing garbage: 400 invalid_json", async () => {
      for (const text of ['[{"a":1},]', '{"a":1,}', "{} {}", "[1 2]", '{"a":01}', '"\u0001"', "{'a':1}"]) {
        const error = await expectError(await post(text), 400, "invalid_json");
        expect(error.location, text).toBeDefined();
      }
    });

    test("an empty body: 400 invalid_body", async () => {
      await expectError(await post(""), 400, "invalid_body");
    });

    test("duplicate member names: 400 duplicate_key", async () => {
      const text = JSON.stringify(statement()).replace(/^\{/, '{"verb":{"id":"https://example.com/v"},');
      const error = await expectError(await post(text), 400, "duplicate_key");
      expect(error.message).toContain('"verb"');
    });

    test("nesting deeper than 32 levels: 400 too_deep, for a single statement and inside a batch", async () => {
      const deep = (levels: number): unknown => (levels === 0 ? 1 : { a: deep(levels - 1) });
      const ext = (levels: number) =>
        statement({ result: { extensions: { "https://example.com/ext": deep(levels) } } });
      // statement (1) → result (2) → extensions (3) → value: 29 more objects reach depth 32.
      const single33 = JSON.stringify(ext(30));
      await expectError(await post(single33), 400, "too_deep");
      await expectError(await post(`[${single33}]`), 400, "too_deep");
      // Exactly 32 levels is fine (as a statement and inside a batch).
      const ok = await postJson([ext(29)]);
      expect(ok.status).toBe(201);
      // Pathological nesting is refused without recursing through it.
      await expectError(await post("[".repeat(100_000) + "]".repeat(100_000)), 400, "too_deep");
    });

    test("a top-level value that is not a statement or a batch: 400 invalid_body", async () => {
      for (const text of ["42", '"statement"', "null", "true", "[]"]) {
        await expectError(await post(text), 400, "invalid_body");
      }
    });
  });

  describe("statement problems", () => {
    test("a string longer than the limit: 400 naming the pointer", async () => {
      const s = statement({ result: { response: "x".repeat(INGEST_LIMITS.maxStringBytes + 1) } });
      const error = await expectError(await postJson(s), 400, "invalid_statements");
      expect(error.problems).toContainEqual(expect.objectContaining({ index: 0, pointer: "/result/response" }));
    });

    test("duplicate ids within a batch: 400 naming both indexes", async () => {
      const dup = statement();
      const error = await expectError(await postJson([dup, statement(), { ...dup }]), 400, "invalid_statements");
      const problem = error.problems.find((p) => p.pointer === "/id");
      expect(problem?.index).toBe(2);
      expect(problem?.message).toContain("index 0");
    });

    test("one invalid statement refuses the whole batch: nothing stored", async () => {
      const before = await countDecisions();
      const batch = [statement(), statement(), statement(), { ...statement(), timestamp: "yesterday" }, statement()];
      const error = await expectError(await postJson(batch), 400, "invalid_statements");
      expect(error.problems).toEqual([expect.objectContaining({ index: 3, pointer: "/timestamp" })]);
      expect(await countDecisions()).toBe(before);
      for (const s of batch) {
        const rows = await database.db.select({ seq: logEntries.seq }).from(logEntries).where(eq(logEntries.entryId, s.id!));
        expect(rows).toHaveLength(0);
      }
    });

    test("a single invalid statement is reported at index 0", async () => {
      const { verb: _verb, ...noVerb } = statement();
      void _verb;
      const error = await expectError(await postJson(noVerb), 400, "invalid_statements");
      expect(error.problems).toContainEqual(expect.objectContaining({ index: 0, pointer: "/verb" }));
    });

    test("an existing id with different content: 409, nothing stored", async () => {
      const s = statement();
      expect((await postJson(s)).status).toBe(201);
      const before = await countDecisions();
      const fresh = statement();
      const changed = { ...s, result: { ...s.result, response: "changed after the fact" } };
      const error = await expectError(await postJson([fresh, changed]), 409, "conflict");
      expect(error.problems).toEqual([expect.objectContaining({ index: 1, pointer: "/id" })]);
      expect(await countDecisions()).toBe(before);
      expect(await decisionsWithId(fresh.id!)).toHaveLength(0);
    });
  });

  test("a batch of 1,000 statements is stored in one request", async () => {
    const batch = generateDemoStatements({ count: 1000, now: new Date("2025-03-01T00:00:00Z"), days: 10, seed: `ingest-1000-${kind}` });
    const before = await countDecisions();
    const res = await postJson(batch);
    expect(res.status).toBe(201);
    const body = (await res.json()) as OkBody;
    expect(body.stored).toHaveLength(1000);
    expect(body.stored.every((r) => r.created)).toBe(true);
    expect(await countDecisions()).toBe(before + 1000);
  });

  test("concurrent requests get distinct, gap-free sequence numbers", async () => {
    const requests = Array.from({ length: 8 }, () => Array.from({ length: 25 }, () => statement()));
    const responses = await Promise.all(requests.map((batch) => postJson(batch)));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as OkBody[];
    expect(responses.map((r) => r.status)).toEqual(requests.map(() => 201));
    const seqs = bodies.flatMap((b) => b.stored.map((r) => r.seq)).sort((a, b) => a - b);
    expect(new Set(seqs).size).toBe(200);
    expect(seqs[seqs.length - 1]! - seqs[0]!).toBe(199);
    // Each request's records are contiguous (one transaction each).
    for (const b of bodies) expect(b.stored[24]!.seq - b.stored[0]!.seq).toBe(24);
    expect(Math.max(...bodies.map((b) => b.treeSize))).toBe(await readLogSize(database.db, "decisions"));
  });

  test("concurrent retries of the same statement store it once", async () => {
    const s = statement();
    const responses = await Promise.all(Array.from({ length: 5 }, () => postJson(s)));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as OkBody[];
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(bodies.map((b) => b.stored[0]!.seq)).size).toBe(1);
    expect(await decisionsWithId(s.id!)).toHaveLength(1);
  });
});

describe("server failures", () => {
  const req = () =>
    new Request(URL_, { method: "POST", headers: { authorization: "Bearer x", "content-type": "application/json" }, body: "{}" });

  test("an unexpected error is a 500 with a request id and no internals", async () => {
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      const res = await createIngestHandler({
        getPersonalDataKeys: async () => TEST_KEYS,
        getDb: async () => {
          throw new Error("relation secret_table at /srv/app does not exist");
        },
      })(req());
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).not.toContain("secret_table");
      expect(text).not.toContain("/srv/app");
      const body = JSON.parse(text) as ErrorBody;
      expect(body.error.code).toBe("internal_error");
      expect(body.error.message).toContain(body.error.requestId);
      // The server log has the details, keyed by the same request id.
      expect(JSON.stringify(errors.map(String))).toContain(body.error.requestId);
    } finally {
      console.error = original;
    }
  });

  test("an unreachable database is a 503 with Retry-After", async () => {
    const original = console.error;
    console.error = () => {};
    try {
      const res = await createIngestHandler({
        getPersonalDataKeys: async () => TEST_KEYS,
        getDb: async () => {
          throw new DatabaseUnavailableError("Cannot reach the Postgres server");
        },
      })(req());
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect(((await res.json()) as ErrorBody).error.code).toBe("unavailable");
    } finally {
      console.error = original;
    }
  });
});
