import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { executeSql, openDatabase, queryRows, type Db } from "@/db/client";
import { bigintColumn } from "@/db/rows/columns";
import { countDecisionRows, countDecisions, histogramDecisions } from "@/db/queries/decisions";
import { DAY_MS, HOUR_MS, splitWindow, type CountGrain } from "@/db/queries/decision-counts";
import { noDecisionFilters, type DecisionFilters } from "@/lib/filters/decision-filters";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { verifyLog } from "@/lib/ledger-store/verify/verify-database";
import { generateSignerKey } from "@/lib/ledger/signed-note";
import { ACTOR_TYPES, HUMAN_REVIEW_VALUES } from "@/lib/ledger/xapi/actor-type";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import { seededRandom } from "../support/seeded-random";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";
import { buildFixtures, FIXTURE_NOW, RARE_WORD } from "./fixtures";

// The decision counts (rollups, migration 0009) must give exactly what the row path gives, for
// every filter they answer and every window, after appends, deletes and concurrent writers.

const SPAN_DAYS = 150;
const WRITER = { name: "counts-test-writer" };

/** Fixture statements spread over SPAN_DAYS, some exactly on an hour or a midnight (UTC). */
function spreadStatements(count: number, seed: number, idOffset: number): XapiStatement[] {
  const random = seededRandom(seed);
  return buildFixtures(count + idOffset)
    .slice(idOffset)
    .map(({ statement }, i) => {
      let t = FIXTURE_NOW.getTime() - Math.floor(random() * SPAN_DAYS * DAY_MS);
      if (i % 7 === 0) t = Math.floor(t / HOUR_MS) * HOUR_MS;
      if (i % 17 === 0) t = Math.floor(t / DAY_MS) * DAY_MS;
      return { ...statement, timestamp: new Date(t).toISOString() };
    });
}

/** Fixture statements packed into the hour before `hourEnd` (ms): edges where several combinations share the first or last hour. */
function packedStatements(count: number, seed: number, idOffset: number, hourEnd: number): XapiStatement[] {
  const random = seededRandom(seed);
  return buildFixtures(count + idOffset)
    .slice(idOffset)
    .map(({ statement }) => ({ ...statement, timestamp: new Date(hourEnd - 1 - Math.floor(random() * HOUR_MS)).toISOString() }));
}

/** Subset of `values` (possibly empty), sometimes with a value nothing has. */
function someOf<T extends string>(random: () => number, values: readonly T[], absent?: T): T[] {
  if (random() < 0.55) return [];
  const picked = values.filter(() => random() < 0.4);
  if (absent !== undefined && random() < 0.1) picked.push(absent);
  return picked;
}

/** A time bound: none, anywhere, on an hour, on a midnight. */
function bound(random: () => number): Date | null {
  const r = random();
  if (r < 0.2) return null;
  const t = FIXTURE_NOW.getTime() - Math.floor(random() * (SPAN_DAYS + 10) * DAY_MS);
  if (r < 0.35) return new Date(Math.floor(t / HOUR_MS) * HOUR_MS);
  if (r < 0.45) return new Date(Math.floor(t / DAY_MS) * DAY_MS);
  return new Date(t);
}

/** A window of any width, from minutes (row-path histogram buckets) to the whole ledger. */
function randomWindow(random: () => number): Pick<DecisionFilters, "from" | "to"> {
  const from = bound(random);
  if (from && random() < 0.35) {
    const widths = [20 * 60_000, 2 * HOUR_MS + 13 * 60_000, 30 * HOUR_MS, 4 * DAY_MS + 7_000, 40 * DAY_MS, 120 * DAY_MS];
    return { from, to: new Date(from.getTime() + widths[Math.floor(random() * widths.length)]!) };
  }
  const to = bound(random);
  return from && to && to < from ? { from: to, to: from } : { from, to };
}

interface Values {
  aiSystems: string[];
  modelVersions: string[];
  verbs: string[];
  outcomes: string[];
  entityTypes: string[];
}

function randomFilters(random: () => number, v: Values): DecisionFilters {
  return {
    ...noDecisionFilters(),
    ...randomWindow(random),
    actorTypes: someOf(random, ACTOR_TYPES.map((a) => a.value)),
    humanReview: someOf(random, HUMAN_REVIEW_VALUES),
    aiSystems: someOf(random, v.aiSystems, "No Such System"),
    modelVersions: someOf(random, v.modelVersions, "0.0.0-none"),
    verbs: someOf(random, v.verbs),
    outcomes: someOf(random, v.outcomes),
    entityType: random() < 0.2 ? (v.entityTypes[Math.floor(random() * v.entityTypes.length)] ?? null) : null,
  };
}

const valueRow = z.object({ v: z.string() });

async function distinct(db: Db, column: string): Promise<string[]> {
  const rows = await queryRows(db, sql`select distinct ${sql.raw(column)} as v from decisions where ${sql.raw(column)} is not null`, valueRow);
  return rows.map((r) => r.v);
}

