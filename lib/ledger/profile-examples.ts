/**
 * The example statements of docs/decision-profile.md. The doc's JSON blocks are checked
 * against these objects by tests/statement/statement.test.ts, so the documentation and
 * the code cannot drift: change both together.
 *
 * All people, organisations and identifiers are fictitious (".example" domains); personal
 * data appears only as opaque references and SHA-256 hashes, as the profile requires.
 */
import type { XapiActivity, XapiStatement } from "./xapi/types";
import { ENTITY_TYPES, EXT, PROFILE_IRI, ROLES, VERBS } from "./xapi/vocabulary";

const PROFILE_CATEGORY: XapiActivity[] = [{ id: PROFILE_IRI, definition: { type: "http://adlnet.gov/expapi/activities/profile" } }];

const LOAN_SYSTEM = "https://ai.northwind-bank.example/systems/loan-underwriting";
const BANK_STAFF = "https://staff.northwind-bank.example/directory";

/** AI decides, a human approves before it takes effect → human_approved_ai. */
export const LOAN_DENIAL_HUMAN_APPROVED: XapiStatement = {
  id: "ca5711cc-ea3f-46f7-a748-d315cbe1bb8e",
  actor: {
    objectType: "Agent",
    name: "Loan Underwriting Assistant",
    account: { homePage: LOAN_SYSTEM, name: "credit-risk@3.2.0" },
  },
  verb: { id: VERBS.denied, display: { en: "denied" } },
  object: {
    objectType: "Activity",
    id: "https://loans.northwind-bank.example/applications/LA-2025-0007734",
    definition: {
      type: ENTITY_TYPES["loan-application"],
      name: { en: "Loan application LA-2025-0007734" },
      extensions: { [EXT.entity]: { type: "loan-application", id: "LA-2025-0007734" } },
    },
  },
  result: {
    success: false,
    response: "Debt-to-income ratio 0.46 exceeds the policy maximum of 0.43",
    score: { scaled: 0.94 },
    extensions: { [EXT.outcome]: "denied" },
  },
  context: {
    registration: "ea53870f-d772-42d4-8115-c4f043b66317",
    contextActivities: { category: PROFILE_CATEGORY },
    contextAgents: [
      {
        objectType: "contextAgent",
        agent: { objectType: "Agent", name: "Priya Raman", account: { homePage: BANK_STAFF, name: "staff-0042" } },
        relevantTypes: [ROLES.approver],
      },
    ],
    extensions: {
      [EXT.aiSystems]: [LOAN_SYSTEM],
      [EXT.model]: { name: "credit-risk", version: "3.2.0", provider: "Northwind Bank ML Platform" },
      [EXT.parameters]: { approvalThreshold: 0.62, temperature: 0 },
      [EXT.inputRef]: {
        ref: "s3://nw-underwriting-inputs/2025/02/13/LA-2025-0007734.json",
        sha256: "61d18465074750fea5ba8577d4a807f7dc359d5fa80f42a7dbbe770cebe95cb2",
      },
      [EXT.promptRef]: {
        id: "underwriting-rationale",
        version: "7",
        sha256: "3d3f976384a311fa85798f03547331eb8b1669fdbe1182f38f95457481717d50",
      },
      [EXT.inputFeatures]: {
        debt_to_income: 0.46,
        credit_history_months: 62,
        loan_amount: 18000,
        employment_status: "employed",
        age_band: "35-44",
        postcode_area: "SW1",
      },
      [EXT.personalFeatures]: ["age_band", "postcode_area"],
      [EXT.subject]: { ref: "cust-0012345", emailSha256: "f60761f9222b63334430614686b128d4f0d7bff8e1ecd1afb5389c6dcf192d90" },
      [EXT.output]: { label: "deny", probabilityOfDefault: 0.31, rationale: "DTI above policy limit; credit history otherwise acceptable" },
      [EXT.tokenUsage]: { input: 1184, output: 96, total: 1280 },
      [EXT.latencyMs]: 412,
      [EXT.pipeline]: [
        { step: "feature-extraction", status: "ok", ms: 38 },
        { step: "scoring", status: "ok", ms: 121 },
        { step: "rationale", status: "ok", ms: 231 },
      ],
    },
  },
  timestamp: "2025-02-13T14:23:17.234Z",
};

const MODERATION_SYSTEM = "https://trust.chirp.example/ai/content-guard";

