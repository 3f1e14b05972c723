/**
 * Decision Ledger xAPI statements: types, validation, server-side preparation and the
 * derivations the ledger stores next to each statement (see docs/decision-profile.md,
 * which is the normative description of everything in this file).
 *
 * Plain TypeScript on purpose: no Node-only imports, so the explorer can validate,
 * derive and mask statements in the browser with exactly the same rules as the server.
 * Derivations read only the statement itself (never a mutable registry), so a column
 * can always be recomputed from the hashed record and checked.
 */
import { z } from "zod";

// ---------------------------------------------------------------------------------------
// Profile vocabulary
// ---------------------------------------------------------------------------------------

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

/** What replaces a personal value in a masked copy. Display only: masked copies are not records. */
export const PERSONAL_DATA_MASK = "••• personal data (hidden)";

/** Limits for values the ledger can canonicalise (RFC 8785) and store without loss. */
export const STORAGE_LIMITS = {
  /** UTF-8 bytes per string (and per object key). */
  maxStringBytes: 64 * 1024,
  /** Nested arrays/objects, counting the statement itself as level 1. */
  maxDepth: 32,
} as const;

// ---------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------

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

/** A problem located by an RFC 6901 JSON pointer into the submitted statement. */
export interface FieldError {
  pointer: string;
  message: string;
}

export type ValidationResult = { ok: true; statement: XapiStatement } | { ok: false; errors: FieldError[] };

// ---------------------------------------------------------------------------------------
// Format checks (exported: the UI and API reuse them)
// ---------------------------------------------------------------------------------------

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:/;
// Characters RFC 3987 never allows unescaped: controls, space and the "unwise" set.
// Non-ASCII letters are fine (that is the point of IRIs).
const IRI_FORBIDDEN_RE = /[\u0000-\u0020\u007f-\u009f<>"{}|\\^`\u2028\u2029]/;
const BAD_PERCENT_RE = /%(?![0-9A-Fa-f]{2})/;

/** Best-effort absolute IRI check (xAPI allows best effort): scheme, no forbidden characters, sane authority. */
export function isAbsoluteIri(value: string): boolean {
  const scheme = SCHEME_RE.exec(value);
  if (!scheme) return false;
  if (IRI_FORBIDDEN_RE.test(value) || BAD_PERCENT_RE.test(value)) return false;
  const rest = value.slice(scheme[0].length);
  if (rest.length === 0) return false;
  if (value.indexOf("#") !== value.lastIndexOf("#")) return false;
  const s = scheme[0].toLowerCase();
  if (s === "http:" || s === "https:") {
    // Hierarchical web IRIs need a host; "https:foo" or "https:///x" are typos, not identifiers.
    const m = /^\/\/([^/?#]*)/.exec(rest);
    if (!m) return false;
    const host = m[1]!.replace(/^[^@]*@/, "").replace(/:\d*$/, "");
    if (host.length === 0) return false;
  }
  return true;
}

const MAILTO_RE = /^mailto:[^@\s<>"]+@[^@\s<>"]+$/;
const SHA1_HEX_RE = /^[0-9a-fA-F]{40}$/;
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const SHA2_HEX_RE = /^(?:[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})$/;
const MEDIA_TYPE_RE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(?:\s*;.*)?$/;
const DURATION_RE =
  /^P(?:\d+(?:[.,]\d+)?W|(?=\d|T\d)(?:\d+(?:[.,]\d+)?Y)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?D)?(?:T(?=\d)(?:\d+(?:[.,]\d+)?H)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?S)?)?)$/;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

// RFC 5646 langtag / privateuse / grandfathered, case-insensitive.
const LANG_TAG_RE = new RegExp(
  "^(?:" +
    "(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})" + // language (+ extlang)
    "(?:-[a-z]{4})?" + // script
    "(?:-(?:[a-z]{2}|\\d{3}))?" + // region
    "(?:-(?:[a-z\\d]{5,8}|\\d[a-z\\d]{3}))*" + // variants
    "(?:-[\\da-wyz](?:-[a-z\\d]{2,8})+)*" + // extensions
    "(?:-x(?:-[a-z\\d]{1,8})+)?" + // private use
    "|x(?:-[a-z\\d]{1,8})+" +
    "|en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo|i-pwn|i-tao|i-tay|i-tsu" +
    "|sgn-be-fr|sgn-be-nl|sgn-ch-de|art-lojban|cel-gaulish|no-bok|no-nyn|zh-guoyu|zh-hakka|zh-min|zh-min-nan|zh-xiang" +
    ")$",
  "i",
);

export function isLanguageTag(value: string): boolean {
  return LANG_TAG_RE.test(value);
}

const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 date-time that carries an offset ("Z" or ±hh:mm) into epoch
 * milliseconds, or null. Done by hand rather than Date.parse so browsers and Node agree
 * and calendar-invalid dates (Feb 30) are rejected instead of rolled over. Leap seconds
 * (":60") are rejected because a Date cannot represent them faithfully.
 */
export function parseRfc3339(value: string): number | null {
  const m = RFC3339_RE.exec(value);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  if (day > daysInMonth) return null;
  let offsetMinutes = 0;
  if (!m[8]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const ms = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000 + 1e-6) : 0;
  const d = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime() - offsetMinutes * 60_000;
}

export function isRfc3339Timestamp(value: string): boolean {
  return parseRfc3339(value) !== null;
}

// ---------------------------------------------------------------------------------------
// JSON pointers (RFC 6901)
// ---------------------------------------------------------------------------------------

export function escapePointerToken(token: string | number): string {
  return String(token).replace(/~/g, "~0").replace(/\//g, "~1");
}

export function toJsonPointer(path: readonly (string | number)[]): string {
  let out = "";
  for (const t of path) out += "/" + escapePointerToken(t);
  return out;
}

export function parseJsonPointer(pointer: string): string[] | null {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) return null;
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function getAtPath(root: unknown, path: readonly (string | number)[]): unknown {
  let cur: unknown = root;
  for (const t of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (Array.isArray(cur)) {
      const i = typeof t === "number" ? t : /^(?:0|[1-9]\d*)$/.test(t) ? Number(t) : -1;
      if (i < 0 || i >= cur.length) return undefined;
      cur = cur[i];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, t)) return undefined;
      cur = (cur as Record<string, unknown>)[String(t)];
    }
  }
  return cur;
}