async function presentValues(db: Db): Promise<Values> {
  return {
    aiSystems: await distinct(db, "ai_system"),
    modelVersions: await distinct(db, "model_version"),
    verbs: await distinct(db, "verb"),
    outcomes: await distinct(db, "outcome"),
    entityTypes: await distinct(db, "entity_type"),
  };
}

/** Compares the counts path with the row path for `cases` random filter combinations and windows. */
async function expectCountsMatchRows(db: Db, seed: number, cases: number): Promise<void> {
  const random = seededRandom(seed);
  const values = await presentValues(db);
  for (let i = 0; i < cases; i++) {
    const f = randomFilters(random, values);
    const label = JSON.stringify(f);
    expect(await countDecisions(db, f), label).toEqual(await countDecisionRows(db, f));
    const fromCounts = await histogramDecisions(db, f, FIXTURE_NOW);
    const fromRows = await histogramDecisions(db, f, FIXTURE_NOW, { useCounts: false });
    expect(fromCounts, label).toEqual(fromRows);
  }
}

const totalsRow = z.object({ rows: bigintColumn, hourly: bigintColumn, daily: bigintColumn });

async function totals(db: Db) {
  const r = await queryRows(
    db,
    sql`select (select count(*) from decisions) as rows,
               (select coalesce(sum(n), 0) from decision_counts_hourly) as hourly,
               (select coalesce(sum(n), 0) from decision_counts_daily) as daily`,
    totalsRow,
  );
  return r[0]!;
}

/** Runs SQL as a superuser past the append-only refusal (the count triggers still fire: ENABLE ALWAYS). */
async function asSuperuser(db: Db, statements: string[]): Promise<void> {
  await db.transaction(async (tx) => {
    await executeSql(tx, sql.raw("set local session_replication_role = replica"));
    for (const s of statements) await executeSql(tx, sql.raw(s));
  });
}

async function verifyFindings(db: Db): Promise<string[]> {
  const { verifierKey } = await generateSignerKey("ledger.test");
  // The deletes above are findings too (missing records): list them all so ours is never cut off.
  const report = await verifyLog(db, { logId: "decisions", verifierKeys: [verifierKey], maxFailures: 10_000 });
  return report.failures.map((f) => `${f.class}: ${f.message}`);
}

describe("splitWindow", () => {
  const random = seededRandom(11);
  const at = (d: Date | null, open: number) => (d === null ? open : d.getTime());
  test.each<[string, CountGrain[]]>([
    ["hours and days", ["hour", "day"]],
    ["hours only", ["hour"]],
  ])("tiles every window exactly, with rows only in at most two partial hours (%s)", (_name, grains) => {
    for (let i = 0; i < 2000; i++) {
      const { from, to } = randomWindow(random);
      const pieces = splitWindow(from, to, grains);
      if (from && to && from >= to) {
        expect(pieces).toEqual([]);
        continue;
      }
      expect(at(pieces[0]!.from, -Infinity)).toBe(at(from, -Infinity));
      expect(at(pieces.at(-1)!.to, Infinity)).toBe(at(to, Infinity));
      for (let k = 1; k < pieces.length; k++) expect(pieces[k]!.from!.getTime()).toBe(pieces[k - 1]!.to!.getTime());
      const rows = pieces.filter((p) => p.source === "rows");
      expect(rows.length).toBeLessThanOrEqual(2);
      for (const p of rows) expect(at(p.to, Infinity) - at(p.from, -Infinity)).toBeLessThan(2 * HOUR_MS);
      for (const p of pieces.filter((x) => x.source !== "rows")) {
        const unit = p.source === "day" ? DAY_MS : HOUR_MS;
        if (p.from) expect(p.from.getTime() % unit).toBe(0);
        if (p.to) expect(p.to.getTime() % unit).toBe(0);
      }
      if (!grains.includes("day")) expect(pieces.some((p) => p.source === "day")).toBe(false);
    }
  });
});

