/**
 * The Decision Ledger xAPI profile's vocabulary: the IRIs that give statements their
 * meaning (see docs/decision-profile.md, the normative description). Derivations match
 * these IRIs exactly; `display` texts are only for people.
 */

const NS = "https://decision-ledger.dev/xapi/";

/** Category activity id that marks a statement as following this profile. */
export const PROFILE_IRI = `${NS}profile/v1`;

/** Decision verbs. The IRI carries the meaning; `display` is only for people. */
export const VERBS = {
  approved: `${NS}verbs/approved`,
  denied: `${NS}verbs/denied`,
  referred: `${NS}verbs/referred`,
  flagged: `${NS}verbs/flagged`,
  removed: `${NS}verbs/removed`,
  allowed: `${NS}verbs/allowed`,
  triaged: `${NS}verbs/triaged`,
  escalated: `${NS}verbs/escalated`,
  recommended: `${NS}verbs/recommended`,
  overrode: `${NS}verbs/overrode`,
} as const;
export type DecisionVerb = keyof typeof VERBS;

/** Activity types (object.definition.type) for the entities decisions are about. */
export const ENTITY_TYPES = {
  "loan-application": `${NS}activity-types/loan-application`,
  post: `${NS}activity-types/post`,
  comment: `${NS}activity-types/comment`,
  "patient-encounter": `${NS}activity-types/patient-encounter`,
} as const;

/** relevantTypes IRIs for context.contextAgents. */
export const ROLES = {
  /** Human who approved the AI actor's decision before it took effect. */
  approver: `${NS}roles/approver`,
  /** Human who replaced the AI actor's decision with a different one. */
  overrider: `${NS}roles/overrider`,
  /** AI system whose output the (human) actor considered. */
  advisor: `${NS}roles/advisor`,
  /** Human who received an AI recommendation; not a review of it. */
  advisorRecipient: `${NS}roles/advisor-recipient`,
  /** The person the decision is about; always personal data. */
  dataSubject: `${NS}roles/data-subject`,
} as const;

/** Extension IRIs. Where each one lives is given in the comment. */
export const EXT = {
  /** context: array of system IRIs; an Agent whose account.homePage is listed is an AI system. */
  aiSystems: `${NS}ext/ai-systems`,
  /** context: { name, version, provider } of the model that produced the AI output. */
  model: `${NS}ext/model`,
  /** context: model/decision parameters (thresholds, temperature, ...). */
  parameters: `${NS}ext/parameters`,
  /** context: { ref, sha256 } reference to the stored input; never the raw input. */
  inputRef: `${NS}ext/input-ref`,
  /** context: { id, version, sha256 } of the prompt template. */
  promptRef: `${NS}ext/prompt-ref`,
  /** context: { feature: value } the model saw (derived, minimised features). */
  inputFeatures: `${NS}ext/input-features`,
  /** context: names of input-features entries that are personal data. */
  personalFeatures: `${NS}ext/personal-features`,
  /** context: further RFC 6901 pointers into this statement that are personal data. */
  personalData: `${NS}ext/personal-data`,
  /**
   * context: the personal-data format of this record (docs/decision-profile.md §15), set by
   * the ledger at ingest and refused from producers. Absent: a record stored before personal
   * data was committed (format 0, plaintext in the hashed bytes).
   */
  personalDataFormat: `${NS}ext/personal-data-format`,
  /** context: the data subject ({ ref, emailSha256, ... }); personal data as a whole. */
  subject: `${NS}ext/subject`,
  /** context: the model's raw output (no personal data). */
  output: `${NS}ext/output`,
  /** context: { input, output, total } tokens. */
  tokenUsage: `${NS}ext/token-usage`,
  /** context: end-to-end decision latency in milliseconds. */
  latencyMs: `${NS}ext/latency-ms`,
  /** context: session id when context.registration (a UUID) cannot be used. */
  sessionId: `${NS}ext/session-id`,
  /** context: [{ step, status, ms }] pipeline steps. */
  pipeline: `${NS}ext/pipeline`,
  /** context: { code, message, step } when the pipeline failed; absent otherwise. */
  error: `${NS}ext/error`,
  /** object.definition: { type, id } of the entity decided about. */
  entity: `${NS}ext/entity`,
  /** result: machine-readable outcome code ("denied", "urgent", ...). */
  outcome: `${NS}ext/outcome`,
  /** result: outcome the AI proposed when a human made or changed the final call. */
  aiOutcome: `${NS}ext/ai-outcome`,
} as const;
