/**
 * Deterministic demo data: realistic decision statements from three fictitious AI systems
 * (loan underwriting, content moderation, emergency-department triage), following
 * docs/decision-profile.md. Same options → byte-identical output, so demos, screenshots
 * and tests are reproducible. Plain TS (no Node imports) so it can also run in a browser.
 *
 * Personal data only ever appears as opaque references ("cust-0012345") and SHA-256-style
 * hex strings; those hex strings are pseudo-random, not hashes of anything real.
 */
import type { XapiAgent, XapiContext, XapiContextAgent, XapiResult, XapiStatement } from "../ledger/xapi/types";
import { ENTITY_TYPES, EXT, PROFILE_IRI, ROLES, VERBS, type DecisionVerb } from "../ledger/xapi/vocabulary";

export interface DemoOptions {
  /** Number of statements to return (exactly). */
  count: number;
  /** End of the window; no timestamp is later than this. */
  now: Date;
  /** Length of the window in days, default 90. */
  days?: number;
  /** PRNG seed, default 1. */
  seed?: number | string;
}

const DAY = 86_400_000;
const PROFILE_ACTIVITY_TYPE = "http://adlnet.gov/expapi/activities/profile";
const HOUR = 3_600_000;

// ---------------------------------------------------------------------------------------
// Seeded randomness (sfc32: fast, 128-bit state, good enough statistics for demo data)
// ---------------------------------------------------------------------------------------

