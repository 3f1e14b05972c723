/**
 * The explorer's benchmarked filter cases (page queries, and the window × filter sets of the
 * count and histogram), shared by bench/explorer.ts and bench/index-cost.ts so that what is
 * timed and what is explained for index use are the same queries.
 */
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Database } from "../../db/client";
import { bigintColumn } from "../../db/rows/columns";
import { decisionFilterSql, type ListDecisionsParams } from "../../db/queries/decisions";
import { noDecisionFilters, type DecisionCursor, type DecisionFilters, type DecisionSort } from "../../lib/filters/decision-filters";

const DAY = 86_400_000;
const NONE = noDecisionFilters();
const NEWEST: DecisionSort = { key: "occurredAt", direction: "desc" };

export interface ExplorerCase {
  name: string;
  group: string;
  params: ListDecisionsParams;
}

/** Filter values taken from the data, as a reviewer would pick them. */
export interface ExplorerPicks {
  entityId: string;
  session: string;
}

export async function pickFilterValues(database: Database, now: Date): Promise<ExplorerPicks> {
  const popularEntity = (
    await queryRows(
      database.db,
      sql`select entity_id, count(*) as n from decisions where entity_type = 'loan-application' and occurred_at > ${new Date(now.getTime() - 7 * DAY).toISOString()}::timestamptz
          and verb = 'denied' group by entity_id order by count(*) desc limit 1`,
      z.object({ entity_id: z.string(), n: bigintColumn }),
    )
  )[0]!;
  const session = (
    await queryRows(
      database.db,
      sql`select session_id from decisions where session_id is not null and ai_system = 'Community Safety Classifier' order by occurred_at desc offset 500 limit 1`,
      z.object({ session_id: z.string() }),
    )
  )[0]!.session_id;
  return { entityId: popularEntity.entity_id, session };
}

/** The cursor after the `offset`-th row (1-based) of a list: the start of a deep page. */
async function cursorAt(database: Database, filters: DecisionFilters, sort: DecisionSort, offset: number): Promise<DecisionCursor | null> {
  const expr = sort.key === "occurredAt" ? "d.occurred_at" : sort.key === "confidence" ? "coalesce(d.confidence, -2)" : "coalesce(d.latency_ms, -1)";
  const value = sort.key === "occurredAt" ? `to_char(d.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` : expr;
  const dir = sql.raw(sort.direction);
  const r = (
    await queryRows(
      database.db,
      sql`select ${sql.raw(value)} as v, d.seq from decisions d where ${decisionFilterSql(filters)}
          order by ${sql.raw(expr)} ${dir}, d.seq ${dir} offset ${offset - 1} limit 1`,
      z.object({ v: z.union([z.string(), z.number()]), seq: bigintColumn }),
    )
  )[0];
  if (!r) return null;
  return { dir: "after", sort: sort.key, value: sort.key === "occurredAt" ? String(r.v) : Number(r.v), seq: r.seq };
}

