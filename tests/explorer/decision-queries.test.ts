import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { countDecisionRows, countDecisions, getDecision, histogramDecisions, listDecisionFilterOptions, listDecisions, listRelatedDecisions, type DecisionListRow } from "@/db/queries/decisions";
import { readDecisionProof } from "@/lib/ledger-store/read-decision-proof";
import { fromHex, toHex, utf8Encode } from "@/lib/ledger/bytes";
import { nodeHasher } from "@/lib/hash/node-sha256";
import { verifyInclusion } from "@/lib/ledger/merkle";
import type { DecisionColumns } from "@/lib/ledger/xapi/derived-columns";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { createCheckpoint } from "@/lib/ledger-store/create-checkpoint";
import { DirectoryCheckpointStore } from "@/lib/ledger-store/checkpoint-store";
import { generateSignerKey } from "@/lib/ledger/signed-note";
import { noDecisionFilters, type DecisionCursor, type DecisionFilters, type DecisionSort } from "@/lib/filters/decision-filters";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { buildFixtures, FIXTURE_NOW, RARE_WORD, SESSIONS, type Fixture } from "./fixtures";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";

const NO_FILTERS = noDecisionFilters();
const NEWEST: DecisionSort = { key: "occurredAt", direction: "desc" };

interface Stored extends DecisionColumns {
  id: string;
  seq: number;
}

/** Reference implementation of the filters, in plain JS over the derived columns. */
function matches(r: Stored, f: DecisionFilters): boolean {
  const t = r.occurredAt.getTime();
  if (f.from && t < f.from.getTime()) return false;
  if (f.to && t >= f.to.getTime()) return false;
  if (f.entityType && r.entityType !== f.entityType) return false;
  if (f.entityId && (f.entityMatch === "prefix" ? !(r.entityId ?? "").startsWith(f.entityId) : r.entityId !== f.entityId)) return false;
  if (f.actorTypes.length && !f.actorTypes.includes(r.actorType)) return false;
  if (f.aiSystems.length && !f.aiSystems.includes(r.aiSystem ?? "\0")) return false;
  if (f.modelVersions.length && !f.modelVersions.includes(r.modelVersion ?? "\0")) return false;
  if (f.verbs.length && !f.verbs.includes(r.verb)) return false;
  if (f.outcomes.length && !f.outcomes.includes(r.outcome ?? "\0")) return false;
  if (f.humanReview.length && !f.humanReview.includes(r.humanReview)) return false;
  if (f.sessionId && r.sessionId !== f.sessionId) return false;
  if (f.confidenceMin !== null && !(r.confidence !== null && r.confidence >= f.confidenceMin)) return false;
  if (f.confidenceMax !== null && !(r.confidence !== null && r.confidence <= f.confidenceMax)) return false;
  return true;
}

function sortValue(r: Stored, key: DecisionSort["key"]): number {
  if (key === "occurredAt") return r.occurredAt.getTime();
  if (key === "confidence") return r.confidence ?? -2;
  return r.latencyMs ?? -1;
}

function expectedIds(all: Stored[], f: DecisionFilters, sort: DecisionSort): string[] {
  const sign = sort.direction === "desc" ? -1 : 1;
  return all
    .filter((r) => matches(r, f))
    .sort((a, b) => sign * (sortValue(a, sort.key) - sortValue(b, sort.key) || a.seq - b.seq))
    .map((r) => r.id);
}

async function readAllPages(db: TestDatabase["db"], filters: DecisionFilters, sort: DecisionSort, limit: number) {
  const pages: DecisionListRow[][] = [];
  let cursor: DecisionCursor | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await listDecisions(db, { filters, sort, cursor, limit });
    pages.push(page.rows);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return pages;
}

