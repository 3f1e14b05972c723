import { getTableColumns, type InferSelectModel } from "drizzle-orm";
import { describe, expect, expectTypeOf, it } from "vitest";
import { decisions } from "@/db/schema";
import { PROFILE_EXAMPLES } from "@/lib/ledger/profile-examples";
import type { ActorType, HumanReview } from "@/lib/ledger/xapi/actor-type";
import { DECISION_COLUMN_ENTRIES, DECISION_COLUMNS, type DecisionColumnType } from "@/lib/ledger/xapi/decision-columns";
import { deriveDecisionColumns, type DecisionColumns } from "@/lib/ledger/xapi/derived-columns";

/** The table's columns that are the stored record itself, not derived from it. */
const RECORD_COLUMNS = ["seq", "id", "recordedAt", "canonical", "writer", "contentDigest"];

const SQL_TYPES: Record<DecisionColumnType, string> = {
  text: "text",
  timestamp: "timestamp with time zone",
  double: "double precision",
  integer: "integer",
  boolean: "boolean",
};

describe("the decision column catalogue (lib/ledger/xapi/decision-columns.ts)", () => {
  const catalogueKeys = Object.keys(DECISION_COLUMNS);

  it("is what deriveDecisionColumns returns, key for key", () => {
    for (const [name, example] of Object.entries(PROFILE_EXAMPLES)) {
      expect(Object.keys(deriveDecisionColumns(example)), name).toEqual(catalogueKeys);
    }
  });

  it("is the decisions table's derived columns, with the same SQL names, types and nullability", () => {
    const columns = getTableColumns(decisions);
    expect(Object.keys(columns).filter((k) => !RECORD_COLUMNS.includes(k))).toEqual(catalogueKeys);
    for (const [key, spec] of DECISION_COLUMN_ENTRIES) {
      const column = columns[key];
      expect({ name: column.name, type: column.getSQLType(), notNull: column.notNull }, key).toEqual({
        name: spec.column,
        type: SQL_TYPES[spec.type],
        notNull: !spec.nullable,
      });
    }
  });

  it("has unique SQL column names, and values only on text columns", () => {
    expect(new Set(DECISION_COLUMN_ENTRIES.map(([, s]) => s.column)).size).toBe(catalogueKeys.length);
    for (const [key, spec] of DECISION_COLUMN_ENTRIES) if (spec.values) expect(spec.type, key).toBe("text");
  });

  it("gives the table and the derivation exact types", () => {
    interface Derived {
      occurredAt: Date;
      actorType: ActorType;
      actorId: string;
      actorName: string | null;
      aiSystem: string | null;
      modelName: string | null;
      modelVersion: string | null;
      verb: string;
      entityType: string | null;
      entityId: string | null;
      outcome: string | null;
      confidence: number | null;
      latencyMs: number | null;
      sessionId: string | null;
      reviewerId: string | null;
      reviewerName: string | null;
      humanReview: HumanReview;
      errorState: boolean;
      searchText: string;
    }
    expectTypeOf<DecisionColumns>().toEqualTypeOf<Derived>();
    // The table's search_text accepts null (derivation always yields text); the record columns are the table's own.
    type Row = { seq: number; id: string; recordedAt: Date; canonical: string; writer: string; contentDigest: Uint8Array | null } & Omit<Derived, "searchText"> & {
      searchText: string | null;
    };
    expectTypeOf<InferSelectModel<typeof decisions>>().toEqualTypeOf<{ [K in keyof Row]: Row[K] }>();
  });
});