/** The page-query matrix of bench/explorer.ts, then its deep pages (those with enough rows; `skipped` hears of the others). */
export async function explorerPageCases(database: Database, now: Date, picks: ExplorerPicks, skipped: (name: string) => void = () => {}): Promise<ExplorerCase[]> {
  const ago = (days: number) => new Date(now.getTime() - days * DAY);
  const f = (p: Partial<DecisionFilters>): DecisionFilters => ({ ...NONE, ...p });
  const d7 = ago(7);
  const prefix = picks.entityId.slice(0, -2);
  const c = (group: string, name: string, filters: DecisionFilters, sort: DecisionSort = NEWEST): ExplorerCase => ({ group, name, params: { filters, sort } });
  const cases: ExplorerCase[] = [
    c("baseline", "no filters, newest 50 (baseline)", NONE),
    c("time", "last 24 hours", f({ from: ago(1) })),
    c("time", "last 7 days", f({ from: d7 })),
    c("time", "last 30 days", f({ from: ago(30) })),
    c("time", "last 90 days", f({ from: ago(90) })),
    c("time", "custom week, 37–30 days ago", f({ from: ago(37), to: ago(30) })),
    c("single", `entity id exact (${picks.entityId})`, f({ entityId: picks.entityId })),
    c("single", `entity id prefix (${prefix}…)`, f({ entityId: prefix, entityMatch: "prefix" })),
    c("single", "entity type patient-encounter", f({ entityType: "patient-encounter" })),
    c("single", "actor type human", f({ actorTypes: ["human"] })),
    c("single", "actor types ai_assisted_human + human", f({ actorTypes: ["ai_assisted_human", "human"] })),
    c("single", "AI system ED Triage Assistant", f({ aiSystems: ["ED Triage Assistant"] })),
    c("single", "model version 3.0.4 (retired in week 1)", f({ modelVersions: ["3.0.4"] })),
    c("single", "model version 5.4.0-beta.2 (5% canary)", f({ modelVersions: ["5.4.0-beta.2"] })),
    c("single", "verb overrode", f({ verbs: ["overrode"] })),
    c("single", "outcome denied", f({ outcomes: ["denied"] })),
    c("single", "human review overridden", f({ humanReview: ["overridden"] })),
    c("single", "session id", f({ sessionId: picks.session })),
    c("single", "confidence 0.40–0.45", f({ confidenceMin: 0.4, confidenceMax: 0.45 })),
    c("single", "confidence ≤ 0.05", f({ confidenceMax: 0.05 })),
    c("text", 'free text "debt income"', f({ text: "debt income" })),
    c("text", 'free text "timed out" (errors)', f({ text: '"timed out"' })),
    c("text", 'free text "harassment -spam", last 7 days', f({ text: "harassment -spam", from: d7 })),
    c("pairs", "7 days + verb denied", f({ from: d7, verbs: ["denied"] })),
    c("pairs", "7 days + model version 3.2.0", f({ from: d7, modelVersions: ["3.2.0"] })),
    c("pairs", "AI system loans + outcome denied", f({ aiSystems: ["Loan Underwriting Assistant"], outcomes: ["denied"] })),
    c("pairs", "actor human_approved_ai + review approved", f({ actorTypes: ["human_approved_ai"], humanReview: ["approved"] })),
    c("pairs", "30 days + confidence ≤ 0.3", f({ from: ago(30), confidenceMax: 0.3 })),
    c("pairs", "7 days + entity id", f({ from: d7, entityId: picks.entityId })),
    c("pairs", "verb overrode + confidence ≤ 0.2", f({ verbs: ["overrode"], confidenceMax: 0.2 })),
    c(
      "all",
      "the reviewer's question: 7 d + loans + 3.2.0 + denied + entity + human-approved",
      f({
        from: d7,
        aiSystems: ["Loan Underwriting Assistant"],
        modelVersions: ["3.2.0"],
        verbs: ["denied"],
        entityType: "loan-application",
        entityId: picks.entityId,
        actorTypes: ["human_approved_ai"],
      }),
    ),
    c(
      "all",
      "everything: 30 d + system + version + verb + outcome + actor + review + confidence + text",
      f({
        from: ago(30),
        aiSystems: ["Loan Underwriting Assistant"],
        modelVersions: ["3.2.0"],
        verbs: ["denied"],
        outcomes: ["denied"],
        actorTypes: ["human_approved_ai"],
        humanReview: ["approved"],
        confidenceMin: 0.5,
        text: "debt",
      }),
    ),
    c("sort", "sort confidence, highest first", NONE, { key: "confidence", direction: "desc" }),
    c("sort", "sort confidence, lowest first, 7 days", f({ from: d7 }), { key: "confidence", direction: "asc" }),
    c("sort", "sort latency, slowest first, ED triage", f({ aiSystems: ["ED Triage Assistant"] }), { key: "latencyMs", direction: "desc" }),
  ];
  const deep: [string, DecisionFilters, DecisionSort, number][] = [
    ["page 201 (after 10,000 rows), no filters", NONE, NEWEST, 10_000],
    ["page 10,001 (after 500,000 rows), no filters", NONE, NEWEST, 500_000],
    ["page 101 of 30 d + outcome denied", f({ from: ago(30), outcomes: ["denied"] }), NEWEST, 5_000],
    ["page 201 sorted by confidence", NONE, { key: "confidence", direction: "desc" }, 10_000],
  ];
  for (const [label, filters, sort, offset] of deep) {
    const cursor = await cursorAt(database, filters, sort, offset);
    if (cursor) cases.push({ group: "deep", name: label, params: { filters, sort, cursor } });
    else skipped(label);
  }
  return cases;
}

/** The count / histogram matrix of bench/explorer.ts (timeAggregates): windows × filter sets, plus one filter the counts cannot answer. */
export function explorerAggregateCases(now: Date): [string, DecisionFilters][] {
  const ago = (days: number) => new Date(now.getTime() - days * DAY);
  const windows: [string, Partial<DecisionFilters>][] = [
    ["24 h", { from: ago(1), to: now }],
    ["7 d", { from: ago(7), to: now }],
    ["90 d", { from: ago(90), to: now }],
    ["whole ledger", {}],
  ];
  const filterSets: [string, Partial<DecisionFilters>][] = [
    ["no filter", {}],
    ["verb denied", { verbs: ["denied"] }],
    ["loans + outcome denied", { aiSystems: ["Loan Underwriting Assistant"], outcomes: ["denied"] }],
    ["human_approved_ai + review approved", { actorTypes: ["human_approved_ai"], humanReview: ["approved"] }],
    ["3.2.0 + loan-application + denied + human_approved_ai", { modelVersions: ["3.2.0"], entityType: "loan-application", verbs: ["denied"], actorTypes: ["human_approved_ai"] }],
  ];
  const cases: [string, DecisionFilters][] = windows.flatMap(([w, wf]) => filterSets.map(([n, ff]): [string, DecisionFilters] => [`${w}, ${n}`, { ...NONE, ...wf, ...ff }]));
  cases.push(["7 d, confidence ≤ 0.3 (not answerable: row path)", { ...NONE, from: ago(7), to: now, confidenceMax: 0.3 }]);
  return cases;
}