/** The value at an RFC 6901 pointer, or undefined when the pointer does not resolve. */
export function getByPointer(root: unknown, pointer: string): unknown {
  const path = parseJsonPointer(pointer);
  return path === null ? undefined : getAtPath(root, path);
}

// ---------------------------------------------------------------------------------------
// Storability pre-check
// ---------------------------------------------------------------------------------------

const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function stringProblem(s: string, what: string): string | null {
  if (s.indexOf("\u0000") !== -1) return `${what} contains U+0000, which cannot be stored`;
  if (LONE_SURROGATE_RE.test(s)) return `${what} contains a lone surrogate (not valid Unicode), which cannot be canonicalised`;
  // Each UTF-16 unit is at least one UTF-8 byte and at most three, so only long strings need counting.
  if (s.length > STORAGE_LIMITS.maxStringBytes) return `${what} is longer than ${STORAGE_LIMITS.maxStringBytes} bytes`;
  if (s.length * 3 > STORAGE_LIMITS.maxStringBytes && utf8Length(s) > STORAGE_LIMITS.maxStringBytes)
    return `${what} is longer than ${STORAGE_LIMITS.maxStringBytes} bytes`;
  return null;
}

/**
 * First value that cannot be canonicalised (RFC 8785) and stored faithfully, or null.
 * Runs before schema validation so that nothing downstream (zod, JCS, Postgres jsonb)
 * ever sees NaN/Infinity, integers that doubles cannot hold exactly, lone surrogates,
 * U+0000 (Postgres text rejects it), non-JSON values (undefined, functions, Dates,
 * class instances), oversized strings, or nesting deep enough to be a cycle.
 * For a bad object key the pointer names the object holding it (a pointer containing
 * the bad key would itself be unstorable).
 */
export function findUnstorableValue(value: unknown): FieldError | null {
  const found = scanUnstorable(value);
  return found && { pointer: found.pointer, message: found.message };
}

/** `tooDeep` marks the one problem after which nothing else may walk the value (it may be cyclic). */
function scanUnstorable(value: unknown): (FieldError & { tooDeep: boolean }) | null {
  const path: (string | number)[] = [];
  const fail = (message: string, tooDeep = false) => ({ pointer: toJsonPointer(path), message, tooDeep });

  const walk = (v: unknown, depth: number): ReturnType<typeof fail> | null => {
    switch (typeof v) {
      case "string": {
        const p = stringProblem(v, "string");
        return p ? fail(p) : null;
      }
      case "number":
        if (!Number.isFinite(v)) return fail(`${String(v)} is not a JSON number`);
        if (Math.abs(v) > Number.MAX_SAFE_INTEGER) return fail("number beyond ±(2^53−1) cannot be stored exactly");
        return null;
      case "boolean":
        return null;
      case "object": {
        if (v === null) return null;
        if (depth + 1 > STORAGE_LIMITS.maxDepth) return fail(`nesting deeper than ${STORAGE_LIMITS.maxDepth} levels`, true);
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) {
            path.push(i);
            const item: unknown = v[i];
            const e = item === undefined ? fail("undefined (or an array hole) is not a JSON value") : walk(item, depth + 1);
            if (e) return e;
            path.pop();
          }
          return null;
        }
        const proto: unknown = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) {
          const name = (v as { constructor?: { name?: string } }).constructor?.name ?? "object";
          return fail(`${name} is not a plain JSON value`);
        }
        for (const key of Object.keys(v)) {
          const kp = stringProblem(key, "object key");
          if (kp) return fail(`${kp} (key ${JSON.stringify(key).slice(0, 80)})`);
          path.push(key);
          const item: unknown = (v as Record<string, unknown>)[key];
          const e = item === undefined ? fail("undefined is not a JSON value (omit the property instead)") : walk(item, depth + 1);
          if (e) return e;
          path.pop();
        }
        return null;
      }
      default:
        return fail(`${typeof v} is not a JSON value`);
    }
  };
  return walk(value, 0);
}

