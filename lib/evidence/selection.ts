// What an evidence export contains: the decisions-list filters (resolved to absolute times
// when the export is requested, so "last 7 days" means the same records however long the
// job waits) or rows picked by hand. Shared by the export button, the service, the CLI and
// the manifest.

import { z } from "zod";
import { ACTOR_TYPE_LABELS, ACTOR_TYPES, HUMAN_REVIEW_LABELS, HUMAN_REVIEW_VALUES, type ActorType } from "../ledger/xapi/actor-type";
import { type DecisionFilters } from "../filters/decision-filters";

export const MAX_SELECTED_IDS = 10_000;

const isoDate = z.iso.datetime({ offset: true });

/** DecisionFilters as stored in the job row and the manifest: dates as ISO strings. */
export const storedFiltersSchema = z.strictObject({
  from: isoDate.nullable(),
  to: isoDate.nullable(),
  entityType: z.string().max(200).nullable(),
  entityId: z.string().max(200).nullable(),
  entityMatch: z.enum(["exact", "prefix"]),
  actorTypes: z.array(z.enum(ACTOR_TYPES.map((t) => t.value) as [ActorType, ...ActorType[]])).max(50),
  aiSystems: z.array(z.string().max(200)).max(50),
  modelVersions: z.array(z.string().max(200)).max(50),
  verbs: z.array(z.string().max(200)).max(50),
  outcomes: z.array(z.string().max(200)).max(50),
  humanReview: z.array(z.enum(HUMAN_REVIEW_VALUES)).max(HUMAN_REVIEW_VALUES.length),
  sessionId: z.string().max(200).nullable(),
  confidenceMin: z.number().min(0).max(1).nullable(),
  confidenceMax: z.number().min(0).max(1).nullable(),
  text: z.string().max(200).nullable(),
});
export type StoredFilters = z.infer<typeof storedFiltersSchema>;

export const exportSelectionSchema = z
  .strictObject({
    filters: storedFiltersSchema.nullable(),
    ids: z
      .array(z.uuid({ message: "each selected id must be a decision id (UUID)" }))
      .min(1, "select at least one decision")
      .max(MAX_SELECTED_IDS, `at most ${MAX_SELECTED_IDS.toLocaleString("en-US")} selected decisions per export`)
      .nullable(),
  })
  // Rows picked by hand are exported as picked; otherwise the filters choose.
  .refine((s) => (s.filters === null) !== (s.ids === null), { message: "give either filters or selected ids", path: ["filters"] });
export type ExportSelection = z.infer<typeof exportSelectionSchema>;

export function toStoredFilters(f: DecisionFilters): StoredFilters {
  return { ...f, from: f.from?.toISOString() ?? null, to: f.to?.toISOString() ?? null };
}

export function fromStoredFilters(f: StoredFilters): DecisionFilters {
  return { ...f, from: f.from ? new Date(f.from) : null, to: f.to ? new Date(f.to) : null };
}

/** Only the filters that are set, for the manifest's `parameters` and the access log. */
export function filterParameters(f: StoredFilters): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === null || (Array.isArray(v) && v.length === 0)) continue;
    if (k === "entityMatch" && f.entityId === null) continue;
    out[k] = v;
  }
  return out;
}

function utc(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC");
}

function list(values: string[]): string {
  return values.map((v) => `"${v}"`).join(" or ");
}

/** The selection in plain words, for the manifest, the report and the export list. */
export function describeSelection(s: ExportSelection): string {
  const parts: string[] = [];
  if (s.ids) parts.push(`${s.ids.length.toLocaleString("en-US")} decision${s.ids.length === 1 ? "" : "s"} selected by hand`);
  const f = s.filters;
  if (f) {
    if (f.from && f.to) parts.push(`decided from ${utc(f.from)} until ${utc(f.to)}`);
    else if (f.from) parts.push(`decided since ${utc(f.from)}`);
    else if (f.to) parts.push(`decided before ${utc(f.to)}`);
    if (f.entityId) {
      const what = f.entityType ? `${f.entityType} ` : "entity ";
      parts.push(f.entityMatch === "prefix" ? `about ${what}ids starting with "${f.entityId}"` : `about ${what}"${f.entityId}"`);
    } else if (f.entityType) {
      parts.push(`about entities of type "${f.entityType}"`);
    }
    if (f.actorTypes.length) parts.push(`decided by: ${f.actorTypes.map((a) => ACTOR_TYPE_LABELS[a]).join(" or ")}`);
    if (f.aiSystems.length) parts.push(`AI system ${list(f.aiSystems)}`);
    if (f.modelVersions.length) parts.push(`model version ${list(f.modelVersions)}`);
    if (f.verbs.length) parts.push(`action ${list(f.verbs)}`);
    if (f.outcomes.length) parts.push(`outcome ${list(f.outcomes)}`);
    if (f.humanReview.length) parts.push(f.humanReview.map((h) => HUMAN_REVIEW_LABELS[h].toLowerCase()).join(" or "));
    if (f.sessionId) parts.push(`in session "${f.sessionId}"`);
    if (f.confidenceMin !== null && f.confidenceMax !== null) parts.push(`confidence between ${f.confidenceMin} and ${f.confidenceMax}`);
    else if (f.confidenceMin !== null) parts.push(`confidence at least ${f.confidenceMin}`);
    else if (f.confidenceMax !== null) parts.push(`confidence at most ${f.confidenceMax}`);
    if (f.text) parts.push(`mentioning "${f.text}"`);
  }
  if (parts.length === 0) return "All decisions";
  const text = parts.join("; ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
