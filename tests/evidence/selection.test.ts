import { describe, expect, it } from "vitest";
import { exportRequestSchema, selectionFromRequest } from "@/lib/evidence/request-selection";
import { describeSelection, exportSelectionSchema, filterParameters, fromStoredFilters, toStoredFilters, type ExportSelection } from "@/lib/evidence/selection";
import { noDecisionFilters } from "@/lib/filters/decision-filters";

const NOW = new Date("2026-03-15T12:00:00.000Z");

describe("export selection", () => {
  it("resolves the decisions list's URL filters when the export is requested", () => {
    const body = exportRequestSchema.parse({ query: "?range=7d&verb=denied&version=3.2.0&actor=ai&entity=LA-1&entityMatch=prefix" });
    const selection = exportSelectionSchema.parse(selectionFromRequest(body, NOW));
    expect(selection.ids).toBeNull();
    expect(selection.filters).toMatchObject({
      from: "2026-03-08T12:00:00.000Z",
      to: null,
      verbs: ["denied"],
      modelVersions: ["3.2.0"],
      actorTypes: ["ai"],
      entityId: "LA-1",
      entityMatch: "prefix",
    });
    expect(filterParameters(selection.filters!)).toEqual({
      from: "2026-03-08T12:00:00.000Z",
      entityId: "LA-1",
      entityMatch: "prefix",
      actorTypes: ["ai"],
      modelVersions: ["3.2.0"],
      verbs: ["denied"],
    });
    // Stored filters turn back into the explorer's filter type (dates as Dates).
    expect(fromStoredFilters(selection.filters!).from).toEqual(new Date("2026-03-08T12:00:00.000Z"));
    expect(describeSelection(selection)).toBe(
      'Decided since 2026-03-08 12:00:00 UTC; about entity ids starting with "LA-1"; decided by: AI (autonomous); model version "3.2.0"; action "denied"',
    );
  });

  it("exports rows picked by hand as picked, and describes them", () => {
    const id = "0F6E2C1A-8E00-4000-8000-000000000001";
    const selection = exportSelectionSchema.parse(selectionFromRequest(exportRequestSchema.parse({ ids: [id] }), NOW));
    expect(selection).toEqual({ filters: null, ids: [id.toLowerCase()] });
    expect(describeSelection(selection)).toBe("1 decision selected by hand");
  });

  it("refuses malformed selections by field", () => {
    expect(exportRequestSchema.safeParse({}).success).toBe(false);
    expect(exportRequestSchema.safeParse({ ids: [] }).success).toBe(false);
    const bad = exportSelectionSchema.safeParse({ filters: null, ids: ["not-a-uuid"] });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(["ids", 0]);
    const both = exportSelectionSchema.safeParse({ filters: null, ids: null });
    expect(both.success).toBe(false);
  });

  it("describes an unfiltered selection as all decisions", () => {
    const all: ExportSelection = {
      filters: toStoredFilters(noDecisionFilters()),
      ids: null,
    };
    expect(describeSelection(all)).toBe("All decisions");
    expect(filterParameters(all.filters!)).toEqual({});
  });
});