// ---------------------------------------------------------------------------------------
// Schema (xAPI 2.0 subset)
// ---------------------------------------------------------------------------------------

const iri = z.string().refine(isAbsoluteIri, "must be an absolute IRI with a scheme, e.g. https://example.com/x");
const uuid = z.string().regex(UUID_RE, "must be a UUID in standard form (8-4-4-4-12 hex digits)");
const timestamp = z
  .string()
  .refine(isRfc3339Timestamp, "must be an RFC 3339 date-time with an offset (Z or ±hh:mm), e.g. 2025-02-13T14:23:17.234Z");
const languageMap = z.record(z.string().refine(isLanguageTag, "language map key must be an RFC 5646 language tag"), z.string());
const extensions = z.record(z.string().refine(isAbsoluteIri, "extension key must be an absolute IRI"), z.unknown());

const account = z.strictObject({ homePage: iri, name: z.string().min(1, "account name must not be empty") });

const ifiShape = {
  mbox: z.string().regex(MAILTO_RE, "must be a mailto IRI (mailto:name@host)").optional(),
  mbox_sha1sum: z.string().regex(SHA1_HEX_RE, "must be the 40-digit hex SHA-1 of a mailto IRI").optional(),
  openid: iri.optional(),
  account: account.optional(),
};
const IFI_KEYS = ["mbox", "mbox_sha1sum", "openid", "account"] as const;

function presentIfis(v: Partial<Record<(typeof IFI_KEYS)[number], unknown>>): string[] {
  return IFI_KEYS.filter((k) => v[k] !== undefined);
}

function makeAgent<T extends z.ZodType>(objectType: T) {
  return z
    .strictObject({ objectType, name: z.string().optional(), ...ifiShape })
    .superRefine((a, ctx) => {
      const ifis = presentIfis(a);
      if (ifis.length !== 1)
        ctx.addIssue({
          code: "custom",
          message: `an Agent needs exactly one identifier (mbox, mbox_sha1sum, openid or account); found ${ifis.length === 0 ? "none" : ifis.join(", ")}`,
        });
    });
}

const agent = makeAgent(z.literal("Agent", { error: 'must be "Agent" (a Group cannot appear here)' }).optional());
// xAPI: an Agent used as the statement's object MUST state its objectType.
const agentObject = makeAgent(z.literal("Agent"));

const group = z
  .strictObject({
    objectType: z.literal("Group"),
    name: z.string().optional(),
    member: z.array(agent).optional(),
    ...ifiShape,
  })
  .superRefine((g, ctx) => {
    const ifis = presentIfis(g);
    if (ifis.length > 1)
      ctx.addIssue({ code: "custom", message: `an identified Group needs exactly one identifier; found ${ifis.join(", ")}` });
    else if (ifis.length === 0 && g.member === undefined)
      ctx.addIssue({ code: "custom", message: "an anonymous Group (no identifier) must list its members", path: ["member"] });
  });

const actor = z.discriminatedUnion("objectType", [agent, group]);

const verb = z.strictObject({ id: iri, display: languageMap.optional() });

const interactionComponent = z.strictObject({ id: z.string(), description: languageMap.optional() });
const componentList = z.array(interactionComponent).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((c, i) => {
    if (seen.has(c.id)) ctx.addIssue({ code: "custom", message: `duplicate interaction component id "${c.id}"`, path: [i, "id"] });
    seen.add(c.id);
  });
});

const activityDefinition = z.strictObject({
  name: languageMap.optional(),
  description: languageMap.optional(),
  type: iri.optional(),
  moreInfo: iri.optional(),
  extensions: extensions.optional(),
  interactionType: z
    .enum(["true-false", "choice", "fill-in", "long-fill-in", "matching", "performance", "sequencing", "likert", "numeric", "other"])
    .optional(),
  correctResponsesPattern: z.array(z.string()).optional(),
  choices: componentList.optional(),
  scale: componentList.optional(),
  source: componentList.optional(),
  target: componentList.optional(),
  steps: componentList.optional(),
});

const activity = z.strictObject({
  objectType: z.literal("Activity").optional(),
  id: iri,
  definition: activityDefinition.optional(),
});

const statementRef = z.strictObject({ objectType: z.literal("StatementRef"), id: uuid });

// A missing objectType means Activity (xAPI default), so Agent objects must say "Agent".
const statementObject = z.discriminatedUnion("objectType", [activity, agentObject, group, statementRef]);