describe.each(DATABASE_KINDS)("decision queries on %s", (kind) => {
  let database: TestDatabase;
  let fixtures: Fixture[];
  let stored: Stored[];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    fixtures = buildFixtures();
    // Two batches so records span two appends (and seq order differs from time order).
    const half = Math.floor(fixtures.length / 2);
    const a = await appendDecisions(database.db, TEST_KEYS, fixtures.slice(half).map((f) => f.statement), { name: "test-writer" }, FIXTURE_NOW);
    const b = await appendDecisions(database.db, TEST_KEYS, fixtures.slice(0, half).map((f) => f.statement), { name: "test-writer" }, FIXTURE_NOW);
    const seqById = new Map([...a.records, ...b.records].map((r) => [r.id, r.seq]));
    stored = fixtures.map((f) => ({ ...f.columns, id: f.statement.id!, seq: seqById.get(f.statement.id!)! }));
  });
  afterAll(async () => {
    await database?.drop();
  });

  test("the newest page without filters is the newest rows in (time, seq) order", async () => {
    const page = await listDecisions(database.db, { filters: NO_FILTERS, sort: NEWEST, limit: 20 });
    expect(page.rows.map((r) => r.id)).toEqual(expectedIds(stored, NO_FILTERS, NEWEST).slice(0, 20));
    expect(page.prevCursor).toBeNull();
    expect(page.nextCursor).not.toBeNull();
    const first = page.rows[0]!;
    const fx = stored.find((s) => s.id === first.id)!;
    expect(new Date(first.occurredAt).getTime()).toBe(fx.occurredAt.getTime());
    expect(first).toMatchObject({ actorType: fx.actorType, verb: fx.verb, entityId: fx.entityId, humanReview: fx.humanReview });
  });

  const cases: [string, Partial<DecisionFilters>][] = [
    ["time window", { from: new Date(FIXTURE_NOW.getTime() - 24 * 3600_000), to: new Date(FIXTURE_NOW.getTime() - 6 * 3600_000) }],
    ["entity type", { entityType: "loan-application" }],
    ["entity id exact", { entityId: "LA-003" }],
    ["entity id prefix", { entityId: "LA-00", entityMatch: "prefix" }],
    ["entity prefix with LIKE wildcards is literal", { entityId: "LA-%", entityMatch: "prefix" }],
    ["actor types", { actorTypes: ["ai", "human_approved_ai"] }],
    ["ai system", { aiSystems: ["Community Safety Classifier"] }],
    ["model version", { modelVersions: ["3.2.0"] }],
    ["verbs", { verbs: ["denied", "overrode"] }],
    ["outcomes", { outcomes: ["denied"] }],
    ["human review", { humanReview: ["approved"] }],
    ["session", { sessionId: SESSIONS[1]! }],
    ["confidence range", { confidenceMin: 0.25, confidenceMax: 0.6 }],
    ["confidence minimum only", { confidenceMin: 0.9 }],
    [
      "everything together",
      {
        from: new Date(FIXTURE_NOW.getTime() - 7 * 24 * 3600_000),
        entityType: "loan-application",
        entityId: "LA-00",
        entityMatch: "prefix",
        actorTypes: ["human_approved_ai"],
        modelVersions: ["3.2.0", "3.1.0"],
        verbs: ["denied"],
        humanReview: ["approved"],
      },
    ],
  ];

  test.each(cases)("filter: %s", async (_name, partial) => {
    const filters = { ...NO_FILTERS, ...partial };
    const expected = expectedIds(stored, filters, NEWEST);
    const pages = await readAllPages(database.db, filters, NEWEST, 9);
    expect(pages.flat().map((r) => r.id)).toEqual(expected);
    expect(await countDecisions(database.db, filters)).toEqual({ count: expected.length, capped: false });
  });

  test("the filters are not vacuous: every case above selects a proper, non-empty subset", () => {
    for (const [name, partial] of cases) {
      if (name.includes("wildcards")) continue;
      const n = expectedIds(stored, { ...NO_FILTERS, ...partial }, NEWEST).length;
      expect(n, name).toBeGreaterThan(0);
      expect(n, name).toBeLessThan(stored.length);
    }
  });

  test.each<[DecisionSort]>([
    [{ key: "occurredAt", direction: "asc" }],
    [{ key: "confidence", direction: "desc" }],
    [{ key: "confidence", direction: "asc" }],
    [{ key: "latencyMs", direction: "desc" }],
    [{ key: "latencyMs", direction: "asc" }],
  ])("keyset pages in %o never skip or repeat a row", async (sort) => {
    const filters = { ...NO_FILTERS, entityType: "loan-application" };
    const pages = await readAllPages(database.db, filters, sort, 7);
    const ids = pages.flat().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expectedIds(stored, filters, sort));
  });

  test("previous-page cursors walk back over exactly the same pages", async () => {
    const pages = await readAllPages(database.db, NO_FILTERS, NEWEST, 11);
    expect(pages.length).toBeGreaterThan(3);
    // Start from the last page and go back with prevCursor.
    let cursor: DecisionCursor | null = null;
    let page = await listDecisions(database.db, { filters: NO_FILTERS, sort: NEWEST, limit: 11 });
    for (let i = 1; i < pages.length; i++) page = await listDecisions(database.db, { filters: NO_FILTERS, sort: NEWEST, limit: 11, cursor: page.nextCursor });
    expect(page.nextCursor).toBeNull();
    const back: string[][] = [page.rows.map((r) => r.id)];
    cursor = page.prevCursor;
    while (cursor) {
      const prev = await listDecisions(database.db, { filters: NO_FILTERS, sort: NEWEST, limit: 11, cursor });
      back.unshift(prev.rows.map((r) => r.id));
      cursor = prev.prevCursor;
    }
    expect(back.flat()).toEqual(pages.flat().map((r) => r.id));
    expect(back[0]).toEqual(pages[0]!.map((r) => r.id));
  });

  test("rows appended between pages do not shift the next page", async () => {
    const first = await listDecisions(database.db, { filters: NO_FILTERS, sort: NEWEST, limit: 10 });
    const next = await listDecisions(database.db, { filters: NO_FILTERS, sort: NEWEST, limit: 10, cursor: first.nextCursor });
    expect(next.rows.map((r) => r.id)).toEqual(expectedIds(stored, NO_FILTERS, NEWEST).slice(10, 20));
  });

  test("a cursor for another sort order is ignored (first page)", async () => {
    const page = await listDecisions(database.db, {
      filters: NO_FILTERS,
      sort: NEWEST,
      limit: 5,
      cursor: { dir: "after", sort: "confidence", value: 0.5, seq: 3 },
    });
    expect(page.rows.map((r) => r.id)).toEqual(expectedIds(stored, NO_FILTERS, NEWEST).slice(0, 5));
  });

  test("free text searches reason and response, never personal data", async () => {
    const filters = { ...NO_FILTERS, text: RARE_WORD };
    const page = await listDecisions(database.db, { filters, sort: NEWEST, limit: 200 });
    const got = new Set(page.rows.map((r) => r.id));
    const withWord = fixtures.filter((f) => f.statement.result?.response?.includes(RARE_WORD));
    const personal = withWord.filter((f) => f.columns.entityType === "patient-encounter");
    expect(personal.length).toBeGreaterThan(0);
    for (const f of withWord) expect(got.has(f.statement.id!), f.columns.entityType ?? "").toBe(f.columns.entityType !== "patient-encounter");
    expect(got.size).toBe(withWord.length - personal.length);
    // Stemming ("insult" finds "insults") and web-search syntax ("-word" excludes).
    const insults = await listDecisions(database.db, { filters: { ...NO_FILTERS, text: "insult -zeppelin" }, sort: NEWEST, limit: 200 });
    expect(insults.rows.length).toBeGreaterThan(0);
    expect(insults.rows.every((r) => r.entityType === "post" && !got.has(r.id))).toBe(true);
  });

  test("row counts are exact up to the cap and say so above it; over the decision counts always exact", async () => {
    expect(await countDecisionRows(database.db, NO_FILTERS, 1000)).toEqual({ count: stored.length, capped: false });
    expect(await countDecisionRows(database.db, NO_FILTERS, 50)).toEqual({ count: 50, capped: true });
    expect(await countDecisionRows(database.db, NO_FILTERS, stored.length)).toEqual({ count: stored.length, capped: false });
    expect(await countDecisions(database.db, NO_FILTERS, 50)).toEqual({ count: stored.length, capped: false });
  });

  test("the histogram covers the window and adds up to the count, per actor type", async () => {
    const filters = { ...NO_FILTERS, from: new Date(FIXTURE_NOW.getTime() - 7 * 24 * 3600_000), to: FIXTURE_NOW, entityType: "loan-application" };
    const h = (await histogramDecisions(database.db, filters))!;
    expect(h.bucketMs).toBe(3 * 3600_000);
    // Edges on round UTC 3-hour marks covering the window.
    const first = new Date(h.buckets[0]!.start).getTime();
    expect(first % h.bucketMs).toBe(0);
    expect(first).toBeLessThanOrEqual(filters.from.getTime());
    expect(first + h.bucketMs).toBeGreaterThan(filters.from.getTime());
    const last = new Date(h.buckets[h.buckets.length - 1]!.start).getTime();
    expect(last).toBeLessThan(filters.to.getTime());
    expect(last + h.bucketMs).toBeGreaterThanOrEqual(filters.to.getTime());
    const expected = stored.filter((r) => matches(r, filters));
    expect(h.buckets.reduce((n, b) => n + b.total, 0)).toBe(expected.length);
    for (const b of h.buckets) {
      const start = new Date(b.start).getTime();
      const inBucket = expected.filter((r) => r.occurredAt.getTime() >= start && r.occurredAt.getTime() < start + h.bucketMs);
      expect(b.total).toBe(inBucket.length);
      expect(b.counts.human_approved_ai).toBe(inBucket.filter((r) => r.actorType === "human_approved_ai").length);
    }
    // Time (and actor type) only: the per-actor-type index path gives the same buckets.
    for (const actorTypes of [[], ["ai", "human"]] as DecisionFilters["actorTypes"][]) {
      const onlyTime = { ...NO_FILTERS, from: filters.from, to: filters.to, actorTypes };
      const ht = (await histogramDecisions(database.db, onlyTime))!;
      const want = stored.filter((r) => matches(r, onlyTime));
      expect(ht.buckets.reduce((n, b) => n + b.total, 0)).toBe(want.length);
      for (const b of ht.buckets) {
        const start = new Date(b.start).getTime();
        const inBucket = want.filter((r) => r.occurredAt.getTime() >= start && r.occurredAt.getTime() < start + ht.bucketMs);
        expect(b.counts.ai).toBe(inBucket.filter((r) => r.actorType === "ai").length);
        expect(b.counts.human_approved_ai).toBe(inBucket.filter((r) => r.actorType === "human_approved_ai").length);
        expect(b.total).toBe(inBucket.length);
      }
    }
    // Open-ended window: closed at the first and last match.
    const open = (await histogramDecisions(database.db, { ...NO_FILTERS, sessionId: SESSIONS[0]! }))!;
    expect(open.buckets.reduce((n, b) => n + b.total, 0)).toBe(stored.filter((r) => r.sessionId === SESSIONS[0]).length);
    expect(await histogramDecisions(database.db, { ...NO_FILTERS, sessionId: "no-such-session" })).toBeNull();
  });

  test("filter options are exactly the values that exist", async () => {
    const o = await listDecisionFilterOptions(database.db);
    const distinct = (pick: (r: Stored) => string | null) => [...new Set(stored.map(pick).filter((v): v is string => v !== null))].sort();
    expect(o.entityTypes).toEqual(distinct((r) => r.entityType));
    expect(o.aiSystems).toEqual(distinct((r) => r.aiSystem));
    expect(o.verbs).toEqual(distinct((r) => r.verb));
    expect(o.outcomes).toEqual(distinct((r) => r.outcome));
    expect(o.modelVersions.map((v) => v.value)).toEqual(distinct((r) => r.modelVersion));
    expect(o.modelVersions.find((v) => v.value === "5.3.1")?.modelName).toBe("toxicity-classifier");
  });

  test("one decision: exact canonical text, hashes, and related decisions", async () => {
    const target = stored.find((r) => r.entityType === "loan-application" && r.sessionId !== null)!;
    expect(await getDecision(database.db, "not-a-uuid")).toBeNull();
    expect(await getDecision(database.db, "00000000-0000-4000-8000-ffffffffffff")).toBeNull();
    const d = (await getDecision(database.db, target.id.toUpperCase()))!;
    expect(d.id).toBe(target.id);
    expect(d.leafHash).toBe(toHex(nodeHasher.hashLeaf(utf8Encode(d.canonical))));
    expect(d.statement.id).toBe(target.id);
    expect(d.chainHash).toMatch(/^[0-9a-f]{64}$/);

    const related = await listRelatedDecisions(database.db, { id: d.id, entityType: d.entityType, entityId: d.entityId, sessionId: d.sessionId });
    const sameEntity = stored.filter((r) => r.id !== d.id && r.entityId === d.entityId && r.entityType === d.entityType);
    expect(related.sameEntity.map((r) => r.id).sort()).toEqual(sameEntity.map((r) => r.id).sort());
    const times = related.sameEntity.map((r) => new Date(r.occurredAt).getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(related.sameSession.every((r) => r.sessionId === d.sessionId && r.id !== d.id)).toBe(true);
    const sameSession = stored.filter((r) => r.id !== d.id && r.sessionId === d.sessionId);
    expect(sameSession.length).toBeGreaterThan(50);
    // Capped at the newest 50, shown oldest first, and marked as cut.
    expect(related.sameSession.length).toBe(50);
    expect(related.sessionTruncated).toBe(true);
    const newest50 = [...sameSession].sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || b.seq - a.seq).slice(0, 50);
    expect(related.sameSession.map((r) => r.id).sort()).toEqual(newest50.map((r) => r.id).sort());
    expect(related.entityTruncated).toBe(false);

    const capped = await listRelatedDecisions(database.db, { id: d.id, entityType: null, entityId: null, sessionId: d.sessionId, limit: 3 });
    expect(capped.sameSession.length).toBe(3);
    expect(capped.sessionTruncated).toBe(true);
  });

  test("inclusion proof: not covered before a checkpoint, verifiable after", async () => {
    const target = stored[17]!;
    const before = (await readDecisionProof(database.db, target.id))!;
    expect(before.covered).toBe(false);
    expect(before.proof).toBeNull();
    expect(before.seq).toBe(target.seq);

    const { signerKey } = await generateSignerKey("explorer.test");
    await createCheckpoint(database.db, { logId: "decisions", origin: "explorer.test/decisions", signer: { signerKey }, externalStore: new DirectoryCheckpointStore(mkdtempSync(path.join(tmpdir(), "dl-explorer-cp-"))) });
    const after = (await readDecisionProof(database.db, target.id))!;
    expect(after.covered).toBe(true);
    expect(after.checkpoint!.treeSize).toBe(stored.length);
    expect(
      verifyInclusion(nodeHasher, after.seq, after.checkpoint!.treeSize, fromHex(after.leafHash), after.proof!.map(fromHex), fromHex(after.checkpoint!.rootHash)),
    ).toBeUndefined();
    expect(await readDecisionProof(database.db, "00000000-0000-4000-8000-ffffffffffff")).toBeNull();
  });
});