/** AI decides alone, nobody reviews → ai. */
export const MODERATION_FLAG_AI_ONLY: XapiStatement = {
  id: "30948a7e-8bc1-4d57-9687-0a0f9de1150d",
  actor: {
    objectType: "Agent",
    name: "Community Safety Classifier",
    account: { homePage: MODERATION_SYSTEM, name: "toxicity-classifier@5.3.1" },
  },
  verb: { id: VERBS.flagged, display: { en: "flagged" } },
  object: {
    objectType: "Activity",
    id: "https://chirp.example/posts/p-8f3a2c91",
    definition: {
      type: ENTITY_TYPES.post,
      name: { en: "Post p-8f3a2c91" },
      extensions: { [EXT.entity]: { type: "post", id: "p-8f3a2c91" } },
    },
  },
  result: {
    success: false,
    response: "Targeted harassment: insults directed at another user (policy H-2)",
    score: { scaled: 0.88 },
    extensions: { [EXT.outcome]: "flagged" },
  },
  context: {
    registration: "bbef7521-2b12-40e5-8a53-cf11f461b882",
    contextActivities: { category: PROFILE_CATEGORY },
    extensions: {
      [EXT.aiSystems]: [MODERATION_SYSTEM],
      [EXT.model]: { name: "toxicity-classifier", version: "5.3.1", provider: "Chirp Trust & Safety" },
      [EXT.parameters]: { flagThreshold: 0.8, removeThreshold: 0.95 },
      [EXT.inputRef]: {
        ref: "chirp://posts/p-8f3a2c91/revisions/3",
        sha256: "897a225aebeaf71c96a2218964b4e0685e22a5d4aea5917112fabd040e324ae4",
      },
      [EXT.inputFeatures]: { toxicity: 0.88, insult: 0.91, identity_attack: 0.12, link_count: 0, author_account_age_days: 12 },
      [EXT.personalFeatures]: ["author_account_age_days"],
      [EXT.subject]: { ref: "user-004211" },
      [EXT.output]: { labels: { harassment: 0.88, spam: 0.02, self_harm: 0.0 }, policy: "H-2" },
      [EXT.tokenUsage]: { input: 212, output: 8, total: 220 },
      [EXT.latencyMs]: 84,
      [EXT.pipeline]: [
        { step: "language-detection", status: "ok", ms: 6 },
        { step: "classification", status: "ok", ms: 71 },
      ],
    },
  },
  timestamp: "2025-03-02T09:41:05.118+01:00",
};

const TRIAGE_SYSTEM = "https://ai.st-elsewhere.example/systems/ed-triage";

/** A clinician decides with an AI advisor → ai_assisted_human. Reason text is declared personal (health data). */
export const CLINICAL_TRIAGE_AI_ASSISTED: XapiStatement = {
  id: "757640e1-c160-403d-b26d-0c40036086d4",
  actor: {
    objectType: "Agent",
    name: "Dr. Aisha Khan",
    account: { homePage: "https://staff.st-elsewhere.example/directory", name: "clin-0117" },
  },
  verb: { id: VERBS.triaged, display: { en: "triaged" } },
  object: {
    objectType: "Activity",
    id: "https://ed.st-elsewhere.example/encounters/enc-00412873",
    definition: {
      type: ENTITY_TYPES["patient-encounter"],
      name: { en: "ED encounter enc-00412873" },
      extensions: { [EXT.entity]: { type: "patient-encounter", id: "enc-00412873" } },
    },
  },
  result: {
    response: "Chest pain with diaphoresis and borderline hypotension; ECG within 10 minutes",
    score: { scaled: 0.81 },
    extensions: { [EXT.outcome]: "emergent", [EXT.aiOutcome]: "emergent" },
  },
  context: {
    registration: "ed1ec9d6-610d-4a4b-91d1-e597a89fcfe3",
    contextActivities: { category: PROFILE_CATEGORY },
    contextAgents: [
      {
        objectType: "contextAgent",
        agent: { objectType: "Agent", name: "ED Triage Assistant", account: { homePage: TRIAGE_SYSTEM, name: "triage-assist@2.0.3" } },
        relevantTypes: [ROLES.advisor],
      },
    ],
    extensions: {
      [EXT.aiSystems]: [TRIAGE_SYSTEM],
      [EXT.model]: { name: "triage-assist", version: "2.0.3", provider: "St Elsewhere Clinical AI" },
      [EXT.inputRef]: {
        ref: "fhir://ed.st-elsewhere.example/Encounter/enc-00412873/_history/2",
        sha256: "fe7217f5da2abf83b64de6d281337704c513c3e0e9aa51eb9762d276043a6fd0",
      },
      [EXT.promptRef]: {
        id: "ed-triage-advice",
        version: "4",
        sha256: "21ef9b5a8ab45e38ab13d4d9ee6c2352fcc95c8df17b742113a2d4336dc2e7cd",
      },
      [EXT.inputFeatures]: { heart_rate: 112, spo2: 94, systolic_bp: 98, age_band: "65-74", chief_complaint_code: "R07.4" },
      [EXT.personalFeatures]: ["heart_rate", "spo2", "systolic_bp", "age_band", "chief_complaint_code"],
      [EXT.personalData]: ["/result/response"],
      [EXT.subject]: { ref: "pat-00081234", mrnSha256: "b6b53ee777eb193f6134dd990794fd29fe2a18e1f1817453c5039ce3dc400cf1" },
      [EXT.output]: { suggestedLevel: "emergent", esi: 2 },
      [EXT.tokenUsage]: { input: 1630, output: 142, total: 1772 },
      [EXT.latencyMs]: 1380,
      [EXT.pipeline]: [
        { step: "vitals-normalisation", status: "ok", ms: 12 },
        { step: "llm-advice", status: "ok", ms: 1301 },
      ],
    },
  },
  timestamp: "2025-03-04T22:07:43.500-05:00",
};