const score = z
  .strictObject({
    scaled: z.number().min(-1, "scaled score must be between -1 and 1").max(1, "scaled score must be between -1 and 1").optional(),
    raw: z.number().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .superRefine((s, ctx) => {
    if (s.min !== undefined && s.max !== undefined && !(s.min < s.max))
      ctx.addIssue({ code: "custom", message: "min must be less than max", path: ["min"] });
    if (s.raw !== undefined && s.min !== undefined && s.raw < s.min)
      ctx.addIssue({ code: "custom", message: "raw must not be below min", path: ["raw"] });
    if (s.raw !== undefined && s.max !== undefined && s.raw > s.max)
      ctx.addIssue({ code: "custom", message: "raw must not be above max", path: ["raw"] });
  });

const result = z.strictObject({
  score: score.optional(),
  success: z.boolean().optional(),
  completion: z.boolean().optional(),
  response: z.string().optional(),
  duration: z.string().regex(DURATION_RE, "must be an ISO 8601 duration, e.g. PT1.25S").optional(),
  extensions: extensions.optional(),
});

const oneOrManyActivities = z.union([z.array(activity), activity]);

const contextAgent = z.strictObject({
  objectType: z.literal("contextAgent"),
  agent,
  relevantTypes: z.array(iri).min(1, "relevantTypes, when present, must list at least one IRI").optional(),
});

const contextGroup = z.strictObject({
  objectType: z.literal("contextGroup"),
  group,
  relevantTypes: z.array(iri).min(1, "relevantTypes, when present, must list at least one IRI").optional(),
});

const context = z.strictObject({
  registration: uuid.optional(),
  instructor: actor.optional(),
  team: group.optional(),
  contextActivities: z
    .strictObject({
      parent: oneOrManyActivities.optional(),
      grouping: oneOrManyActivities.optional(),
      category: oneOrManyActivities.optional(),
      other: oneOrManyActivities.optional(),
    })
    .optional(),
  contextAgents: z.array(contextAgent).optional(),
  contextGroups: z.array(contextGroup).optional(),
  revision: z.string().optional(),
  platform: z.string().optional(),
  language: z.string().refine(isLanguageTag, "must be an RFC 5646 language tag").optional(),
  statement: statementRef.optional(),
  extensions: extensions.optional(),
});

const attachment = z.strictObject({
  usageType: iri,
  display: languageMap,
  description: languageMap.optional(),
  contentType: z.string().regex(MEDIA_TYPE_RE, "must be an Internet media type, e.g. application/pdf"),
  length: z.number().int("must be a whole number of octets").nonnegative(),
  sha2: z.string().regex(SHA2_HEX_RE, "must be a hex SHA-2 digest"),
  // Bytes are never uploaded to the ledger; an attachment without fileUrl would be a dangling header.
  fileUrl: iri,
});

/** The accepted statement subset. Prefer validateStatement, which adds storability and cross-field checks. */
export const xapiStatementSchema: z.ZodType<XapiStatement> = z.strictObject({
  id: uuid.optional(),
  actor,
  verb,
  object: statementObject,
  result: result.optional(),
  context: context.optional(),
  timestamp,
  stored: timestamp.optional(),
  authority: actor.optional(),
  version: z.string().regex(/^[12]\.0\.\d+$/, "must be an xAPI version 1.0.x or 2.0.x").optional(),
  attachments: z.array(attachment).optional(),
});

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

type Issue = z.core.$ZodIssue;
type Path = (string | number)[];

const OBJECT_TYPES_HINT: Record<string, string> = {
  "/actor": "Agent or Group",
  "/authority": "Agent or Group",
  "/context/instructor": "Agent or Group",
  "/object": "Activity (default), Agent, Group or StatementRef",
};

function customMessage(iss: z.core.$ZodRawIssue): string | undefined {
  if (iss.code === "invalid_type" && iss.input === undefined) return "required property is missing";
  if (iss.code === "invalid_type" && iss.input === null) return `null is not allowed here (expected ${String(iss.expected)})`;
  return undefined;
}

function issuesToErrors(issues: readonly Issue[], base: Path, input: unknown, out: FieldError[]): void {
  for (const iss of issues) {
    const path: Path = [...base, ...(iss.path.filter((p) => typeof p !== "symbol") as Path)];
    switch (iss.code) {
      case "unrecognized_keys":
        for (const k of iss.keys)
          out.push({ pointer: toJsonPointer([...path, k]), message: `unknown property "${k}" (not allowed by xAPI here)` });
        break;
      case "invalid_union": {
        if (iss.errors.length === 0) {
          // Discriminator mismatch: the pointer names objectType itself.
          const ownerPath = path.slice(0, -1);
          const value = getAtPath(input, path);
          const hint = OBJECT_TYPES_HINT[toJsonPointer(ownerPath).replace(/\/\d+$/, "")] ?? "a supported objectType";
          out.push({
            pointer: toJsonPointer(path),
            message:
              value === "SubStatement"
                ? "SubStatement objects are not accepted by Decision Ledger (record the event as its own statement and use StatementRef)"
                : `objectType ${JSON.stringify(value)} is not accepted here; expected ${hint}`,
          });
          break;
        }
        // One branch per alternative; report the branch that got furthest (one that did
        // not fail on the value's basic type), e.g. "array of activities" vs "activity".
        const branches = iss.errors.filter((b) => !b.some((e) => e.code === "invalid_type" && e.path.length === 0));
        issuesToErrors(branches[0] ?? iss.errors[0]!, path, input, out);
        break;
      }
      case "invalid_key": {
        const inner = iss.issues[0]?.message ?? "invalid key";
        out.push({ pointer: toJsonPointer(path), message: inner });
        break;
      }
      default:
        out.push({ pointer: toJsonPointer(path), message: iss.message });
    }
  }
}

/** Rules that span properties; only run on a statement that passed the schema. */
function crossFieldErrors(s: XapiStatement): FieldError[] {
  const errors: FieldError[] = [];
  const objectIsActivity = s.object.objectType === undefined || s.object.objectType === "Activity";
  if (!objectIsActivity && s.context?.revision !== undefined)
    errors.push({ pointer: "/context/revision", message: "revision may only be used when the object is an Activity" });
  if (!objectIsActivity && s.context?.platform !== undefined)
    errors.push({ pointer: "/context/platform", message: "platform may only be used when the object is an Activity" });
  if (s.verb.id === "http://adlnet.gov/expapi/verbs/voided" && s.object.objectType !== "StatementRef")
    errors.push({ pointer: "/object", message: "a voiding statement's object must be a StatementRef" });
  return errors;
}

/**
 * Validates an untrusted value as a Decision Ledger statement. Never throws. Every error
 * names an RFC 6901 pointer into the input. Unstorable values (NaN, lone surrogates, ...)
 * are reported first; a too-deep (possibly cyclic) value stops validation there.
 */
export function validateStatement(input: unknown): ValidationResult {
  try {
    const found = scanUnstorable(input);
    const unstorable: FieldError | null = found && { pointer: found.pointer, message: found.message };
    // Too deep may mean cyclic: nothing else may walk it.
    if (found?.tooDeep) return { ok: false, errors: [unstorable!] };
    const parsed = xapiStatementSchema.safeParse(input, { error: customMessage });
    const errors: FieldError[] = [];
    if (!parsed.success) issuesToErrors(parsed.error.issues, [], input, errors);
    else errors.push(...crossFieldErrors(parsed.data));
    if (unstorable) {
      // The storability message is the precise one; schema complaints about the same value
      // (e.g. "expected number" for NaN) would only repeat it.
      const shadowed = (e: FieldError) => e.pointer === unstorable.pointer || e.pointer.startsWith(unstorable.pointer + "/");
      return { ok: false, errors: [unstorable, ...dedupe(errors.filter((e) => !shadowed(e)))] };
    }
    if (errors.length > 0) return { ok: false, errors: dedupe(errors) };
    return { ok: true, statement: parsed.data! };
  } catch (e) {
    // Hostile inputs (throwing getters, proxies) must not escape as exceptions.
    return { ok: false, errors: [{ pointer: "", message: `statement could not be read: ${e instanceof Error ? e.message : String(e)}` }] };
  }
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.pointer}\u0000${e.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

// ---------------------------------------------------------------------------------------
// Server fields
// ---------------------------------------------------------------------------------------

export interface PrepareOptions {
  /** Used when the statement has no id; defaults to crypto.randomUUID(). */
  id?: string;
  /** When the ledger stored it (RFC 3339). */
  stored: string;
  /** Who asserted it: derived from the credentials, never from the client. */
  authority: XapiAgent | XapiGroup;
}

/**
 * Sets the fields xAPI reserves for the LRS: keeps the client's id (or assigns one) and
 * always overwrites stored and authority, so a client cannot back-date storage or claim
 * to be another writer. Returns a deep copy; the input is not modified.
 */
export function prepareStatement(statement: XapiStatement, options: PrepareOptions): XapiStatement {
  if (!isRfc3339Timestamp(options.stored)) throw new TypeError(`prepareStatement: stored is not an RFC 3339 timestamp: ${options.stored}`);
  const id = statement.id ?? options.id ?? globalThis.crypto.randomUUID();
  if (!isUuid(id)) throw new TypeError(`prepareStatement: id is not a UUID: ${id}`);
  const copy = structuredClone(statement) as XapiStatement;
  delete copy.stored;
  delete copy.authority;
  return { id, ...copy, stored: options.stored, authority: structuredClone(options.authority) };
}

/**
 * The statement without `stored`: what "same content" means when a writer retries an id.
 * Authority stays in: the same id asserted by a different writer is a different record.
 */
export function contentWithoutServerFields(statement: XapiStatement): Omit<XapiStatement, "stored"> {
  const { stored: _stored, ...content } = statement;
  void _stored;
  return content;
}

// ---------------------------------------------------------------------------------------
// Derivation
// ---------------------------------------------------------------------------------------

/** Ordered from most to least autonomous AI. */
export const ACTOR_TYPES = [
  { value: "ai", label: "AI (autonomous)", description: "An AI system decided; no human approved or overrode it." },
  { value: "human_approved_ai", label: "Human-approved AI", description: "An AI system decided and a human approved it." },
  {
    value: "ai_assisted_human",
    label: "AI-assisted human",
    description: "A human made the final call with AI input (including overriding the AI).",
  },
  { value: "human", label: "Human", description: "A human decided; no AI system contributed." },
] as const;
export type ActorType = (typeof ACTOR_TYPES)[number]["value"];
export const ACTOR_TYPE_LABELS: Record<ActorType, string> = Object.fromEntries(ACTOR_TYPES.map((t) => [t.value, t.label])) as Record<
  ActorType,
  string
>;

export type HumanReview = "approved" | "overridden" | "none";

export interface DecisionColumns {
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

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === "string" && v.length > 0 ? v : null;
}

function contextExt(s: XapiStatement, key: string): unknown {
  const ext = s.context?.extensions;
  return ext && Object.prototype.hasOwnProperty.call(ext, key) ? ext[key] : undefined;
}

/** System IRIs this statement declares as AI systems (the only source of "is AI"). */
export function aiSystemIris(s: XapiStatement): ReadonlySet<string> {
  const v = contextExt(s, EXT.aiSystems);
  return new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
}

/** An Agent or Group is an AI system iff its account.homePage is declared in ai-systems. */
export function isAiAgent(agent: XapiActor, aiSystems: ReadonlySet<string>): boolean {
  return agent.account !== undefined && aiSystems.has(agent.account.homePage);
}

/** The IFI as one string: "mbox:mailto:…", "mbox_sha1sum:…", "openid:…", "account:<homePage>|<name>", "group:[…]". */
export function agentIdOf(a: XapiActor): string {
  if (a.mbox !== undefined) return `mbox:${a.mbox}`;
  if (a.mbox_sha1sum !== undefined) return `mbox_sha1sum:${a.mbox_sha1sum.toLowerCase()}`;
  if (a.openid !== undefined) return `openid:${a.openid}`;
  if (a.account !== undefined) return `account:${a.account.homePage}|${a.account.name}`;
  // Anonymous group: identified by its (unordered) members.
  const members = (a.objectType === "Group" ? (a.member ?? []) : []).map(agentIdOf).sort();
  return `group:[${members.join(",")}]`;
}

function hasRole(relevantTypes: readonly string[] | undefined, role: string): boolean {
  return relevantTypes !== undefined && relevantTypes.includes(role);
}

interface Participants {
  aiSystems: ReadonlySet<string>;
  actorIsAi: boolean;
  /** AI agents other than the actor, in document order (advisors first). */
  aiContributors: XapiActor[];
  approvers: XapiAgent[];
  overriders: XapiAgent[];
}

function participants(s: XapiStatement): Participants {
  const aiSystems = aiSystemIris(s);
  const isAi = (a: XapiActor) => isAiAgent(a, aiSystems);
  const ctx = s.context;
  const contextAgents = ctx?.contextAgents ?? [];
  const advisors: XapiActor[] = [];
  const others: XapiActor[] = [];
  for (const ca of contextAgents) {
    if (!isAi(ca.agent)) continue;
    (hasRole(ca.relevantTypes, ROLES.advisor) ? advisors : others).push(ca.agent);
  }
  const groupAi = (g: XapiGroup | undefined): XapiActor[] => (g ? [...(isAi(g) ? [g] : []), ...(g.member ?? []).filter(isAi)] : []);
  for (const cg of ctx?.contextGroups ?? []) others.push(...groupAi(cg.group));
  if (ctx?.instructor) others.push(...(ctx.instructor.objectType === "Group" ? groupAi(ctx.instructor) : isAi(ctx.instructor) ? [ctx.instructor] : []));
  others.push(...groupAi(ctx?.team));
  const actorIsAi = isAi(s.actor);
  if (!actorIsAi && s.actor.objectType === "Group") others.unshift(...(s.actor.member ?? []).filter(isAi));
  const humansWith = (role: string) => contextAgents.filter((ca) => hasRole(ca.relevantTypes, role) && !isAi(ca.agent)).map((ca) => ca.agent);
  return {
    aiSystems,
    actorIsAi,
    aiContributors: [...advisors, ...others],
    approvers: humansWith(ROLES.approver),
    overriders: humansWith(ROLES.overrider),
  };
}

function humanReviewOf(s: XapiStatement, p: Participants): { review: HumanReview; reviewer: XapiActor | null } {
  if (p.overriders.length > 0) return { review: "overridden", reviewer: p.overriders[0]! };
  if (s.verb.id === VERBS.overrode && !p.actorIsAi) return { review: "overridden", reviewer: s.actor };
  if (p.approvers.length > 0) return { review: "approved", reviewer: p.approvers[0]! };
  return { review: "none", reviewer: null };
}

function actorTypeOf(s: XapiStatement, p: Participants): ActorType {
  if (p.actorIsAi) {
    // A human override makes the human's the final call, whoever the actor is.
    if (p.overriders.length > 0) return "ai_assisted_human";
    if (p.approvers.length > 0) return "human_approved_ai";
    return "ai";
  }
  return p.aiContributors.length > 0 ? "ai_assisted_human" : "human";
}

/** Who made the final call, per the profile's deterministic rule (docs/decision-profile.md). */
export function deriveActorType(statement: XapiStatement): ActorType {
  return actorTypeOf(statement, participants(statement));
}

function lastIriSegment(iriValue: string): string {
  const cut = Math.max(iriValue.lastIndexOf("/"), iriValue.lastIndexOf("#"), iriValue.lastIndexOf(":"));
  const seg = iriValue.slice(cut + 1).replace(/[?].*$/, "");
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

function firstLanguageValue(map: LanguageMap | undefined): string | null {
  if (!map) return null;
  return str(map.en) ?? str(map["en-US"]) ?? str(map["en-GB"]) ?? Object.values(map).map(str).find((v) => v !== null) ?? null;
}

/** Short verb name: last IRI segment ("…/verbs/denied" → "denied"), else display, else the IRI. */
export function verbShortName(v: XapiVerb): string {
  return str(lastIriSegment(v.id)) ?? firstLanguageValue(v.display) ?? v.id;
}

function splitModelAccount(name: string): { model: string; version: string | null } {
  const at = name.lastIndexOf("@");
  return at > 0 ? { model: name.slice(0, at), version: name.slice(at + 1) || null } : { model: name, version: null };
}

/** Columns stored next to each statement for filtering; see the profile for each rule. */
export function deriveDecisionColumns(statement: XapiStatement): DecisionColumns {
  const s = statement;
  const p = participants(s);
  const { review, reviewer } = humanReviewOf(s, p);
  const ai: XapiActor | null = p.actorIsAi ? s.actor : (p.aiContributors[0] ?? null);

  const model = contextExt(s, EXT.model);
  const fromAccount = ai?.account ? splitModelAccount(ai.account.name) : null;
  const modelName = (isRecord(model) ? str(model.name) : null) ?? fromAccount?.model ?? null;
  const modelVersion = (isRecord(model) ? str(model.version) : null) ?? fromAccount?.version ?? null;

  const obj = s.object;
  let entityType: string | null = null;
  let entityId: string | null = null;
  if (obj.objectType === undefined || obj.objectType === "Activity") {
    const act = obj as XapiActivity;
    const entity = act.definition?.extensions?.[EXT.entity];
    entityType = (isRecord(entity) ? str(entity.type) : null) ?? (act.definition?.type ? str(lastIriSegment(act.definition.type)) : null);
    entityId = (isRecord(entity) ? str(entity.id) : null) ?? act.id;
  } else if (obj.objectType === "StatementRef") {
    entityType = "statement";
    entityId = obj.id;
  } else {
    entityType = obj.objectType === "Group" ? "group" : "agent";
    entityId = agentIdOf(obj as XapiAgentObject | XapiGroup);
  }

  const resultExt = s.result?.extensions;
  const outcome = resultExt ? str(resultExt[EXT.outcome]) : null;
  const scaled = s.result?.score?.scaled;
  const latency = contextExt(s, EXT.latencyMs);
  const latencyMs =
    typeof latency === "number" && Number.isFinite(latency) && latency >= 0 && latency <= 2_147_483_647 ? Math.round(latency) : null;
  const error = contextExt(s, EXT.error);

  // Search text never includes values the statement marks personal (the index is not masked).
  const personal = new Set(personalDataPointers(s));
  const searchParts: string[] = [];
  const addSearch = (pointer: string, v: unknown) => {
    const text = str(v);
    if (text !== null && !personal.has(pointer) && ![...personal].some((pp) => pointer.startsWith(pp + "/"))) searchParts.push(text);
  };
  addSearch("/result/response", s.result?.response);
  if (outcome !== null) addSearch(`/result/extensions/${escapePointerToken(EXT.outcome)}`, outcome);
  const errPtr = `/context/extensions/${escapePointerToken(EXT.error)}`;
  if (isRecord(error)) addSearch(`${errPtr}/message`, error.message);
  const output = contextExt(s, EXT.output);
  const outPtr = `/context/extensions/${escapePointerToken(EXT.output)}`;
  if (typeof output === "string") addSearch(outPtr, output);
  else if (isRecord(output)) for (const k of ["text", "summary", "rationale"]) addSearch(`${outPtr}/${k}`, output[k]);
  if (obj.objectType === undefined || obj.objectType === "Activity") {
    const name = (obj as XapiActivity).definition?.name;
    for (const [lang, text] of Object.entries(name ?? {})) addSearch(`/object/definition/name/${escapePointerToken(lang)}`, text);
  }

  return {
    occurredAt: new Date(parseRfc3339(s.timestamp) ?? Number.NaN),
    actorType: actorTypeOf(s, p),
    actorId: agentIdOf(s.actor),
    actorName: str(s.actor.name),
    aiSystem: ai ? (str(ai.name) ?? ai.account?.homePage ?? agentIdOf(ai)) : null,
    modelName,
    modelVersion,
    verb: verbShortName(s.verb),
    entityType,
    entityId,
    outcome,
    confidence: typeof scaled === "number" && Number.isFinite(scaled) ? scaled : null,
    latencyMs,
    sessionId: s.context?.registration ?? str(contextExt(s, EXT.sessionId)),
    reviewerId: reviewer ? agentIdOf(reviewer) : null,
    reviewerName: reviewer ? str(reviewer.name) : null,
    humanReview: review,
    errorState: error !== undefined && error !== null && error !== false,
    searchText: searchParts.join("\n"),
  };
}

// ---------------------------------------------------------------------------------------
// Personal data
// ---------------------------------------------------------------------------------------

/** The profile's personal-data rules as pointer patterns (documentation and UI legends). */
export const PERSONAL_DATA_PATTERNS = [
  `/context/extensions/${escapePointerToken(EXT.subject)}`,
  `/context/extensions/${escapePointerToken(EXT.inputFeatures)}/{name listed in ${EXT.personalFeatures}}`,
  `{each pointer listed in /context/extensions/${escapePointerToken(EXT.personalData)}}`,
  `/context/contextAgents/{i}/agent/{name|mbox|mbox_sha1sum|openid|account/name} where relevantTypes contains ${ROLES.dataSubject}`,
  "/object/{name|mbox|mbox_sha1sum|openid|account/name} when object.objectType is Agent or Group",
  "/object/member/{i}/{name|mbox|mbox_sha1sum|openid|account/name} when object.objectType is Group",
] as const;

function agentPersonalPointers(a: XapiActor, base: string, out: string[]): void {
  for (const k of ["name", "mbox", "mbox_sha1sum", "openid"] as const) if (a[k] !== undefined) out.push(`${base}/${k}`);
  if (a.account !== undefined) out.push(`${base}/account/name`);
}

/**
 * Concrete pointers to the personal values present in this statement, in document order,
 * without duplicates. Declarations can only add to the profile's fixed rules, never remove.
 */
export function personalDataPointers(statement: XapiStatement): string[] {
  const s = statement;
  const out: string[] = [];
  const extBase = "/context/extensions/";
  if (contextExt(s, EXT.subject) !== undefined) out.push(extBase + escapePointerToken(EXT.subject));

  const features = contextExt(s, EXT.inputFeatures);
  const personalFeatures = contextExt(s, EXT.personalFeatures);
  if (isRecord(features) && Array.isArray(personalFeatures)) {
    for (const name of personalFeatures)
      if (typeof name === "string" && Object.prototype.hasOwnProperty.call(features, name))
        out.push(`${extBase}${escapePointerToken(EXT.inputFeatures)}/${escapePointerToken(name)}`);
  }

  (s.context?.contextAgents ?? []).forEach((ca, i) => {
    if (hasRole(ca.relevantTypes, ROLES.dataSubject)) agentPersonalPointers(ca.agent, `/context/contextAgents/${i}/agent`, out);
  });

  const obj = s.object;
  if (obj.objectType === "Agent" || obj.objectType === "Group") {
    agentPersonalPointers(obj, "/object", out);
    if (obj.objectType === "Group") (obj.member ?? []).forEach((m, i) => agentPersonalPointers(m, `/object/member/${i}`, out));
  }

  const declared = contextExt(s, EXT.personalData);
  if (Array.isArray(declared)) {
    for (const ptr of declared) {
      // Only pointers that resolve to something (and never the whole statement).
      if (typeof ptr === "string" && ptr !== "" && getByPointer(s, ptr) !== undefined) out.push(ptr);
    }
  }
  return [...new Set(out)];
}

/**
 * Deep copy with every value at `pointers` replaced by PERSONAL_DATA_MASK. Pointers that
 * do not resolve (or lie inside an already-masked value) are ignored. For display only:
 * a masked copy no longer matches the record's hash.
 */
export function maskPersonalData(statement: XapiStatement, pointers: readonly string[] = personalDataPointers(statement)): XapiStatement {
  const copy = structuredClone(statement) as XapiStatement;
  for (const pointer of pointers) {
    const path = parseJsonPointer(pointer);
    if (path === null || path.length === 0) continue;
    const parent = getAtPath(copy, path.slice(0, -1));
    const last = path[path.length - 1]!;
    if (Array.isArray(parent)) {
      if (/^(?:0|[1-9]\d*)$/.test(last) && Number(last) < parent.length) parent[Number(last)] = PERSONAL_DATA_MASK;
    } else if (isRecord(parent) && Object.prototype.hasOwnProperty.call(parent, last)) {
      parent[last] = PERSONAL_DATA_MASK;
    }
  }
  return copy;
}
