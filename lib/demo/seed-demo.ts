import "server-only";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readLogSize } from "../../db/queries/log-entries";
import { getUserByEmail } from "../../db/queries/users";
import type { Role } from "../auth/permissions";
import { aiSystemIris } from "../ledger/xapi/actor-type";
import { LOG_IDS } from "../ledger/log-id";
import { parseRfc3339 } from "../ledger/xapi/syntax";
import type { XapiStatement } from "../ledger/xapi/types";
import { appendDecisions } from "../ledger-store/append-decisions";
import { checkpointNow } from "../ledger-store/create-checkpoint";
import type { Runtime } from "../server/runtime-context";
import { createApiKey, verifyApiKey } from "../services/api-keys";
import { createUser, type ServiceActor } from "../services/users";
import { DEMO_AI_SYSTEMS, generateDemoStatements } from "./generate-demo-statements";

/**
 * Seeds an empty deployment with a complete demo: one user per role, an ingest API key and
 * 20,000 decisions over 90 days from the three demo AI systems, written through the real
 * ingest path (appendDecisions: validation, canonical form, hash chain, Merkle nodes) and
 * covered by signed checkpoints of both logs.
 *
 * Start-up must stay fast (a usable dashboard within a minute of `npm start`), so only the
 * users, the key and the first batch are written before the server takes requests; the
 * rest continues in the background with progress in the server log. The run is resumable:
 * its parameters are kept in DATA_DIR/demo-seed.json and the statements are generated
 * deterministically from them, so after an interruption the next start regenerates the same
 * statements and appends what is missing (stored ones are idempotent no-ops).
 */

export const DEMO_EMAIL_DOMAIN = "demo.decision-ledger.local";

export const DEMO_USERS: readonly { role: Role; name: string; email: string }[] = [
  { role: "admin", name: "Ada Admin", email: `admin@${DEMO_EMAIL_DOMAIN}` },
  { role: "compliance_officer", name: "Cora Compliance", email: `compliance@${DEMO_EMAIL_DOMAIN}` },
  { role: "incident_reviewer", name: "Ian Incident", email: `incidents@${DEMO_EMAIL_DOMAIN}` },
  { role: "auditor", name: "Audrey Auditor", email: `auditor@${DEMO_EMAIL_DOMAIN}` },
];

/** The service that owns each demo AI system and writes its records (the xAPI authority). */
export const DEMO_WRITERS: Record<keyof typeof DEMO_AI_SYSTEMS, string> = {
  loans: "loan-underwriting-service",
  moderation: "content-safety-service",
  triage: "ed-triage-service",
};

export const DEMO_API_KEY_OWNER = "demo-ingest";
export const DEMO_DECISION_COUNT = 20_000;
export const DEMO_DAYS = 90;
const BATCH_SIZE = 1000;

export const DEMO_CREDENTIALS_FILE = "demo-credentials.json";
const STATE_FILE = "demo-seed.json";

const SEED_ACTOR: ServiceActor = { id: null, email: "demo-seed", role: "system" };

export interface DemoCredentials {
  users: { email: string; password: string; role: Role; name: string }[];
  apiKey: string;
}

interface SeedState {
  version: 1;
  seed: string;
  /** End of the 90-day window, fixed at the first start so a resumed run regenerates the same statements. */
  now: string;
  count: number;
  days: number;
  completedAt: string | null;
}

export interface SeedOptions {
  /** Decisions to seed (default 20,000). */
  count?: number;
  /** Batches written before returning (the rest continue in the background). Default 1. */
  foregroundBatches?: number;
  log?: (line: string) => void;
  /** Where the dashboard is, for the console message. */
  url?: string;
}

export type SeedStatus =
  | { state: "skipped" }
  | { state: "running" | "done"; stored: number; total: number }
  | { state: "failed"; stored: number; total: number; error: string };

export interface SeedResult {
  /** Status now; `done` settles when the background part has finished (never rejects). */
  status: () => SeedStatus;
  done: Promise<SeedStatus>;
}

// One seeding per process (dev-mode reloads must not start a second background run).
const globalKey = Symbol.for("decision-ledger.demo-seed");
type GlobalWithSeed = typeof globalThis & { [globalKey]?: SeedResult };

/** Progress of this process's demo seed, for the dashboard ("demo data is still loading"). */
export function demoSeedStatus(): SeedStatus {
  return (globalThis as GlobalWithSeed)[globalKey]?.status() ?? { state: "skipped" };
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return null;
  }
}

