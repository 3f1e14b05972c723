/**
 * The xAPI 2.0 statement subset the ledger accepts, as TypeScript types. The zod schema
 * that checks untrusted input against them is in schema.ts.
 */

export type LanguageMap = Record<string, string>;
export type Extensions = Record<string, unknown>;

export interface XapiAccount {
  homePage: string;
  name: string;
}

/** Exactly one of mbox, mbox_sha1sum, openid, account (checked by the schema). */
export interface XapiAgent {
  objectType?: "Agent";
  name?: string;
  mbox?: string;
  mbox_sha1sum?: string;
  openid?: string;
  account?: XapiAccount;
}

/** Identified (one IFI) or anonymous (no IFI, member required). */
export interface XapiGroup {
  objectType: "Group";
  name?: string;
  member?: XapiAgent[];
  mbox?: string;
  mbox_sha1sum?: string;
  openid?: string;
  account?: XapiAccount;
}

export type XapiActor = XapiAgent | XapiGroup;

export interface XapiVerb {
  id: string;
  display?: LanguageMap;
}

export interface XapiInteractionComponent {
  id: string;
  description?: LanguageMap;
}

export interface XapiActivityDefinition {
  name?: LanguageMap;
  description?: LanguageMap;
  type?: string;
  moreInfo?: string;
  extensions?: Extensions;
  interactionType?: "true-false" | "choice" | "fill-in" | "long-fill-in" | "matching" | "performance" | "sequencing" | "likert" | "numeric" | "other";
  correctResponsesPattern?: string[];
  choices?: XapiInteractionComponent[];
  scale?: XapiInteractionComponent[];
  source?: XapiInteractionComponent[];
  target?: XapiInteractionComponent[];
  steps?: XapiInteractionComponent[];
}

export interface XapiActivity {
  objectType?: "Activity";
  id: string;
  definition?: XapiActivityDefinition;
}

export interface XapiStatementRef {
  objectType: "StatementRef";
  id: string;
}

export type XapiAgentObject = XapiAgent & { objectType: "Agent" };
export type XapiObject = XapiActivity | XapiAgentObject | XapiGroup | XapiStatementRef;

export interface XapiScore {
  scaled?: number;
  raw?: number;
  min?: number;
  max?: number;
}

export interface XapiResult {
  score?: XapiScore;
  success?: boolean;
  completion?: boolean;
  response?: string;
  duration?: string;
  extensions?: Extensions;
}

export interface XapiContextAgent {
  objectType: "contextAgent";
  agent: XapiAgent;
  relevantTypes?: string[];
}

export interface XapiContextGroup {
  objectType: "contextGroup";
  group: XapiGroup;
  relevantTypes?: string[];
}

export interface XapiContextActivities {
  parent?: XapiActivity | XapiActivity[];
  grouping?: XapiActivity | XapiActivity[];
  category?: XapiActivity | XapiActivity[];
  other?: XapiActivity | XapiActivity[];
}

export interface XapiContext {
  registration?: string;
  instructor?: XapiActor;
  team?: XapiGroup;
  contextActivities?: XapiContextActivities;
  contextAgents?: XapiContextAgent[];
  contextGroups?: XapiContextGroup[];
  revision?: string;
  platform?: string;
  language?: string;
  statement?: XapiStatementRef;
  extensions?: Extensions;
}

/** Metadata only: the ledger never receives attachment bytes, so fileUrl is required. */
export interface XapiAttachment {
  usageType: string;
  display: LanguageMap;
  description?: LanguageMap;
  contentType: string;
  length: number;
  sha2: string;
  fileUrl: string;
}

export interface XapiStatement {
  id?: string;
  actor: XapiActor;
  verb: XapiVerb;
  object: XapiObject;
  result?: XapiResult;
  context?: XapiContext;
  /** Required by this profile (xAPI makes it optional); RFC 3339 with an offset. */
  timestamp: string;
  stored?: string;
  authority?: XapiActor;
  version?: string;
  attachments?: XapiAttachment[];
}
