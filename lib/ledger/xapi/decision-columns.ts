/**
 * The one catalogue of the columns derived from each decision statement and stored beside it
 * (docs/decision-profile.md §11 gives each rule). Everything that lists these columns is
 * generated from it: the `DecisionColumns` type that `deriveDecisionColumns` returns, the
 * drizzle table (db/schema/decisions.ts), the explorer's list row (db/queries/decisions.ts),
 * what the evidence export reads for its report (lib/evidence/write-bundle.ts), the deep
 * verifier's comparison (lib/ledger-store/verify/derived-columns.ts) and the labels of the
 * explorer table (components/decisions). A new column added here reaches all of them; only
 * its migration (drizzle-kit generate) and its derivation rule are written by hand.
 *
 * Pure data: shared with the browser, no storage or framework imports.
 */
import { ACTOR_TYPES, HUMAN_REVIEW_VALUES, type ActorType } from "./actor-type";

export type DecisionColumnType = "text" | "timestamp" | "double" | "integer" | "boolean";

export interface DecisionColumnSpec {
  /** The SQL column name. */
  readonly column: string;
  /** The Postgres type: text, timestamptz, double precision, integer or boolean. */
  readonly type: DecisionColumnType;
  /** The stored column accepts null; so does the derived value, unless `alwaysDerived`. */
  readonly nullable: boolean;
  /** The derivation always yields a value although the column accepts null. */
  readonly alwaysDerived?: true;
  /** The only values a text column is derived as (ActorType, HumanReview). */
  readonly values?: readonly string[];
  /** Part of the explorer's list row (and so of every row the dashboard lists). */
  readonly inList: boolean;
  /** Read by the evidence export for the report's rows and totals. */
  readonly inExport: boolean;
  /** Column header / field name shown to people. */
  readonly label: string;
  /** One sentence, for screen readers and as the header's tooltip. */
  readonly description: string;
}

const ACTOR_TYPE_VALUES: readonly ActorType[] = ACTOR_TYPES.map((t) => t.value);

/** Keyed by the `DecisionColumns` property; in the order of the table and the profile. */
export const DECISION_COLUMNS = {
  occurredAt: {
    column: "occurred_at",
    type: "timestamp",
    nullable: false,
    inList: true,
    inExport: true,
    label: "Time",
    description: "When the decision was made (in your time zone)",
  },
  actorType: {
    column: "actor_type",
    type: "text",
    nullable: false,
    values: ACTOR_TYPE_VALUES,
    inList: true,
    inExport: true,
    label: "Decided by",
    description: "Who made the final call: an AI alone, an AI approved by a person, a person helped by an AI, or a person",
  },
  actorId: {
    column: "actor_id",
    type: "text",
    nullable: false,
    inList: false,
    inExport: false,
    label: "Actor id",
    description: "The actor's identifier (mbox, account, OpenID, or an anonymous group's members)",
  },
  actorName: {
    column: "actor_name",
    type: "text",
    nullable: true,
    inList: true,
    inExport: false,
    label: "Actor name",
    description: "The actor's name, when the record gives one",
  },
  aiSystem: {
    column: "ai_system",
    type: "text",
    nullable: true,
    inList: true,
    inExport: true,
    label: "AI system",
    description: "The AI system involved and its model version",
  },
  modelName: {
    column: "model_name",
    type: "text",
    nullable: true,
    inList: true,
    inExport: true,
    label: "Model",
    description: "Name of the model that produced the AI output",
  },
  modelVersion: {
    column: "model_version",
    type: "text",
    nullable: true,
    inList: true,
    inExport: true,
    label: "Model version",
    description: "Version of the model that produced the AI output",
  },
  verb: {
    column: "verb",
    type: "text",
    nullable: false,
    inList: true,
    inExport: true,
    label: "Decision",
    description: "What kind of decision was made (denied, approved, flagged, …)",
  },
  entityType: {
    column: "entity_type",
    type: "text",
    nullable: true,
    inList: true,
    inExport: true,
    label: "Entity type",
    description: "The kind of case the decision is about",
  },
  // The explorer shows the entity as one column, "About": the id with its type below it.
  entityId: {
    column: "entity_id",
    type: "text",
    nullable: true,
    inList: true,
    inExport: true,
    label: "About",
    description: "The case the decision is about (entity type and id)",
  },
  outcome: {
    column: "outcome",
    type: "text",
    nullable: true,
    inList: true,
    inExport: true,
    label: "Outcome",
    description: "The outcome code recorded with the decision",
  },
  confidence: {
    column: "confidence",
    type: "double",
    nullable: true,
    inList: true,
    inExport: true,
    label: "Confidence",
    description: "The AI's confidence in its own output (0 to 1)",
  },
  latencyMs: {
    column: "latency_ms",
    type: "integer",
    nullable: true,
    inList: true,
    inExport: false,
    label: "Latency",
    description: "How long the decision took, end to end",
  },
  sessionId: {
    column: "session_id",
    type: "text",
    nullable: true,
    inList: true,
    inExport: false,
    label: "Session",
    description: "The session (conversation or case handling) the decision belongs to",
  },
  reviewerId: {
    column: "reviewer_id",
    type: "text",
    nullable: true,
    inList: false,
    inExport: false,
    label: "Reviewer id",
    description: "The identifier of the person who approved or overrode the AI",
  },
  reviewerName: {
    column: "reviewer_name",
    type: "text",
    nullable: true,
    inList: true,
    inExport: true,
    label: "Reviewer",
    description: "The name of the person who approved or overrode the AI",
  },
  humanReview: {
    column: "human_review",
    type: "text",
    nullable: false,
    values: HUMAN_REVIEW_VALUES,
    inList: true,
    inExport: true,
    label: "Human review",
    description: "Whether a person approved or overrode the AI, and who",
  },
  errorState: {
    column: "error_state",
    type: "boolean",
    nullable: false,
    inList: true,
    inExport: false,
    label: "Error",
    description: "Whether the decision's pipeline reported an error",
  },
  // Nullable in the table, but derived as "" when nothing is searchable.
  searchText: {
    column: "search_text",
    type: "text",
    nullable: true,
    alwaysDerived: true,
    inList: false,
    inExport: false,
    label: "Searchable text",
    description: "Reasons, responses and outputs for free-text search (never personal data)",
  },
} as const satisfies Record<string, DecisionColumnSpec>;