function seedWords(seed: number | string): [number, number, number, number] {
  // cyrb128-style string hash so any seed (number or string) spreads over the full state.
  const s = String(seed);
  let h1 = 1779033703,
    h2 = 3144134277,
    h3 = 1013904242,
    h4 = 2773480762;
  for (let i = 0; i < s.length; i++) {
    const k = s.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

/** Precomputed cumulative weights (drawing is hot; building tables per draw was not free). */
interface WeightTable<T> {
  values: readonly T[];
  cdf: Float64Array;
  total: number;
}

function weights<T>(pairs: readonly (readonly [T, number])[]): WeightTable<T> {
  const cdf = new Float64Array(pairs.length);
  let total = 0;
  pairs.forEach(([, w], i) => (cdf[i] = total += w));
  return { values: pairs.map(([v]) => v), cdf, total };
}

const HEX_CODES = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const hexBuffer: number[] = [];
const uuidBuffer: number[] = new Array<number>(36).fill(48);

/**
 * Hex digits of the given 32-bit words as one flat string. Built from char codes because
 * Number#toString(16) and string concatenation (a tree of cons-strings per hash) dominated
 * the generator's profile.
 */
function hexOf(words: readonly number[]): string {
  hexBuffer.length = words.length * 8;
  for (let w = 0; w < words.length; w++) {
    const v = words[w]!;
    for (let j = 0; j < 8; j++) hexBuffer[w * 8 + j] = HEX_CODES[(v >>> (28 - 4 * j)) & 15]!;
  }
  return String.fromCharCode.apply(null, hexBuffer);
}

class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | string) {
    [this.a, this.b, this.c, this.d] = seedWords(seed);
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.u32() / 4294967296;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** A value drawn with the table's weights. */
  draw<T>(table: WeightTable<T>): T {
    const x = this.next() * table.total;
    const cdf = table.cdf;
    let i = 0;
    while (i < cdf.length - 1 && cdf[i]! <= x) i++;
    return table.values[i]!;
  }

  private readonly words: number[] = [];

  /** `chars` hex digits (a multiple of 8). */
  hex(chars: number): string {
    const words = this.words;
    words.length = chars >>> 3;
    for (let i = 0; i < words.length; i++) words[i] = this.u32();
    return hexOf(words);
  }

  /** RFC 4122 version 4 UUID, lowercase, as one flat string. */
  uuid(): string {
    const b = uuidBuffer;
    let k = 0;
    for (let w = 0; w < 4; w++) {
      const v = this.u32();
      for (let j = 0; j < 8; j++) {
        if (k === 8 || k === 13 || k === 18 || k === 23) b[k++] = 45; // "-"
        b[k++] = HEX_CODES[(v >>> (28 - 4 * j)) & 15]!;
      }
    }
    b[14] = 52; // version "4"
    b[19] = HEX_CODES[8 + (this.u32() & 3)]!; // variant 10xx: 8, 9, a or b
    return String.fromCharCode.apply(null, b);
  }
}

/** A stable 64-hex "hash" for a key: the same customer always gets the same email hash. */
function pseudoSha256(key: string): string {
  return new Rng(`sha:${key}`).hex(64);
}

/** pseudoSha256 with a per-run cache (subjects and prompt versions recur). */
function memoised(fn: (key: string) => string): (key: string) => string {
  const cache = new Map<string, string>();
  return (key) => {
    let v = cache.get(key);
    if (v === undefined) cache.set(key, (v = fn(key)));
    return v;
  };
}

/** Gregorian y/m/d from days since 1970-01-01 (H. Hinnant's civil_from_days): no Date objects. */
function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const tsBuffer: number[] = [];
function putDigits(n: number, width: number): void {
  for (let i = width - 1; i >= 0; i--) tsBuffer.push(48 + (Math.floor(n / 10 ** i) % 10));
}

/**
 * RFC 3339 with millisecond precision, local time at `offsetMinutes` (0 → "Z"), e.g.
 * 2025-03-02T09:41:05.118+01:00. Same output as Date#toISOString for offset 0, built
 * from char codes because toISOString was a visible share of the generator's time.
 */
export function formatRfc3339(epochMs: number, offsetMinutes = 0): string {
  const local = epochMs + offsetMinutes * 60_000;
  const days = Math.floor(local / DAY);
  let rest = local - days * DAY;
  const [y, mo, d] = civilFromDays(days);
  const h = Math.floor(rest / HOUR);
  rest -= h * HOUR;
  const mi = Math.floor(rest / 60_000);
  rest -= mi * 60_000;
  const sec = Math.floor(rest / 1000);
  const ms = rest - sec * 1000;
  tsBuffer.length = 0;
  putDigits(y, 4);
  tsBuffer.push(45);
  putDigits(mo, 2);
  tsBuffer.push(45);
  putDigits(d, 2);
  tsBuffer.push(84);
  putDigits(h, 2);
  tsBuffer.push(58);
  putDigits(mi, 2);
  tsBuffer.push(58);
  putDigits(sec, 2);
  tsBuffer.push(46);
  putDigits(ms, 3);
  if (offsetMinutes === 0) tsBuffer.push(90);
  else {
    const abs = Math.abs(offsetMinutes);
    tsBuffer.push(offsetMinutes < 0 ? 45 : 43);
    putDigits(Math.floor(abs / 60), 2);
    tsBuffer.push(58);
    putDigits(abs % 60, 2);
  }
  return String.fromCharCode.apply(null, tsBuffer);
}

const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const pad = (n: number, width: number) => String(n).padStart(width, "0");

// ---------------------------------------------------------------------------------------
// The three fictitious deployments
// ---------------------------------------------------------------------------------------

type SystemKey = "loans" | "moderation" | "triage";
type Kind = "ai" | "human_approved_ai" | "ai_assisted_human" | "human";

interface Staff {
  name: string;
  id: string;
}

interface SystemSpec {
  key: SystemKey;
  homePage: string;
  displayName: string;
  model: string;
  provider: string;
  staffDirectory: string;
  staff: readonly Staff[];
  /** Share of all decisions (sessions are drawn by share / meanSessionSize). */
  share: number;
  meanSessionSize: number;
  /** Actor-type mix; weighted over the three systems this gives ≈ 60/20/12/8 %. */
  mix: WeightTable<Kind>;
  /** Relative volume by UTC hour. */
  hours: readonly number[];
  /** Relative volume Monday..Sunday. */
  weekdays: readonly number[];
  sessionSize: () => number;
  sessionGapMs: () => number;
  /** Share of statements written with a +01:00 offset instead of Z. */
  plusOneShare: number;
}

/** Exported so other demo tooling (seed scripts, screenshots) can name the systems. */
export const DEMO_AI_SYSTEMS = {
  loans: {
    homePage: "https://ai.northwind-bank.example/systems/loan-underwriting",
    name: "Loan Underwriting Assistant",
    model: "credit-risk",
    versions: ["3.0.4", "3.1.0", "3.2.0"],
  },
  moderation: {
    homePage: "https://trust.chirp.example/ai/content-guard",
    name: "Community Safety Classifier",
    model: "toxicity-classifier",
    versions: ["5.3.0", "5.3.1", "5.4.0-beta.2"],
  },
  triage: {
    homePage: "https://ai.st-elsewhere.example/systems/ed-triage",
    name: "ED Triage Assistant",
    model: "triage-assist",
    versions: ["2.0.3", "2.1.0"],
  },
} as const;

function systems(rng: Rng): Record<SystemKey, SystemSpec> {
  const office = [0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 1.2, 2.2, 2.8, 3, 2.9, 2.4, 2.7, 2.9, 2.8, 2.4, 1.7, 1.0, 0.6, 0.4, 0.3, 0.2, 0.15];
  const social = [1.4, 1.0, 0.7, 0.5, 0.4, 0.4, 0.6, 0.9, 1.2, 1.4, 1.5, 1.6, 1.8, 1.8, 1.7, 1.7, 1.8, 2.0, 2.3, 2.6, 2.8, 2.7, 2.3, 1.9];
  const ed = [0.9, 0.8, 0.7, 0.6, 0.6, 0.6, 0.8, 1.1, 1.5, 1.8, 1.9, 1.9, 1.8, 1.7, 1.7, 1.7, 1.7, 1.8, 1.9, 1.8, 1.6, 1.4, 1.2, 1.0];
  return {
    loans: {
      key: "loans",
      homePage: DEMO_AI_SYSTEMS.loans.homePage,
      displayName: DEMO_AI_SYSTEMS.loans.name,
      model: DEMO_AI_SYSTEMS.loans.model,
      provider: "Northwind Bank ML Platform",
      staffDirectory: "https://staff.northwind-bank.example/directory",
      staff: [
        { name: "Priya Raman", id: "staff-0042" },
        { name: "Tomás Álvarez", id: "staff-0077" },
        { name: "Hannah Becker", id: "staff-0103" },
        { name: "Daniel Okafor", id: "staff-0118" },
      ],
      share: 0.3,
      meanSessionSize: 2.5,
      mix: weights<Kind>([
        ["ai", 50],
        ["human_approved_ai", 35],
        ["ai_assisted_human", 10],
        ["human", 5],
      ]),
      hours: office,
      weekdays: [1, 1.05, 1, 1, 0.95, 0.35, 0.2],
      sessionSize: () => rng.int(1, 4),
      sessionGapMs: () => rng.int(20_000, 300_000),
      plusOneShare: 0.05,
    },
    moderation: {
      key: "moderation",
      homePage: DEMO_AI_SYSTEMS.moderation.homePage,
      displayName: DEMO_AI_SYSTEMS.moderation.name,
      model: DEMO_AI_SYSTEMS.moderation.model,
      provider: "Chirp Trust & Safety",
      staffDirectory: "https://staff.chirp.example/directory",
      staff: [
        { name: "Kwame Mensah", id: "mod-0311" },
        { name: "Lena Fischer", id: "mod-0327" },
        { name: "Sam O'Connor", id: "mod-0342" },
        { name: "Yuki Tanaka", id: "mod-0350" },
      ],
      share: 0.5,
      meanSessionSize: 7,
      mix: weights<Kind>([
        ["ai", 75],
        ["human_approved_ai", 10],
        ["ai_assisted_human", 8],
        ["human", 7],
      ]),
      hours: social,
      weekdays: [0.95, 0.9, 0.9, 0.95, 1.05, 1.25, 1.2],
      sessionSize: () => rng.int(2, 12),
      sessionGapMs: () => rng.int(1_000, 20_000),
      // The moderation team works from Berlin and its tooling writes local time.
      plusOneShare: 0.35,
    },
    triage: {
      key: "triage",
      homePage: DEMO_AI_SYSTEMS.triage.homePage,
      displayName: DEMO_AI_SYSTEMS.triage.name,
      model: DEMO_AI_SYSTEMS.triage.model,
      provider: "St Elsewhere Clinical AI",
      staffDirectory: "https://staff.st-elsewhere.example/directory",
      staff: [
        { name: "Dr. Aisha Khan", id: "clin-0117" },
        { name: "Dr. Jonas Weber", id: "clin-0124" },
        { name: "Nurse Maria Rossi", id: "clin-0201" },
        { name: "Nurse Samuel Osei", id: "clin-0215" },
      ],
      share: 0.2,
      meanSessionSize: 2,
      mix: weights<Kind>([
        ["ai", 40],
        ["human_approved_ai", 20],
        ["ai_assisted_human", 25],
        ["human", 15],
      ]),
      hours: ed,
      weekdays: [1.1, 1, 1, 1, 1, 1.05, 1.05],
      sessionSize: () => rng.int(1, 3),
      sessionGapMs: () => rng.int(60_000, 600_000),
      plusOneShare: 0,
    },
  };
}

/** Which model version ran on day `day` of a `days`-long window. */
function modelVersion(rng: Rng, system: SystemKey, day: number, days: number): string {
  const f = day / days;
  if (system === "loans") {
    // Retiring 3.0.4 in the first days; 3.1.0 → 3.2.0 staged rollout over days 30–40 (of 90).
    if (f < 8 / 90 && rng.chance(0.5 * (1 - f / (8 / 90)))) return "3.0.4";
    const p = clamp((f - 30 / 90) / (10 / 90), 0, 1);
    return rng.chance(p) ? "3.2.0" : "3.1.0";
  }
  if (system === "moderation") {
    if (f >= 80 / 90 && rng.chance(0.05)) return "5.4.0-beta.2"; // canary
    return f < 62 / 90 ? "5.3.0" : "5.3.1"; // hotfix switched over at once
  }
  return rng.chance(clamp((f - 72 / 90) / (8 / 90), 0, 1)) ? "2.1.0" : "2.0.3";
}

// ---------------------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------------------

interface Draft {
  t: number;
  order: number;
  statement: XapiStatement;
}

interface DecisionDraft {
  /** What the AI (or, for purely human decisions, the person) decided. */
  outcome: string;
  /** Reasons for an outcome (or "error"), consistent with the features below. Lazy: formatting numbers is costly. */
  reasons: (outcome: string) => readonly string[];
  entityType: keyof typeof ENTITY_TYPES;
  entityId: string;
  entityIri: string;
  entityLabel: string;
  subject: Record<string, string>;
  features: Record<string, string | number>;
  personalFeatures: string[];
  personalReason: boolean;
  output: Record<string, unknown>;
  inputRef: string;
  /** Set once per draft so a later override of the same decision cites the same input. */
  inputSha256?: string;
  promptRef?: PromptRef;
  parameters: Record<string, number>;
  tokens: [number, number];
  latencyMedianMs: number;
}

const EMPLOYMENT = weights([
  ["employed", 70],
  ["self-employed", 18],
  ["retired", 7],
  ["unemployed", 5],
] as const);
const LINK_COUNTS = weights([
  [0, 70],
  [1, 20],
  [2, 6],
  [5, 4],
] as const);
const LOAN_OUTCOMES_NEW = weights([
  ["approved", 58],
  ["denied", 27],
  ["referred", 15],
] as const);
const LOAN_OUTCOMES = weights([
  ["approved", 55],
  ["denied", 30],
  ["referred", 15],
] as const);
const MODERATION_OUTCOMES = weights([
  ["allowed", 62],
  ["flagged", 25],
  ["removed", 13],
] as const);
const TRIAGE_OUTCOMES = weights([
  ["immediate", 2],
  ["emergent", 12],
  ["urgent", 38],
  ["less-urgent", 33],
  ["non-urgent", 15],
] as const);

const MODERATION_REASONS: Record<string, readonly string[]> = {
  allowed: ["No policy violation detected", "Heated but within community guidelines", "Satire; no targeted abuse detected"],
  flagged: [
    "Possible targeted harassment (policy H-2); held for review",
    "Suspected spam: repeated promotional links (policy S-1)",
    "Possible misinformation about a public-health topic (policy M-3)",
  ],
  removed: [
    "Explicit threat of violence (policy V-1)",
    "Spam campaign: identical text posted from multiple accounts (policy S-1)",
    "Sharing of another person's private information (policy P-1)",
  ],
  error: ["Automated classification failed; held for manual review"],
};

const TRIAGE_REASONS: Record<string, readonly string[]> = {
  immediate: ["Unresponsive with agonal breathing; resuscitation started", "Severe respiratory distress, SpO2 below 85% on air"],
  emergent: ["Chest pain with diaphoresis; ECG within 10 minutes", "Acute focal neurological deficit; stroke pathway activated"],
  urgent: ["Abdominal pain with fever; bloods and imaging expected", "Fall with suspected hip fracture; analgesia and X-ray"],
  "less-urgent": ["Simple laceration needing sutures; observations stable", "Ankle injury, able to weight-bear; X-ray per Ottawa rules"],
  "non-urgent": ["Minor rash for three days; stable, suitable for GP follow-up", "Prescription request; no acute complaint"],
  error: ["Automated triage unavailable; manual triage required"],
};

interface PromptRef {
  id: string;
  version: string;
  sha256: string;
}
const promptRef = (id: string, version: string): PromptRef => ({ id, version, sha256: pseudoSha256(`${id}@${version}`) });
const PROMPTS = {
  underwriting7: promptRef("underwriting-rationale", "7"),
  underwriting8: promptRef("underwriting-rationale", "8"),
  triage4: promptRef("ed-triage-advice", "4"),
  triage5: promptRef("ed-triage-advice", "5"),
} as const;

const ERRORS = [
  { code: "MODEL_TIMEOUT", message: "model call timed out after 5000 ms", step: "scoring" },
  { code: "UPSTREAM_UNAVAILABLE", message: "inference endpoint returned 503 Service Unavailable", step: "scoring" },
  { code: "FEATURE_STORE_UNAVAILABLE", message: "feature store read failed: connection reset", step: "feature-extraction" },
  { code: "OUTPUT_SCHEMA_VIOLATION", message: "model output did not match the expected schema", step: "post-processing" },
] as const;

const LEVELS = ["immediate", "emergent", "urgent", "less-urgent", "non-urgent"] as const;

/** What a failed AI call leaves as the AI's outcome: the safe fallback of each system. */
const AI_ERROR_OUTCOMES: Record<SystemKey, string> = { loans: "referred", moderation: "flagged", triage: "escalated" };

/** Reasons a person gives for changing the AI's outcome (the AI's features may not support the new outcome). */
const HUMAN_CHANGE_REASONS: Record<SystemKey, Record<string, readonly string[]>> = {
  loans: {
    approved: [
      "Verified additional income documents; affordability recalculated within policy",
      "Underwriter exception: substantial savings offset the debt-to-income ratio",
    ],
    denied: ["Bank statements show undisclosed liabilities", "Affordability fails after a verified rent increase"],
    referred: ["Documents inconsistent; sent to a senior underwriter"],
  },
  moderation: {
    allowed: ["Reviewed in context: quoted reporting, not harassment", "False positive: reclaimed term used within the community"],
    flagged: ["Needs specialist review (possible coordinated campaign)"],
    removed: ["Reviewer confirmed targeted harassment across several posts", "Reviewer confirmed doxxing of a private individual"],
  },
  triage: Object.fromEntries(
    LEVELS.map((l) => [l, [`Clinical assessment differs from the automated estimate; triaged ${l}`, `Observations on review support ${l}`]]),
  ),
};

/** The window the statements fall in. */
interface DemoWindow {
  nowMs: number;
  days: number;
  /** Midnight (UTC) of the window's first day. */
  firstDay: number;
}

/**
 * One generator run: its randomness, window and systems, and the subjects seen so far.
 * Every random draw of a run comes from `rng`, in a fixed order: that order is what makes
 * the same options give byte-identical output.
 */
interface DemoRun {
  rng: Rng;
  window: DemoWindow;
  specs: Record<SystemKey, SystemSpec>;
  /** A decision time for the system, following its weekly and daily rhythm, never after now. */
  pickTime: (key: SystemKey) => number;
  /** pseudoSha256, memoised for the run (subjects and prompt versions recur). */
  sha: (key: string) => string;
  subjects: SubjectPools;
}

export function generateDemoStatements(options: DemoOptions): XapiStatement[] {
  const count = Math.max(0, Math.floor(options.count));
  const days = Math.max(1, Math.floor(options.days ?? 90));
  const nowMs = options.now.getTime();
  if (!Number.isFinite(nowMs)) throw new RangeError("generateDemoStatements: now is not a valid Date");
  const rng = new Rng(options.seed ?? 1);
  const specs = systems(rng);
  const window: DemoWindow = { nowMs, days, firstDay: Math.floor(nowMs / DAY) * DAY - (days - 1) * DAY };
  const run: DemoRun = { rng, window, specs, pickTime: timePicker(rng, specs, window), sha: memoised(pseudoSha256), subjects: new SubjectPools() };

  const drafts: Draft[] = [];
  // Sessions, not statements, are drawn, so weight by share per statement of a session.
  const systemTable = weights(Object.values(specs).map((s) => [s, s.share / s.meanSessionSize] as const));
  while (drafts.length < count) generateSession(run, rng.draw(systemTable), drafts, count);

  drafts.sort((a, b) => a.t - b.t || a.order - b.order);
  return drafts.map((d) => d.statement);
}

/** Per-system decision times: a weekly rhythm plus slow growth over the window, and the system's hours of the day. */
function timePicker(rng: Rng, specs: Record<SystemKey, SystemSpec>, window: DemoWindow): (key: SystemKey) => number {
  const { nowMs, days, firstDay } = window;
  // Per-system cumulative day weights.
  const dayCdf = new Map<SystemKey, Float64Array>();
  for (const spec of Object.values(specs)) {
    const cdf = new Float64Array(days);
    let acc = 0;
    for (let d = 0; d < days; d++) {
      const weekday = (new Date(firstDay + d * DAY).getUTCDay() + 6) % 7; // Monday = 0
      acc += spec.weekdays[weekday]! * (0.85 + (0.3 * d) / days);
      cdf[d] = acc;
    }
    dayCdf.set(spec.key, cdf);
  }
  const hourTables = new Map<SystemKey, WeightTable<number>>();
  for (const spec of Object.values(specs)) hourTables.set(spec.key, weights(spec.hours.map((w, h) => [h, w] as const)));

  const pickDay = (key: SystemKey): number => {
    const cdf = dayCdf.get(key)!;
    const x = rng.next() * cdf[days - 1]!;
    let lo = 0,
      hi = days - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  return (key) => {
    const d = pickDay(key);
    for (let attempt = 0; attempt < 6; attempt++) {
      const t = firstDay + d * DAY + rng.draw(hourTables.get(key)!) * HOUR + rng.int(0, HOUR - 1);
      if (t <= nowMs) return t;
    }
    // Today, late hours not reached yet: anywhere between midnight and now.
    const start = firstDay + d * DAY;
    return start + Math.floor(rng.next() * Math.max(1, nowMs - start));
  };
}

/** One session of one system (a user's or a batch's consecutive decisions), appended to `drafts` up to `count`. */
function generateSession(run: DemoRun, spec: SystemSpec, drafts: Draft[], count: number): void {
  const { rng } = run;
  const size = spec.sessionSize();
  const session = rng.uuid();
  const offsetMinutes = rng.chance(spec.plusOneShare) ? 60 : 0;
  let t = run.pickTime(spec.key);
  for (let i = 0; i < size && drafts.length < count; i++) {
    if (i > 0) t += spec.sessionGapMs();
    if (t > run.window.nowMs) break;
    const kind = rng.draw(spec.mix);
    // ≈3% of all decisions are human overrides: a quarter of the AI-assisted ones.
    const override = kind === "ai_assisted_human" && rng.chance(0.25);
    const error = kind === "ai" && rng.chance(0.017);
    // An appeal needs room before "now" for the human to come back to it; clamping its
    // time to now instead would pile every late appeal onto the newest instant.
    const appealWindow = Math.min(4 * DAY, run.window.nowMs - t);
    if (override && appealWindow >= 2 * HOUR && rng.chance(0.5) && drafts.length + 2 <= count) {
      generateAppeal(run, { spec, t, session, offsetMinutes }, appealWindow, drafts);
      continue;
    }
    pushDraft(drafts, t, buildStatement(run, { spec, t, session, kind, override, error, offsetMinutes }).statement);
  }
}

function pushDraft(drafts: Draft[], t: number, statement: XapiStatement): void {
  drafts.push({ t, order: drafts.length, statement });
}

/** Appeal flow: the AI decided on its own first; a human overrode it later, outside the session. */
function generateAppeal(
  run: DemoRun,
  at: { spec: SystemSpec; t: number; session: string; offsetMinutes: number },
  appealWindow: number,
  drafts: Draft[],
): void {
  const { spec, t, offsetMinutes } = at;
  const first = buildStatement(run, { spec, t, session: at.session, kind: "ai", override: false, error: false, offsetMinutes });
  pushDraft(drafts, t, first.statement);
  const later = t + run.rng.int(2 * HOUR, appealWindow);
  const second = buildStatement(run, {
    spec,
    t: later,
    session: null,
    kind: "ai_assisted_human",
    override: true,
    error: false,
    draft: first.draft,
    version: first.version,
    overridesStatementId: first.statement.id,
    offsetMinutes,
  });
  pushDraft(drafts, later, second.statement);
}

// ---------------------------------------------------------------------------------------
// Subjects and entities
// ---------------------------------------------------------------------------------------

/** Keeps the last `max` items (a ring buffer: shift() on big arrays is O(n)). */
class RecentItems<T> {
  readonly items: T[] = [];
  private cursor = 0;

  constructor(private readonly max: number) {}

  remember(item: T): void {
    if (this.items.length < this.max) {
      this.items.push(item);
      return;
    }
    this.items[this.cursor] = item;
    this.cursor = (this.cursor + 1) % this.max;
  }
}

interface LoanApplication {
  id: string;
  customer: number;
}

interface ModeratedPost {
  id: string;
  type: "post" | "comment";
  author: number;
}

interface EdEncounter {
  id: string;
  patient: number;
}

/**
 * Entity and subject pools: new ones keep appearing, some come back (repeat applicants,
 * frequent posters, frequent ED attenders, re-decided applications and posts).
 */
class SubjectPools {
  applicationSeq = 7000;
  customerSeq = 12000;
  authorSeq = 4000;
  encounterSeq = 412000;
  patientSeq = 81000;
  readonly recentApplications = new RecentItems<LoanApplication>(300);
  readonly customers: number[] = [];
  readonly authors: number[] = [];
  readonly recentPosts = new RecentItems<ModeratedPost>(400);
  readonly patients: number[] = [];
  readonly recentEncounters = new RecentItems<EdEncounter>(200);
}

/** Mostly recent members, sometimes long-standing ones: a few subjects recur a lot. */
function reuse(rng: Rng, pool: number[]): number {
  return pool[Math.floor(pool.length * (1 - rng.next() ** 2.5))] ?? pool[0]!;
}

// ---------------------------------------------------------------------------------------
// Decision drafts, one maker per system
// ---------------------------------------------------------------------------------------

type DecisionMaker = (run: DemoRun, t: number, version: string, aiOutcome: string) => DecisionDraft;

function loanApplication(run: DemoRun, t: number): LoanApplication {
  const { rng, subjects: p } = run;
  if (p.recentApplications.items.length > 20 && rng.chance(0.08)) {
    return rng.pick(p.recentApplications.items); // re-decided after a referral or an appeal
  }
  const customer = p.customers.length > 30 && rng.chance(0.3) ? reuse(rng, p.customers) : ++p.customerSeq;
  if (customer === p.customerSeq) p.customers.push(customer);
  const app = { id: `LA-${civilFromDays(Math.floor(t / DAY))[0]}-${pad(++p.applicationSeq, 7)}`, customer };
  p.recentApplications.remember(app);
  return app;
}

/** Underwriting reasons per outcome, quoting the application's figures. Lazy: formatting numbers is costly. */
function loanReasons(dti: number, history: number, amount: number): (outcome: string) => readonly string[] {
  return (outcome) => {
    switch (outcome) {
      case "approved":
        return [
          `Debt-to-income ratio ${dti} within policy; ${history} months of clean credit history`,
          `Affordability check passed with margin; requested ${amount} within product limits`,
          "Stable employment and repayment history meet approval criteria",
        ];
      case "denied":
        return [
          `Debt-to-income ratio ${dti} exceeds the policy maximum of 0.43`,
          history < 24 ? `Credit history of ${history} months is shorter than the 24 months required` : `Debt-to-income ratio ${dti} above policy limit`,
          "Recent missed payments on existing credit facilities",
        ];
      case "referred":
        return [
          "Income documents could not be verified automatically; manual underwriting required",
          `Borderline affordability (debt-to-income ${dti}); referred for manual review`,
          "Self-employed applicant: income verification needs an underwriter",
        ];
      default:
        return ["Automated underwriting unavailable; referred to manual underwriting"];
    }
  };
}

const loanDecision: DecisionMaker = (run, t, version, aiOutcome) => {
  const { rng } = run;
  const app = loanApplication(run, t);
  const denied = aiOutcome === "denied";
  const dti = round(denied ? rng.between(0.44, 0.62) : rng.between(0.12, 0.42), 2);
  const history = denied && rng.chance(0.3) ? rng.int(3, 20) : rng.int(24, 300);
  const amount = rng.int(4, 120) * 500;
  return {
    outcome: aiOutcome,
    reasons: loanReasons(dti, history, amount),
    entityType: "loan-application",
    entityId: app.id,
    entityIri: `https://loans.northwind-bank.example/applications/${app.id}`,
    entityLabel: `Loan application ${app.id}`,
    subject: { ref: `cust-${pad(app.customer, 7)}`, emailSha256: run.sha(`cust-${app.customer}`) },
    features: {
      debt_to_income: dti,
      credit_history_months: history,
      loan_amount: amount,
      employment_status: rng.draw(EMPLOYMENT),
      age_band: rng.pick(["18-24", "25-34", "35-44", "45-54", "55-64", "65-74"]),
      postcode_area: rng.pick(["SW1", "E14", "M1", "LS2", "B15", "G2", "CF10", "BS1", "NE1", "EH3"]),
    },
    personalFeatures: ["age_band", "postcode_area"],
    personalReason: false,
    output: {
      label: aiOutcome === "approved" ? "approve" : aiOutcome === "denied" ? "deny" : "refer",
      probabilityOfDefault: round(denied ? rng.between(0.22, 0.55) : rng.between(0.01, 0.2), 3),
    },
    inputRef: `s3://nw-underwriting-inputs/${formatRfc3339(t).slice(0, 10).replace(/-/g, "/")}/${app.id}.json`,
    promptRef: version === "3.2.0" ? PROMPTS.underwriting8 : PROMPTS.underwriting7,
    parameters: { approvalThreshold: version === "3.2.0" ? 0.6 : 0.62, temperature: 0 },
    tokens: [rng.int(900, 1500), rng.int(60, 180)],
    latencyMedianMs: version === "3.2.0" ? 300 : 380,
  };
};

function moderatedPost(run: DemoRun): ModeratedPost {
  const { rng, subjects: p } = run;
  if (p.recentPosts.items.length > 20 && rng.chance(0.06)) {
    return rng.pick(p.recentPosts.items); // edited and re-checked, or reported again
  }
  const author = p.authors.length > 50 && rng.chance(0.45) ? reuse(rng, p.authors) : ++p.authorSeq;
  if (author === p.authorSeq) p.authors.push(author);
  const type = rng.chance(0.6) ? "post" : "comment";
  const post: ModeratedPost = { id: `${type === "post" ? "p" : "c"}-${rng.hex(8)}`, type, author };
  p.recentPosts.remember(post);
  return post;
}

const moderationDecision: DecisionMaker = (run, _t, _version, aiOutcome) => {
  const { rng } = run;
  const post = moderatedPost(run);
  const severe = aiOutcome === "removed";
  const harmful = aiOutcome !== "allowed";
  const toxicity = round(severe ? rng.between(0.93, 0.995) : harmful ? rng.between(0.75, 0.95) : rng.between(0.01, 0.55), 3);
  return {
    outcome: aiOutcome,
    reasons: (outcome) => MODERATION_REASONS[outcome] ?? MODERATION_REASONS.error!,
    entityType: post.type,
    entityId: post.id,
    entityIri: `https://chirp.example/${post.type}s/${post.id}`,
    entityLabel: `${post.type === "post" ? "Post" : "Comment"} ${post.id}`,
    subject: { ref: `user-${pad(post.author, 6)}` },
    features: {
      toxicity,
      insult: round(clamp(toxicity + rng.normal() * 0.08, 0, 1), 3),
      identity_attack: round(clamp(toxicity * rng.between(0, 0.5), 0, 1), 3),
      spam: round(rng.between(0, harmful ? 0.6 : 0.1), 3),
      link_count: rng.draw(LINK_COUNTS),
      author_account_age_days: rng.int(0, 3000),
    },
    personalFeatures: ["author_account_age_days"],
    personalReason: false,
    output: { labels: { harassment: toxicity, spam: round(rng.between(0, 0.3), 3) }, policy: harmful ? rng.pick(["H-2", "S-1", "V-1", "M-3"]) : null },
    inputRef: `chirp://${post.type}s/${post.id}/revisions/${rng.int(1, 4)}`,
    parameters: { flagThreshold: 0.8, removeThreshold: 0.95 },
    tokens: [rng.int(80, 400), rng.int(4, 12)],
    latencyMedianMs: 70,
  };
};

function triageEncounter(run: DemoRun): EdEncounter {
  const { rng, subjects: p } = run;
  if (p.recentEncounters.items.length > 10 && rng.chance(0.05)) {
    return rng.pick(p.recentEncounters.items); // re-triaged after a change in condition
  }
  const patient = p.patients.length > 30 && rng.chance(0.25) ? reuse(rng, p.patients) : ++p.patientSeq;
  if (patient === p.patientSeq) p.patients.push(patient);
  const enc = { id: `enc-${pad(++p.encounterSeq, 8)}`, patient };
  p.recentEncounters.remember(enc);
  return enc;
}

const triageDecision: DecisionMaker = (run, _t, version, aiOutcome) => {
  const { rng } = run;
  const enc = triageEncounter(run);
  // A failed AI call ("escalated") has no level of its own; the patient still has vitals.
  const known = LEVELS.indexOf(aiOutcome as (typeof LEVELS)[number]);
  const level = known >= 0 ? known : rng.int(1, 4);
  const sick = 4 - level; // 4 = immediate ... 0 = non-urgent
  return {
    outcome: aiOutcome,
    reasons: (outcome) => TRIAGE_REASONS[outcome] ?? TRIAGE_REASONS.error!,
    entityType: "patient-encounter",
    entityId: enc.id,
    entityIri: `https://ed.st-elsewhere.example/encounters/${enc.id}`,
    entityLabel: `ED encounter ${enc.id}`,
    subject: { ref: `pat-${pad(enc.patient, 8)}`, mrnSha256: run.sha(`pat-${enc.patient}`) },
    features: {
      heart_rate: Math.round(clamp(78 + sick * 9 + rng.normal() * 10, 35, 190)),
      spo2: Math.round(clamp(98 - sick * 1.5 + rng.normal() * 1.5, 70, 100)),
      systolic_bp: Math.round(clamp(128 - sick * 6 + rng.normal() * 14, 60, 220)),
      temp_c: round(clamp(36.9 + rng.normal() * 0.6 + (sick > 1 ? 0.4 : 0), 34, 41.5), 1),
      age_band: rng.pick(["0-17", "18-34", "35-49", "50-64", "65-74", "75+"]),
      chief_complaint_code: rng.pick(["R07.4", "R10.4", "S93.4", "R51", "J18.9", "S01.8", "L30.9", "R55"]),
    },
    personalFeatures: ["heart_rate", "spo2", "systolic_bp", "temp_c", "age_band", "chief_complaint_code"],
    personalReason: true, // clinical reasons are health data about the patient
    output: { suggestedLevel: aiOutcome, esi: level + 1 },
    inputRef: `fhir://ed.st-elsewhere.example/Encounter/${enc.id}/_history/${rng.int(1, 3)}`,
    promptRef: version === "2.1.0" ? PROMPTS.triage5 : PROMPTS.triage4,
    parameters: { temperature: 0.1, maxTokens: 400 },
    tokens: [rng.int(1200, 2200), rng.int(80, 220)],
    latencyMedianMs: version === "2.1.0" ? 1100 : 1300,
  };
};

const DECISION_MAKERS: Record<SystemKey, DecisionMaker> = { loans: loanDecision, moderation: moderationDecision, triage: triageDecision };

// ---------------------------------------------------------------------------------------
// Outcomes and actors
// ---------------------------------------------------------------------------------------

function aiOutcomeFor(rng: Rng, key: SystemKey, version: string): string {
  if (key === "loans") return version === "3.2.0" ? rng.draw(LOAN_OUTCOMES_NEW) : rng.draw(LOAN_OUTCOMES);
  if (key === "moderation") return rng.draw(MODERATION_OUTCOMES);
  return rng.draw(TRIAGE_OUTCOMES);
}

/** A different final outcome, for overrides and for humans disagreeing with their advisor. */
function otherOutcome(rng: Rng, key: SystemKey, outcome: string): string {
  if (key === "triage") {
    // Clinicians move one level, more often up (more urgent) than down.
    const idx = Math.max(0, LEVELS.indexOf(outcome as (typeof LEVELS)[number]));
    const delta = rng.chance(0.6) ? -1 : 1;
    const j = idx + delta >= 0 && idx + delta < LEVELS.length ? idx + delta : idx - delta;
    return LEVELS[j]!;
  }
  const options = key === "loans" ? ["approved", "denied", "referred"] : ["allowed", "flagged", "removed"];
  return rng.pick(options.filter((o) => o !== outcome));
}

const verbFor = (key: SystemKey, outcome: string): DecisionVerb =>
  key === "triage" ? (outcome === "escalated" ? "escalated" : "triaged") : (outcome as DecisionVerb);
const successFor = (outcome: string): boolean | undefined =>
  outcome === "approved" || outcome === "allowed" ? true : outcome === "denied" || outcome === "flagged" || outcome === "removed" ? false : undefined;

function confidenceFor(rng: Rng, kind: Kind | "override", version: string): number {
  const boost = version === "3.2.0" || version === "2.1.0" ? 0.015 : 0;
  let c: number;
  if (kind === "ai") c = rng.chance(0.05) ? rng.between(0.45, 0.65) : 0.8 + 0.195 * rng.next() ** 0.6;
  else if (kind === "human_approved_ai") c = rng.between(0.55, 0.93);
  else if (kind === "override") c = rng.between(0.4, 0.76);
  else c = rng.between(0.42, 0.94);
  return round(clamp(c + boost, 0, 0.999), 3);
}

const staffAgent = (spec: SystemSpec, who: Staff): XapiAgent => ({
  objectType: "Agent",
  name: who.name,
  account: { homePage: spec.staffDirectory, name: who.id },
});
const aiAgent = (spec: SystemSpec, version: string): XapiAgent => ({
  objectType: "Agent",
  name: spec.displayName,
  account: { homePage: spec.homePage, name: `${spec.model}@${version}` },
});

// ---------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------

interface Emit {
  spec: SystemSpec;
  t: number;
  session: string | null;
  kind: Kind;
  override: boolean;
  error: boolean;
  /** For overrides with an earlier AI record: that record's id. */
  overridesStatementId?: string;
  /** Reuse an existing decision draft (the override of an earlier AI statement). */
  draft?: DecisionDraft;
  version?: string;
  /** Timestamp offset; chosen per session because one tool writes one way. */
  offsetMinutes: number;
}

/** What was decided: the draft, the AI's outcome, and the final outcome with its reason. */
interface Decision {
  draft: DecisionDraft;
  version: string;
  aiOutcome: string;
  finalOutcome: string;
  reason: string;
}

function buildStatement(run: DemoRun, e: Emit): { statement: XapiStatement; draft: DecisionDraft; version: string } {
  const { rng } = run;
  const { spec } = e;
  const decision = decide(run, e);
  const { draft, version } = decision;
  const actorIsAi = e.kind === "ai" || e.kind === "human_approved_ai";
  const who = rng.pick(spec.staff);
  const contextAgents: XapiContextAgent[] = [];
  if (e.kind === "human_approved_ai") {
    contextAgents.push({ objectType: "contextAgent", agent: staffAgent(spec, who), relevantTypes: [ROLES.approver] });
  } else if (e.kind === "ai_assisted_human") {
    contextAgents.push({ objectType: "contextAgent", agent: aiAgent(spec, version), relevantTypes: [ROLES.advisor] });
  }
  const extensions = decisionExtensions(run, e, draft, version);
  const result = decisionResult(run, e, decision, actorIsAi);
  const context: XapiContext = {};
  if (e.session) context.registration = e.session;
  if (e.overridesStatementId) context.statement = { objectType: "StatementRef", id: e.overridesStatementId };
  context.contextActivities = { category: [{ id: PROFILE_IRI, definition: { type: PROFILE_ACTIVITY_TYPE } }] };
  if (contextAgents.length > 0) context.contextAgents = contextAgents;
  context.extensions = extensions;
  const verb: DecisionVerb = e.override ? "overrode" : verbFor(spec.key, decision.finalOutcome);
  const statement: XapiStatement = {
    id: rng.uuid(),
    actor: actorIsAi ? aiAgent(spec, version) : staffAgent(spec, who),
    verb: { id: VERBS[verb], display: { en: verb } },
    object: {
      objectType: "Activity",
      id: draft.entityIri,
      definition: {
        type: ENTITY_TYPES[draft.entityType],
        name: { en: draft.entityLabel },
        extensions: { [EXT.entity]: { type: draft.entityType, id: draft.entityId } },
      },
    },
    result,
    context,
    timestamp: formatRfc3339(e.t, e.offsetMinutes),
  };
  return { statement, draft, version };
}

/**
 * The model version, the AI's outcome and the final one. The final outcome is the AI's
 * unless a human changed it: always for overrides, sometimes when a human decided with AI
 * advice (that is not an override: the AI never decided). Purely human decisions keep the
 * draft's outcome.
 */
function decide(run: DemoRun, e: Emit): Decision {
  const { rng } = run;
  const { spec } = e;
  const day = Math.floor((e.t - run.window.firstDay) / DAY);
  const version = e.version ?? modelVersion(rng, spec.key, day, run.window.days);
  const aiOutcome = e.error ? AI_ERROR_OUTCOMES[spec.key] : aiOutcomeFor(rng, spec.key, version);
  const draft = e.draft ?? DECISION_MAKERS[spec.key](run, e.t, version, aiOutcome);
  draft.inputSha256 ??= rng.hex(64);
  let finalOutcome = draft.outcome;
  let reason = rng.pick(draft.reasons(e.error ? "error" : draft.outcome));
  if (e.override || (e.kind === "ai_assisted_human" && rng.chance(0.12))) {
    finalOutcome = otherOutcome(rng, spec.key, draft.outcome);
    reason = rng.pick(HUMAN_CHANGE_REASONS[spec.key][finalOutcome] ?? ["Changed on human review"]);
  }
  return { draft, version, aiOutcome: draft.outcome, finalOutcome, reason };
}

/** The context extensions: which system and model, its input, the subject, and the run's own data. */
function decisionExtensions(run: DemoRun, e: Emit, draft: DecisionDraft, version: string): Record<string, unknown> {
  const { spec } = e;
  const usesAi = e.kind !== "human";
  // A reused draft already belongs to another statement: copy what goes into this one
  // so no two statements share a mutable object.
  const own = <T extends object>(v: T): T => (e.draft ? { ...v } : v);
  const extensions: Record<string, unknown> = {};
  if (usesAi) {
    extensions[EXT.aiSystems] = [spec.homePage];
    extensions[EXT.model] = { name: spec.model, version, provider: spec.provider };
    extensions[EXT.parameters] = own(draft.parameters);
  }
  extensions[EXT.inputRef] = { ref: draft.inputRef, sha256: draft.inputSha256 };
  if (usesAi && draft.promptRef) extensions[EXT.promptRef] = { ...draft.promptRef };
  extensions[EXT.inputFeatures] = own(draft.features);
  extensions[EXT.personalFeatures] = e.draft ? [...draft.personalFeatures] : draft.personalFeatures;
  if (draft.personalReason) extensions[EXT.personalData] = ["/result/response"];
  extensions[EXT.subject] = own(draft.subject);
  // An override of an earlier AI record does not re-run the model: its runtime data
  // (output, tokens, latency, pipeline) lives in the referenced statement.
  if (usesAi && !e.overridesStatementId) addRuntimeExtensions(run.rng, e, draft, extensions, own);
  return extensions;
}

/** What running the model produced: an error, or its output, token usage, latency and pipeline steps. */
function addRuntimeExtensions(rng: Rng, e: Emit, draft: DecisionDraft, extensions: Record<string, unknown>, own: <T extends object>(v: T) => T): void {
  let latency = Math.round(clamp(rng.logNormal(draft.latencyMedianMs, 0.35), 5, 60_000));
  const [tin, tout] = draft.tokens;
  if (e.error) {
    const err = rng.pick(ERRORS);
    if (err.code === "MODEL_TIMEOUT") latency = 5000 + rng.int(0, 40);
    extensions[EXT.error] = { ...err };
    extensions[EXT.pipeline] = [
      { step: "feature-extraction", status: err.step === "feature-extraction" ? "error" : "ok", ms: rng.int(8, 60) },
      ...(err.step === "feature-extraction" ? [] : [{ step: err.step, status: "error", ms: Math.max(1, latency - 60) }]),
    ];
    extensions[EXT.latencyMs] = latency;
    return;
  }
  extensions[EXT.output] = own(draft.output);
  extensions[EXT.tokenUsage] = { input: tin, output: tout, total: tin + tout };
  extensions[EXT.latencyMs] = latency;
  const fx = Math.max(1, Math.round(latency * rng.between(0.08, 0.15)));
  const score = Math.max(1, Math.round(latency * rng.between(0.3, 0.5)));
  extensions[EXT.pipeline] = [
    { step: "feature-extraction", status: "ok", ms: fx },
    { step: "scoring", status: "ok", ms: score },
    { step: e.spec.key === "moderation" ? "policy-mapping" : "rationale", status: "ok", ms: Math.max(1, latency - fx - score) },
  ];
}

function decisionResult(run: DemoRun, e: Emit, decision: Decision, actorIsAi: boolean): XapiResult {
  const usesAi = e.kind !== "human";
  const success = successFor(decision.finalOutcome);
  const resultExt: Record<string, unknown> = { [EXT.outcome]: decision.finalOutcome };
  if (!actorIsAi && usesAi) resultExt[EXT.aiOutcome] = decision.aiOutcome;
  // Built property by property: conditional spreads were a measurable share of the cost.
  const result: XapiResult = {};
  if (success !== undefined) result.success = success;
  result.response = decision.reason;
  if (usesAi && !e.error) result.score = { scaled: confidenceFor(run.rng, e.override ? "override" : e.kind, decision.version) };
  result.extensions = resultExt;
  return result;
}
