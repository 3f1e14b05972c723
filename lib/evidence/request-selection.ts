import { z } from "zod";
import { loadDecisionsSearchParams, resolveDecisionQuery } from "../search-params/decisions";
import { MAX_SELECTED_IDS, toStoredFilters, type ExportSelection } from "./selection";

/**
 * What the export button sends: the decisions list's URL query (its current filters, parsed
 * with the list's own nuqs parsers) or the ids of the rows selected in it; and, only to
 * include personal data, `includePersonalData: true` with a `reason` (checked by the service:
 * permission first, then the reason's length).
 */
export const exportRequestSchema = z
  .strictObject({
    query: z.string().max(8000, { error: "The filter query is too long" }).optional(),
    ids: z.array(z.string()).max(MAX_SELECTED_IDS, { error: `Select at most ${MAX_SELECTED_IDS} decisions` }).optional(),
    includePersonalData: z.boolean({ error: "includePersonalData must be true or false" }).optional(),
    reason: z.string({ error: "reason must be text" }).max(2000, { error: "The reason is too long" }).optional(),
  })
  .refine((r) => r.query !== undefined || (r.ids !== undefined && r.ids.length > 0), {
    error: "Send the list's filters (query) or the selected ids",
    path: ["query"],
  });

/**
 * Turns the request into a selection. Relative time windows ("last 7 days") are resolved now,
 * so the export holds what the list showed when the button was pressed.
 */
export function selectionFromRequest(body: z.infer<typeof exportRequestSchema>, now: Date): unknown {
  if (body.ids && body.ids.length > 0) return { filters: null, ids: body.ids.map((id) => id.toLowerCase()) } satisfies Partial<ExportSelection> & { ids: string[] };
  const params = loadDecisionsSearchParams(new URLSearchParams((body.query ?? "").replace(/^\?/, "")));
  const { filters } = resolveDecisionQuery(params, now);
  return { filters: toStoredFilters(filters), ids: null };
}