export type DecisionColumnKey = keyof typeof DECISION_COLUMNS;

type SpecOf<K extends DecisionColumnKey> = (typeof DECISION_COLUMNS)[K];

/** The catalogue in order, typed alike for code that handles every column the same way. */
export const DECISION_COLUMN_ENTRIES = Object.entries(DECISION_COLUMNS) as [DecisionColumnKey, DecisionColumnSpec][];

/** The keys of the columns with `flag` set. */
export type DecisionColumnKeyWith<F extends "inList" | "inExport"> = {
  [K in DecisionColumnKey]: SpecOf<K>[F] extends true ? K : never;
}[DecisionColumnKey];

export type ListColumnKey = DecisionColumnKeyWith<"inList">;
export type ExportColumnKey = DecisionColumnKeyWith<"inExport">;
/** Text columns whose values are an enumeration (ActorType, HumanReview). */
export type EnumeratedColumnKey = { [K in DecisionColumnKey]: SpecOf<K> extends { values: readonly string[] } ? K : never }[DecisionColumnKey];

export function decisionColumnKeysWith<F extends "inList" | "inExport">(flag: F): DecisionColumnKeyWith<F>[] {
  return DECISION_COLUMN_ENTRIES.filter(([, spec]) => spec[flag]).map(([key]) => key as DecisionColumnKeyWith<F>);
}

type ValueOf<S extends DecisionColumnSpec, TTimestamp> = S["type"] extends "timestamp"
  ? TTimestamp
  : S["type"] extends "double" | "integer"
    ? number
    : S["type"] extends "boolean"
      ? boolean
      : S extends { values: readonly (infer V)[] }
        ? V
        : string;

/**
 * A column's value as read back from the database: null where the column allows it,
 * timestamps as `TTimestamp` (a Date, or the text a query formats them as).
 */
export type StoredDecisionValue<K extends DecisionColumnKey, TTimestamp = Date> =
  | ValueOf<SpecOf<K>, TTimestamp>
  | (SpecOf<K>["nullable"] extends true ? null : never);

/** The columns stored next to each statement for filtering, as `deriveDecisionColumns` derives them. */
export type DecisionColumns = {
  [K in DecisionColumnKey]: ValueOf<SpecOf<K>, Date> | (SpecOf<K> extends { nullable: true; alwaysDerived?: never } ? null : never);
};
