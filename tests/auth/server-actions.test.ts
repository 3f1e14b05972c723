import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { ROLES, roleHas, type Role } from "@/lib/auth/permissions";
import { ACTION_RULES } from "@/lib/auth/route-rules";
import { createUserSession, revokeUserSession } from "@/lib/auth/user-sessions";
import { createUser, updateUser } from "@/lib/services/users";
import { createTestDatabase, type TestDatabase } from "../support/test-databases";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";

// Every server action is a public POST endpoint: whoever holds its id can call it, whether or
// not the page showed them the button. This walks every "use server" export under app/ and
// calls it as anonymous, as a deactivated user, with a signed-out, an expired or a pre-session
// cookie, and as every role, through the real guard and real user_sessions rows (next-auth's
// cookie decoding and the request are the only things stood in for).

type MockSession = { user: { id: string }; signedInAt: number; sessionId: string | null };
const session = vi.hoisted(() => ({ current: null as null | MockSession }));
const runtime = vi.hoisted(() => ({ current: null as unknown }));

vi.mock("next-auth", () => ({ getServerSession: async () => session.current }));
vi.mock("@/lib/auth/auth-options", () => ({ getAuthOptions: () => ({}) }));
vi.mock("next/headers", () => ({ headers: async () => new Headers({ "user-agent": "vitest" }) }));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));
vi.mock("@/lib/server/runtime", () => ({
  getRuntime: async () => runtime.current,
  getPersonalDataKeys: async () => TEST_KEYS,
  checkpointNow: async () => null,
  wakeIntegrityJobs: async () => undefined,
}));

const ROOT = path.resolve(__dirname, "../..");

/** Files under app/ that start with the "use server" directive, relative to the root. */
function serverActionFiles(dir = path.join(ROOT, "app")): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...serverActionFiles(full));
    else if (/\.(ts|tsx)$/.test(entry.name) && /^\s*["']use server["']/.test(readFileSync(full, "utf8"))) {
      found.push(path.relative(ROOT, full).split(path.sep).join("/"));
    }
  }
  return found;
}

interface ActionExport {
  file: string;
  name: string;
  source: string;
}