describe.each(DATABASE_KINDS)("decision counts on %s", (kind) => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    db = database.db;
  });
  afterAll(async () => {
    await database?.drop();
  });

  test("counts and histograms from the counts equal the row path after each of several appends", async () => {
    for (let batch = 0; batch < 3; batch++) {
      await appendDecisions(db, TEST_KEYS, spreadStatements(160, 100 + batch, batch * 160), WRITER, FIXTURE_NOW);
      const t = await totals(db);
      expect(t).toEqual({ rows: (batch + 1) * 160, hourly: t.rows, daily: t.rows });
      await expectCountsMatchRows(db, 1000 + batch, 60);
    }
    // The first and the last hour of the ledger, each shared by many combinations: open windows
    // are closed at the first/last match, which the counts path finds hour by hour.
    const firstHourEnd = Math.floor((FIXTURE_NOW.getTime() - (SPAN_DAYS + 2) * DAY_MS) / HOUR_MS) * HOUR_MS;
    await appendDecisions(db, TEST_KEYS, packedStatements(60, 7, 480, firstHourEnd), WRITER, FIXTURE_NOW);
    await appendDecisions(db, TEST_KEYS, packedStatements(60, 8, 540, FIXTURE_NOW.getTime()), WRITER, FIXTURE_NOW);
    await expectCountsMatchRows(db, 1500, 80);
    await asSuperuser(db, ["delete from decisions where seq >= 480"]);
    expect(await totals(db)).toEqual({ rows: 480, hourly: 480, daily: 480 });
  });

  test("the count over the dimension filters is exact beyond the row path's cap", async () => {
    const f = noDecisionFilters();
    expect(await countDecisions(db, f)).toEqual({ count: 480, capped: false });
    expect(await countDecisionRows(db, f, 100)).toEqual({ count: 100, capped: true });
    // A filter the counts cannot answer keeps the row path and its cap.
    expect(await countDecisions(db, { ...f, text: RARE_WORD }, 10)).toMatchObject({ capped: true });
  });

  test("a delete and an update (append-only refusal lifted by a superuser) keep the counts exact", async () => {
    await asSuperuser(db, ["delete from decisions where seq % 5 = 0", "update decisions set verb = 'reconsidered' where seq % 7 = 0"]);
    const afterDelete = await totals(db);
    expect(afterDelete.rows).toBe(480 - 96);
    expect(afterDelete).toMatchObject({ hourly: afterDelete.rows, daily: afterDelete.rows });
    await expectCountsMatchRows(db, 2000, 40);
    expect(await verifyFindings(db)).toEqual(expect.not.arrayContaining([expect.stringContaining("decision counts")]));
    // Counts that reached 0 leave no row behind.
    const zeros = await queryRows(db, sql`select count(*) as n from decision_counts_hourly where n <= 0`, z.object({ n: bigintColumn }));
    expect(zeros[0]!.n).toBe(0);
  });

  test("verify-db reports counts that differ from the rows as a finding", async () => {
    expect((await verifyFindings(db)).filter((f) => f.includes("decision counts"))).toEqual([]);
    await executeSql(db, sql`update decision_counts_daily set n = n + 3 where bucket = (select min(bucket) from decision_counts_daily)`);
    // The count reads the counts (it is not the row path in disguise) ...
    const all = noDecisionFilters();
    expect((await countDecisions(db, all)).count).toBe((await countDecisionRows(db, all)).count + 3);
    const findings = (await verifyFindings(db)).filter((f) => f.includes("decision counts"));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatch(/^modified_record: the daily decision counts \(decision_counts_daily\) disagree .* for 1 combination/);
    await executeSql(db, sql`update decision_counts_daily set n = n - 3 where bucket = (select min(bucket) from decision_counts_daily)`);
    expect((await verifyFindings(db)).filter((f) => f.includes("decision counts"))).toEqual([]);
  });

  test("decision_counts_forget_partition before dropping a partition keeps the counts exact", async () => {
    // Appended now, into a second month's partition (recorded_at decides the partition).
    await appendDecisions(db, TEST_KEYS, spreadStatements(40, 300, 900), WRITER, new Date("2026-04-02T00:00:00Z"));
    const parts = await queryRows(db, sql`select c.relname as v from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'decisions'::regclass order by 1`, valueRow);
    expect(parts.length).toBeGreaterThanOrEqual(2);
    const victim = parts.at(-1)!.v;
    await db.transaction(async (tx) => {
      await executeSql(tx, sql`select decision_counts_forget_partition(${victim}::regclass)`);
      await executeSql(tx, sql.raw(`alter table decisions detach partition ${victim}`));
      await executeSql(tx, sql.raw(`drop table ${victim}`));
    });
    const t = await totals(db);
    expect(t).toEqual({ rows: 480 - 96, hourly: 480 - 96, daily: 480 - 96 });
    await expectCountsMatchRows(db, 3000, 20);
  });
});

describe.each(DATABASE_KINDS)("decision counts with concurrent appends on %s", (kind) => {
  let database: TestDatabase;
  afterAll(async () => {
    await database?.drop();
  });

  test("two appendDecisions in parallel leave the counts equal to a recount", async () => {
    database = await createTestDatabase(kind);
    // A second connection on Postgres, so the two appends really run at once (PGlite has one).
    const second = database.url ? await openDatabase({ url: database.url }) : null;
    try {
      const writers = [database.db, second?.db ?? database.db];
      await Promise.all(
        writers.map(async (w, k) => {
          for (let b = 0; b < 3; b++) await appendDecisions(w, TEST_KEYS, spreadStatements(50, 400 + 10 * k + b, 1000 + k * 150 + b * 50), WRITER, FIXTURE_NOW);
        }),
      );
    } finally {
      await second?.close();
    }
    expect(await totals(database.db)).toEqual({ rows: 300, hourly: 300, daily: 300 });
    expect((await verifyFindings(database.db)).filter((f) => f.includes("decision counts"))).toEqual([]);
    await expectCountsMatchRows(database.db, 4000, 20);
  });
});
