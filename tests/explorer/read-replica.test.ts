import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase, type Database } from "@/db/client";
import { countDecisions, histogramDecisions, listDecisionFilterOptions, listDecisions } from "@/db/queries/decisions";
import { readLogSize } from "@/db/queries/log-entries";
import { generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import { noDecisionFilters, type DecisionFilters } from "@/lib/filters/decision-filters";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { loadConfig } from "@/lib/server/config";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";
import { replicaPairUnavailable, startReplicaPair, type ReplicaPair } from "../support/replica-cluster";

const NOW = new Date("2026-03-15T12:00:00Z");
const unavailable = replicaPairUnavailable();
if (unavailable) console.warn(`read-replica tests skipped: ${unavailable}`);

const CASES: [string, DecisionFilters][] = [
  ["everything", noDecisionFilters()],
  ["a window", { ...noDecisionFilters(), from: new Date("2026-03-01T00:00:00Z"), to: new Date("2026-03-10T06:30:00Z") }],
  ["AI only, approved or overridden", { ...noDecisionFilters(), actorTypes: ["ai"], humanReview: ["approved", "overridden"] }],
  ["text search", { ...noDecisionFilters(), text: "income" }],
];

describe.skipIf(unavailable !== null)("the explorer on a streaming replica (DATABASE_REPLICA_URL)", () => {
  let pair: ReplicaPair;
  let primary: Database;
  let replica: Database;

  beforeAll(async () => {
    pair = await startReplicaPair();
    primary = await openDatabase({ url: pair.primaryUrl });
    await migrateDatabase(primary);
    const statements = generateDemoStatements({ count: 600, now: NOW, days: 30, seed: "replica" });
    for (let i = 0; i < statements.length; i += 200) await appendDecisions(primary.db, TEST_KEYS, statements.slice(i, i + 200), { name: "replica-test" }, NOW);
    replica = await openDatabase({ url: pair.replicaUrl });
    // Streaming replication is asynchronous: wait until the standby has replayed the appends.
    for (let tries = 0; (await readLogSize(replica.db, "decisions")) < 600; tries++) {
      if (tries > 200) throw new Error("the replica did not catch up within 20 s");
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 180_000);

  afterAll(async () => {
    await replica?.close();
    await primary?.close();
    pair?.stop();
  });

  it("is a hot standby: it refuses writes", async () => {
    const refused = await appendDecisions(replica.db, TEST_KEYS, generateDemoStatements({ count: 1, now: NOW, days: 1, seed: "w" }), { name: "x" }, NOW).catch(
      (error: unknown) => error as Error,
    );
    expect(String((refused as Error).cause)).toMatch(/read-only transaction/);
  });

  it.each(CASES)("lists, counts and histograms %s exactly as the primary", async (_name, filters) => {
    const sort = { key: "occurredAt", direction: "desc" } as const;
    for (const db of [primary.db, replica.db]) expect(await readLogSize(db, "decisions")).toBe(600);
    expect(await listDecisions(replica.db, { filters, sort, limit: 25 })).toEqual(await listDecisions(primary.db, { filters, sort, limit: 25 }));
    expect(await countDecisions(replica.db, filters)).toEqual(await countDecisions(primary.db, filters));
    expect(await histogramDecisions(replica.db, filters, NOW)).toEqual(await histogramDecisions(primary.db, filters, NOW));
  });

  it("offers the same filter options", async () => {
    expect(await listDecisionFilterOptions(replica.db)).toEqual(await listDecisionFilterOptions(primary.db));
  });
});

describe("DATABASE_REPLICA_URL", () => {
  it("needs DATABASE_URL and a postgres URL", () => {
    expect(() => loadConfig({ DATABASE_REPLICA_URL: "postgres://replica/x" })).toThrow(/DATABASE_REPLICA_URL: needs DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: "postgres://p/x", DATABASE_REPLICA_URL: "mysql://r/x" })).toThrow(/DATABASE_REPLICA_URL: must be a postgres/);
    expect(loadConfig({ DATABASE_URL: "postgres://p/x", DATABASE_REPLICA_URL: "postgres://r/x" }).DATABASE_REPLICA_URL).toBe("postgres://r/x");
  });
});