function actionExports(): ActionExport[] {
  return serverActionFiles().flatMap((file) => {
    const text = readFileSync(path.join(ROOT, file), "utf8");
    const starts = [...text.matchAll(/^export async function (\w+)\s*\(/gm)];
    return starts.map((m, i) => ({ file, name: m[1]!, source: text.slice(m.index, starts[i + 1]?.index ?? text.length) }));
  });
}

const actions = actionExports();

const DEAD_SESSIONS = ["signed-out session", "expired session", "cookie without a session"] as const;
type DeadSession = (typeof DEAD_SESSIONS)[number];
const isDeadSession = (who: string): who is DeadSession => (DEAD_SESSIONS as readonly string[]).includes(who);

describe("ACTION_RULES covers every server action", () => {
  test("the walk finds the app's server actions", () => {
    expect(actions.map((a) => a.name)).toEqual(expect.arrayContaining(["createUserAction", "revealPersonalDataAction"]));
  });

  test("every action has a rule, names are unique, and no rule is stale", () => {
    const names = actions.map((a) => a.name);
    expect(new Set(names).size, "server action names must be unique across the app").toBe(names.length);
    const missing = actions.filter((a) => ACTION_RULES[a.name] === undefined).map((a) => `${a.name} (${a.file})`);
    expect(missing, `Add these to ACTION_RULES in lib/auth/route-rules.ts:\n${missing.join("\n")}`).toEqual([]);
    expect(Object.keys(ACTION_RULES).filter((n) => !names.includes(n))).toEqual([]);
  });

  test("every action calls requireActionPermission with its rule", () => {
    const wrong = actions
      .filter((a) => !a.source.includes(`requireActionPermission("${ACTION_RULES[a.name]}")`))
      .map((a) => `${a.name} (${a.file}) must call requireActionPermission("${ACTION_RULES[a.name]}")`);
    expect(wrong).toEqual([]);
  });
});

describe("every server action refuses whom the catalogue refuses", () => {
  let database: TestDatabase;
  const userIds = new Map<Role | "deactivated", string>();
  /** Cookies that must not work: their session was signed out, has expired, or never existed. */
  const deadSessions = new Map<DeadSession, MockSession>();

  beforeAll(async () => {
    database = await createTestDatabase("pglite");
    runtime.current = { db: database.db };
    for (const role of ROLES) {
      const { user } = await createUser(database.db, {
        email: `${role}@actions.test`,
        name: role,
        role,
        password: "a long enough password",
        actor: { email: "vitest" },
      });
      userIds.set(role, user.id);
    }
    const { user: gone } = await createUser(database.db, {
      email: "gone@actions.test",
      name: "Gone",
      role: "admin",
      password: "a long enough password",
      actor: { email: "vitest" },
    });
    await updateUser(database.db, { id: gone.id, active: false, actor: { email: "vitest" } });
    userIds.set("deactivated", gone.id);

    const nowSeconds = Math.floor(Date.now() / 1000);
    const auditor = userIds.get("auditor")!;
    // Signed out: the cookie is as it was, but its session row was revoked.
    const signedOut = await createUserSession(database.db, { userId: auditor, provider: "credentials", ip: null, userAgent: null });
    await revokeUserSession(database.db, { id: signedOut.id, reason: "sign_out", actor: { email: "vitest" } });
    deadSessions.set("signed-out session", { user: { id: auditor }, signedInAt: nowSeconds, sessionId: signedOut.id });
    // Expired: the row's absolute end has passed (the cookie's own sign-in time still looks fresh).
    const expired = await createUserSession(database.db, {
      userId: auditor,
      provider: "credentials",
      ip: null,
      userAgent: null,
      now: new Date(Date.now() - 120_000),
      maxAgeSeconds: 60,
    });
    deadSessions.set("expired session", { user: { id: auditor }, signedInAt: nowSeconds, sessionId: expired.id });
    // Issued before sessions were revocable: no session id at all.
    deadSessions.set("cookie without a session", { user: { id: auditor }, signedInAt: nowSeconds, sessionId: null });
  });
  afterAll(async () => {
    await database?.drop();
  });

  /** A fresh live session per call: "sign out everywhere" ends the sessions it ran with. */
  async function liveSession(userId: string): Promise<MockSession> {
    const { id } = await createUserSession(database.db, { userId, provider: "credentials", ip: null, userAgent: "vitest" });
    return { user: { id: userId }, signedInAt: Math.floor(Date.now() / 1000), sessionId: id };
  }

  async function call(action: ActionExport, as: Role | "deactivated" | "anonymous" | DeadSession): Promise<string> {
    if (as === "anonymous") session.current = null;
    else if (isDeadSession(as)) session.current = deadSessions.get(as)!;
    else session.current = await liveSession(userIds.get(as)!);
    const mod = (await import(path.join(ROOT, action.file))) as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const fn = mod[action.name]!;
    // Form actions take (previous state, form data); the others one input value.
    const result = fn.length >= 2 ? await fn({ status: "idle" }, new FormData()) : await fn(undefined);
    return String((result as { message?: unknown }).message ?? "");
  }

  test.each(actions.map((a) => [a.name, a] as const))("%s", async (_name, action) => {
    const permission = ACTION_RULES[action.name]!;
    for (const who of ["anonymous", "deactivated", ...DEAD_SESSIONS] as const) {
      expect(await call(action, who), `${action.name} as ${who}`).toMatch(/not signed in/);
    }
    for (const role of ROLES) {
      const message = await call(action, role);
      if (roleHas(role, permission)) {
        expect(message, `${action.name} as ${role} should pass the guard`).not.toMatch(/not signed in|does not allow this/);
      } else {
        expect(message, `${action.name} as ${role} should be refused`).toContain(`needs the permission "${permission}"`);
      }
    }
  });
});