/** Writes via a temporary file and rename, so a crash never leaves half a JSON file; mode 0600. */
function writeJsonPrivate(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

const SYSTEM_KEYS = Object.keys(DEMO_AI_SYSTEMS) as (keyof typeof DEMO_AI_SYSTEMS)[];
const WRITER_BY_HOMEPAGE = new Map<string, string>(SYSTEM_KEYS.map((k) => [DEMO_AI_SYSTEMS[k].homePage, DEMO_WRITERS[k]]));
const WRITER_BY_DOMAIN = new Map<string, string>(SYSTEM_KEYS.map((k) => [domainOf(DEMO_AI_SYSTEMS[k].homePage)!, DEMO_WRITERS[k]]));

/** "https://ai.northwind-bank.example/x" → "northwind-bank.example" (the demo organisations' domains). */
function domainOf(iri: string): string | null {
  try {
    return new URL(iri).hostname.split(".").slice(-2).join(".");
  } catch {
    return null;
  }
}

/**
 * The service that would have written this statement. AI-involved records name their
 * system in the ai-systems extension; purely human records belong to the organisation
 * (domain) of the staff directory or the object decided about.
 */
export function demoWriterOf(statement: XapiStatement): string {
  for (const iri of aiSystemIris(statement)) {
    const writer = WRITER_BY_HOMEPAGE.get(iri);
    if (writer) return writer;
  }
  for (const iri of [statement.actor.account?.homePage, "id" in statement.object ? statement.object.id : undefined]) {
    const writer = iri ? WRITER_BY_DOMAIN.get(domainOf(iri) ?? "") : undefined;
    if (writer) return writer;
  }
  throw new Error(`demo statement ${statement.id} belongs to none of the demo AI systems`);
}

/** Consecutive runs of statements with the same writer, keeping the batch's order. */
function byWriter(batch: XapiStatement[]): { writer: string; statements: XapiStatement[] }[] {
  const groups: { writer: string; statements: XapiStatement[] }[] = [];
  const index = new Map<string, number>();
  for (const s of batch) {
    const writer = demoWriterOf(s);
    let i = index.get(writer);
    if (i === undefined) {
      i = groups.push({ writer, statements: [] }) - 1;
      index.set(writer, i);
    }
    groups[i]!.statements.push(s);
  }
  return groups;
}

/** Demo users and the ingest key: created when missing; passwords of existing ones come from the credentials file. */
async function ensureAccounts(runtime: Runtime, file: string): Promise<{ credentials: DemoCredentials; created: boolean }> {
  const { db } = runtime;
  const previous = readJson<DemoCredentials>(file);
  let created = false;
  const users: DemoCredentials["users"] = [];
  for (const demo of DEMO_USERS) {
    const existing = await getUserByEmail(db, { email: demo.email });
    if (existing) {
      const known = previous?.users.find((u) => u.email === demo.email);
      if (known) users.push(known);
      continue;
    }
    // No password given: createUser generates a strong random one and returns it once.
    const { generatedPassword } = await createUser(db, { ...demo, actor: SEED_ACTOR });
    users.push({ ...demo, password: generatedPassword! });
    created = true;
  }
  let apiKey = previous?.apiKey ?? "";
  if (!apiKey || !(await verifyApiKey(db, apiKey))) {
    apiKey = (await createApiKey(db, { owner: DEMO_API_KEY_OWNER, createdBy: SEED_ACTOR.email, actor: SEED_ACTOR })).secret;
    created = true;
  }
  const credentials = { users, apiKey };
  writeJsonPrivate(file, credentials);
  return { credentials, created };
}

function credentialsBox(credentials: DemoCredentials, file: string, url: string): string {
  const lines = [
    "Decision Ledger demo is ready to sign in",
    "",
    `Open ${url}/sign-in and use one of these demo accounts:`,
    ...credentials.users.map((u) => `  ${u.role.padEnd(18)} ${u.email.padEnd(38)} ${u.password}`),
    "",
    `Ingest API key (owner ${DEMO_API_KEY_OWNER}):`,
    `  ${credentials.apiKey}`,
    "",
    "Append a decision:",
    `  curl -X POST ${url}/api/v1/decisions \\`,
    `    -H "Authorization: Bearer ${credentials.apiKey}" \\`,
    `    -H "Content-Type: application/json" --data @statement.json`,
    "  (an example statement: docs/ingest-api.md)",
    "",
    `Saved in ${file} (readable only by you).`,
    "These are demo credentials: set DEMO=false for a real deployment.",
  ];
  const width = Math.max(...lines.map((l) => l.length));
  const bar = "═".repeat(width + 2);
  return [`╔${bar}╗`, ...lines.map((l) => `║ ${l.padEnd(width)} ║`), `╚${bar}╝`].join("\n");
}

/**
 * Seeds the demo when the decisions log is empty, or finishes an interrupted seed. Returns
 * after the accounts and the first batch are stored; `done` settles when everything is
 * stored and checkpointed.
 */
export async function seedDemoIfEmpty(runtime: Runtime, options: SeedOptions = {}): Promise<SeedResult> {
  const g = globalThis as GlobalWithSeed;
  const running = g[globalKey];
  if (running && running.status().state === "running") return running;

  // Multi-line messages (the credentials box) are printed as they are, without the prefix.
  const log = options.log ?? ((line: string) => console.log(line.includes("\n") ? line : `[decision-ledger] ${line}`));
  const dataDir = path.resolve(runtime.config.DATA_DIR);
  const stateFile = path.join(dataDir, STATE_FILE);
  const credentialsFile = path.join(dataDir, DEMO_CREDENTIALS_FILE);
  const url = options.url ?? runtime.config.NEXTAUTH_URL?.replace(/\/$/, "") ?? `http://localhost:${process.env.PORT ?? "3000"}`;

  const size = await readLogSize(runtime.db, "decisions");
  let state = readJson<SeedState>(stateFile);
  const unfinished = state !== null && state.version === 1 && state.completedAt === null;
  if (size > 0 && !unfinished) {
    const skipped: SeedResult = { status: () => ({ state: "skipped" }), done: Promise.resolve({ state: "skipped" }) };
    if (existsSync(credentialsFile)) log(`Demo sign-in details: ${credentialsFile}`);
    return skipped;
  }
  if (!unfinished || size === 0) {
    state = {
      version: 1,
      seed: randomBytes(8).toString("hex"),
      now: new Date().toISOString(),
      count: options.count ?? DEMO_DECISION_COUNT,
      days: DEMO_DAYS,
      completedAt: null,
    };
    writeJsonPrivate(stateFile, state);
  }
  const plan = state!;

  const started = Date.now();
  const { credentials, created } = await ensureAccounts(runtime, credentialsFile);
  log(created ? `\n${credentialsBox(credentials, credentialsFile, url)}\n` : `Demo sign-in details: ${credentialsFile}`);

  const statements = generateDemoStatements({ count: plan.count, now: new Date(plan.now), days: plan.days, seed: plan.seed });
  const batches: XapiStatement[][] = [];
  for (let i = 0; i < statements.length; i += BATCH_SIZE) batches.push(statements.slice(i, i + BATCH_SIZE));

  let stored = 0;
  let lastRecordedAt = 0;
  let status: SeedStatus = { state: "running", stored, total: plan.count };
  const appendBatch = async (batch: XapiStatement[]) => {
    // Recorded as if ingested shortly after the latest decision of the batch, so the demo
    // ledger looks like one that ran for the whole window: recorded_at (and the xAPI
    // `stored`) never precede the decisions and never go backwards along the log.
    const latest = Math.max(...batch.map((s) => parseRfc3339(s.timestamp) ?? 0));
    lastRecordedAt = Math.min(Date.now(), Math.max(lastRecordedAt, latest + 2_000));
    for (const group of byWriter(batch)) {
      await appendDecisions(runtime.db, runtime.personalDataKeys, group.statements, { name: group.writer }, new Date(lastRecordedAt));
      // PGlite runs in this thread and its promises settle as microtasks: without a real
      // turn of the event loop between appends, the background seed would starve every
      // incoming request until it finished. setImmediate lets pending I/O run first.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    stored += batch.length;
    status = { state: "running", stored, total: plan.count };
  };
  const checkpointAll = async () => {
    for (const logId of LOG_IDS) await checkpointNow(runtime, logId);
  };

  const foreground = Math.min(options.foregroundBatches ?? 1, batches.length);
  for (const batch of batches.slice(0, foreground)) await appendBatch(batch);
  await checkpointAll();
  log(`Demo: ${stored.toLocaleString("en-US")} of ${plan.count.toLocaleString("en-US")} decisions stored in ${Date.now() - started} ms; the rest continue in the background.`);

  const done = (async (): Promise<SeedStatus> => {
    try {
      for (const batch of batches.slice(foreground)) {
        await appendBatch(batch);
        if (stored % 5000 === 0 || stored === plan.count) {
          log(`Demo: ${stored.toLocaleString("en-US")} of ${plan.count.toLocaleString("en-US")} decisions stored (${Math.round((Date.now() - started) / 1000)} s)`);
        }
      }
      await checkpointAll();
      writeJsonPrivate(stateFile, { ...plan, completedAt: new Date().toISOString() });
      log(`Demo: all ${plan.count.toLocaleString("en-US")} decisions stored and checkpointed in ${Math.round((Date.now() - started) / 1000)} s.`);
      status = { state: "done", stored, total: plan.count };
    } catch (error) {
      console.error("[decision-ledger] demo seed stopped (it resumes at the next start):", error);
      status = { state: "failed", stored, total: plan.count, error: (error as Error).message };
    }
    return status;
  })();
  const result: SeedResult = { status: () => status, done };
  g[globalKey] = result;
  return result;
}