/** A human replaces the AI's denial with an approval → ai_assisted_human, humanReview "overridden". */
export const LOAN_HUMAN_OVERRIDE: XapiStatement = {
  id: "9f0c3d52-6a1e-4b7f-8e2d-41c7a5b8e903",
  actor: {
    objectType: "Agent",
    name: "Tomás Álvarez",
    account: { homePage: BANK_STAFF, name: "staff-0077" },
  },
  verb: { id: VERBS.overrode, display: { en: "overrode" } },
  object: {
    objectType: "Activity",
    id: "https://loans.northwind-bank.example/applications/LA-2025-0007790",
    definition: {
      type: ENTITY_TYPES["loan-application"],
      name: { en: "Loan application LA-2025-0007790" },
      extensions: { [EXT.entity]: { type: "loan-application", id: "LA-2025-0007790" } },
    },
  },
  result: {
    success: true,
    response: "Verified additional rental income; recalculated debt-to-income 0.38 is within policy",
    score: { scaled: 0.58 },
    extensions: { [EXT.outcome]: "approved", [EXT.aiOutcome]: "denied" },
  },
  context: {
    statement: { objectType: "StatementRef", id: "6c2b9e41-0d7a-4f35-b1e8-93a4d2c7f610" },
    contextActivities: { category: PROFILE_CATEGORY },
    contextAgents: [
      {
        objectType: "contextAgent",
        agent: { objectType: "Agent", name: "Loan Underwriting Assistant", account: { homePage: LOAN_SYSTEM, name: "credit-risk@3.2.0" } },
        relevantTypes: [ROLES.advisor],
      },
    ],
    extensions: {
      [EXT.aiSystems]: [LOAN_SYSTEM],
      [EXT.model]: { name: "credit-risk", version: "3.2.0", provider: "Northwind Bank ML Platform" },
      [EXT.subject]: { ref: "cust-0019876", emailSha256: "b58f12c40c493191f95e8c23ff2c4babaea32520ee1b02d99a1ce383bb4966aa" },
      [EXT.inputRef]: {
        ref: "s3://nw-underwriting-inputs/2025/02/14/LA-2025-0007790.json",
        sha256: "bfd58286d5a4be68aaead96391b6c43fd7a698e63283d1d4fc0b5b4e73ec3ab2",
      },
    },
  },
  timestamp: "2025-02-14T10:05:52.010Z",
};

/** Keyed by the `<!-- example: NAME -->` markers in docs/decision-profile.md. */
export const PROFILE_EXAMPLES = {
  loanDenialHumanApproved: LOAN_DENIAL_HUMAN_APPROVED,
  moderationFlagAiOnly: MODERATION_FLAG_AI_ONLY,
  clinicalTriageAiAssisted: CLINICAL_TRIAGE_AI_ASSISTED,
  loanHumanOverride: LOAN_HUMAN_OVERRIDE,
} as const satisfies Record<string, XapiStatement>;
