import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { queryRows } from "@/db/client";
import { bigintColumn } from "@/db/rows/columns";
import { verifyCredentials } from "@/lib/auth/sign-in";
import { generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import {
  DEMO_API_KEY_OWNER,
  DEMO_USERS,
  DEMO_WRITERS,
  demoWriterOf,
  seedDemoIfEmpty,
  type DemoCredentials,
} from "@/lib/demo/seed-demo";
import { generateSignerKey, parseCheckpoint, verifyNote } from "@/lib/ledger/signed-note";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { DirectoryCheckpointStore } from "@/lib/ledger-store/checkpoint-store";
import { readLatestCheckpoint } from "@/lib/ledger-store/create-checkpoint";
import { loadConfig } from "@/lib/server/config";
import type { Runtime } from "@/lib/server/runtime-context";
import { verifyApiKey } from "@/lib/services/api-keys";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";

const quiet = () => {};

async function makeRuntime(database: TestDatabase, dataDir: string): Promise<Runtime> {
  const { signerKey, verifierKey } = await generateSignerKey("demo.test");
  return {
    config: loadConfig({ DATA_DIR: dataDir, LEDGER_ORIGIN: "demo.test", DEMO: "true" }),
    database,
    db: database.db,
    readDb: database.db,
    origin: "demo.test",
    signer: { signerKey },
    verifierKey,
    personalDataKeys: TEST_KEYS,
    externalStore: new DirectoryCheckpointStore(path.join(dataDir, "checkpoints")),
  };
}

const count = async (database: TestDatabase, query: ReturnType<typeof sql>) =>
  (await queryRows(database.db, query, z.object({ n: bigintColumn })))[0]!.n;

describe.each(DATABASE_KINDS)("demo seed on %s", (kind) => {
  let database: TestDatabase;
  let dataDir: string;
  let runtime: Runtime;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    dataDir = mkdtempSync(path.join(tmpdir(), "dl-h4-demo-"));
    runtime = await makeRuntime(database, dataDir);
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("an empty ledger gets users, a key, real decision records and checkpoints", async () => {
    const result = await seedDemoIfEmpty(runtime, { count: 2500, foregroundBatches: 1, log: quiet });

    // Before returning: accounts and the first batch, already checkpointed.
    const file = path.join(dataDir, "demo-credentials.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const credentials = JSON.parse(readFileSync(file, "utf8")) as DemoCredentials;
    expect(credentials.users.map((u) => u.role).sort()).toEqual(DEMO_USERS.map((u) => u.role).sort());
    for (const u of credentials.users) {
      expect(u.email).toMatch(/@demo\.decision-ledger\.local$/);
      expect(u.password.length).toBeGreaterThanOrEqual(12);
      const signIn = await verifyCredentials(database.db, { email: u.email, password: u.password, ip: null, userAgent: null });
      expect(signIn, u.email).toMatchObject({ ok: true });
    }
    expect(new Set(credentials.users.map((u) => u.password)).size).toBe(4);
    expect(await verifyApiKey(database.db, credentials.apiKey)).toMatchObject({ owner: DEMO_API_KEY_OWNER, scope: "ingest" });
    expect(await count(database, sql`select count(*) as n from decisions`)).toBeGreaterThanOrEqual(1000);
    expect((await readLatestCheckpoint(database.db, "decisions"))?.treeSize).toBeGreaterThanOrEqual(1000);

    // Eventually: everything stored and checkpointed.
    const final = await result.done;
    expect(final).toEqual({ state: "done", stored: 2500, total: 2500 });
    expect(await count(database, sql`select count(*) as n from decisions`)).toBe(2500);
    expect(await count(database, sql`select count(*) as n from log_entries where log_id = 'decisions'`)).toBe(2500);
    // Merkle nodes exist for the whole tree: a perfect tree of 2048 leaves has 2047 inner nodes, plus the rest.
    expect(await count(database, sql`select count(*) as n from merkle_nodes where log_id = 'decisions'`)).toBeGreaterThan(2047);

    const writers = await queryRows(database.db, sql`select distinct writer from decisions order by writer`, z.object({ writer: z.string() }));
    expect(writers.map((w) => w.writer)).toEqual(Object.values(DEMO_WRITERS).sort());

    // Recorded order follows the decisions: recorded_at never goes backwards along the log.
    const backwards = await count(
      database,
      sql`select count(*) as n from (select recorded_at < lag(recorded_at) over (order by seq) as back from log_entries where log_id = 'decisions') t where back`,
    );
    expect(backwards).toBe(0);

    for (const logId of ["decisions", "access"] as const) {
      const checkpoint = await readLatestCheckpoint(database.db, logId);
      const size = await count(database, sql`select count(*) as n from log_entries where log_id = ${logId}`);
      expect(checkpoint?.treeSize, logId).toBe(size);
      const verified = await verifyNote(checkpoint!.signedNote, [runtime.verifierKey]);
      expect(parseCheckpoint(verified.text)).toMatchObject({ origin: `demo.test/${logId}`, size });
    }
    // The accounts were created through the services: their access-log entries exist.
    expect(await count(database, sql`select count(*) as n from access_events where action = 'users.create'`)).toBe(4);
    expect(await count(database, sql`select count(*) as n from access_events where action = 'api_keys.create'`)).toBe(1);
    expect(JSON.parse(readFileSync(path.join(dataDir, "demo-seed.json"), "utf8")).completedAt).toBeTruthy();
  });

  test("a second start changes nothing", async () => {
    const before = await count(database, sql`select count(*) as n from decisions`);
    const credentials = readFileSync(path.join(dataDir, "demo-credentials.json"), "utf8");
    const result = await seedDemoIfEmpty(runtime, { count: 2500, log: quiet });
    expect(result.status()).toEqual({ state: "skipped" });
    expect(await count(database, sql`select count(*) as n from decisions`)).toBe(before);
    expect(await count(database, sql`select count(*) as n from users`)).toBe(4);
    expect(readFileSync(path.join(dataDir, "demo-credentials.json"), "utf8")).toBe(credentials);
  });
});

describe("an interrupted demo seed resumes", () => {
  let database: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    database = await createTestDatabase("pglite");
    dataDir = mkdtempSync(path.join(tmpdir(), "dl-h4-demo-resume-"));
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("the same statements are regenerated and only the missing ones are appended", async () => {
    const runtime = await makeRuntime(database, dataDir);
    // What a run stopped after its first batch leaves behind: its plan and a prefix of its statements.
    const plan = { version: 1, seed: "resume-test", now: "2025-03-01T12:00:00.000Z", count: 1800, days: 30, completedAt: null };
    writeFileSync(path.join(dataDir, "demo-seed.json"), JSON.stringify(plan));
    const statements = generateDemoStatements({ count: plan.count, now: new Date(plan.now), days: plan.days, seed: plan.seed });
    const prefix = statements.slice(0, 700);
    for (const writer of Object.values(DEMO_WRITERS)) {
      const mine = prefix.filter((s) => demoWriterOf(s) === writer);
      if (mine.length > 0) await appendDecisions(database.db, TEST_KEYS, mine, { name: writer });
    }
    expect(existsSync(path.join(dataDir, "demo-credentials.json"))).toBe(false);

    const result = await seedDemoIfEmpty(runtime, { log: quiet });
    expect(await result.done).toMatchObject({ state: "done", total: 1800 });
    expect(await count(database, sql`select count(*) as n from decisions`)).toBe(1800);
    const ids = await queryRows(database.db, sql`select id from decisions`, z.object({ id: z.string() }));
    expect(new Set(ids.map((r) => r.id))).toEqual(new Set(statements.map((s) => s.id!.toLowerCase())));
    expect(existsSync(path.join(dataDir, "demo-credentials.json"))).toBe(true);
    expect((await readLatestCheckpoint(database.db, "decisions"))?.treeSize).toBe(1800);
  });
});
