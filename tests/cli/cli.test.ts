import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { executeSql, openDatabase, queryRows, type Database, type DatabaseKind } from "@/db/client";
import { bigintColumn } from "@/db/rows/columns";
import { verifyCredentials } from "@/lib/auth/sign-in";
import { generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import { parseCheckpoint, parseSignerKey, verifyNote } from "@/lib/ledger/signed-note";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { verifyApiKey } from "@/lib/services/api-keys";
import { loadCommands } from "@/cli/main";
import { DATABASE_KINDS, TEST_POSTGRES_URL } from "../support/test-databases";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";

const ROOT = path.resolve(__dirname, "../..");
const BIN = path.join(ROOT, "bin", "decision-ledger.mjs");

const userEmailRow = z.object({ user_email: z.string().nullable() });

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a fresh shell: nothing of this process's ledger configuration leaks in. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(DATABASE_URL|DATA_DIR|LEDGER_|AUTO_MIGRATE|CHECKPOINT_DIR|DEMO|NEXTAUTH_)/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

function cli(args: string[], opts: { env: Record<string, string>; input?: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    // No input: stdin is /dev/null, as for a command typed in a terminal with nothing piped.
    const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...baseEnv(), ...opts.env } as NodeJS.ProcessEnv,
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code: number | null) => resolve({ code, stdout, stderr }));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

describe("command registry", () => {
  test("every file in cli/commands is a command named after its file, with a usage text", async () => {
    const commands = await loadCommands();
    const names = commands.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(["checkpoint", "create-api-key", "create-user", "keygen", "migrate"]));
    for (const c of commands) {
      expect(c.usage, c.name).toMatch(new RegExp(`^Usage: decision-ledger ${c.name}\\b`));
      expect(c.summary.length, c.name).toBeGreaterThan(10);
    }
  });

  test("a file that does not export a command is reported, not skipped", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "dl-h4-cmds-"));
    try {
      writeFileSync(path.join(dir, "broken.mjs"), "export const nothing = 1;\n");
      await expect(loadCommands(dir)).rejects.toThrow(/broken\.mjs does not export a command/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("commands that need no database", () => {
  const env = { DATA_DIR: path.join(tmpdir(), "dl-h4-cli-nodb-unused") };

  test("help lists the commands; no command is a usage error", async () => {
    const help = await cli(["--help"], { env });
    expect(help.code).toBe(0);
    for (const name of ["migrate", "create-user", "create-api-key", "checkpoint", "keygen"]) expect(help.stdout).toContain(name);
    const none = await cli([], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Usage: decision-ledger <command>");
    const unknown = await cli(["frobnicate"], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const commandHelp = await cli(["create-user", "--help"], { env });
    expect(commandHelp.code).toBe(0);
    expect(commandHelp.stdout).toContain("--role");
  });

  test("keygen prints a signer key and its verifier key, or writes the signer key to a new 0600 file", async () => {
    const printed = await cli(["keygen", "--name", "ledger.example.com", "--json"], { env });
    expect(printed.code, printed.stderr).toBe(0);
    const keys = JSON.parse(printed.stdout) as { signerKey: string; verifierKey: string };
    expect(keys.signerKey).toMatch(/^PRIVATE\+KEY\+ledger\.example\.com\+[0-9a-f]{8}\+/);
    expect((await parseSignerKey(keys.signerKey)).name).toBe("ledger.example.com");
    expect(keys.verifierKey).toMatch(/^ledger\.example\.com\+[0-9a-f]{8}\+/);

    const dir = mkdtempSync(path.join(tmpdir(), "dl-h4-keygen-"));
    try {
      const file = path.join(dir, "signing-key");
      const written = await cli(["keygen", "--name", "ledger.example.com", "--out", file], { env });
      expect(written.code, written.stderr).toBe(0);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(written.stdout).not.toContain("PRIVATE+KEY");
      const again = await cli(["keygen", "--name", "ledger.example.com", "--out", file], { env });
      expect(again.code).toBe(1);
      expect(again.stderr).toContain("already exists");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("usage errors name the flag and exit 2", async () => {
    const missing = await cli(["keygen"], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--name is required");
    const badName = await cli(["keygen", "--name", "has space"], { env });
    expect(badName.code).toBe(2);
    const unknownFlag = await cli(["keygen", "--name", "x", "--colour", "red"], { env });
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain("--colour");
  });

  test("an invalid configuration is reported plainly (exit 1)", async () => {
    const res = await cli(["create-api-key", "--owner", "svc"], { env: { DATABASE_URL: "mysql://db/x" } });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("DATABASE_URL");
    expect(res.stderr).not.toContain("    at ");
  });
});

describe.each(DATABASE_KINDS)("decision-ledger against %s", (kind: DatabaseKind) => {
  let env: Record<string, string>;
  let dataDir: string;
  let dropDatabase: (() => Promise<void>) | null = null;
  let signer: { signerKey: string; verifierKey: string };

  /** Opens the CLI's database in this process between CLI runs (PGlite allows one process at a time). */
  async function withDb<T>(fn: (database: Database) => Promise<T>): Promise<T> {
    const database = await openDatabase(env.DATABASE_URL ? { url: env.DATABASE_URL } : { dataDir: path.join(dataDir, "pglite") });
    try {
      return await fn(database);
    } finally {
      await database.close();
    }
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), `dl-h4-cli-${kind}-`));
    env = { DATA_DIR: dataDir };
    if (kind === "postgres") {
      // An empty database, as a DBA would create it: the CLI's migrate must do the rest.
      const name = `dl_cli_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
      const admin = await openDatabase({ url: TEST_POSTGRES_URL });
      await executeSql(admin.db, sql.raw(`create database ${name}`));
      const url = new URL(TEST_POSTGRES_URL);
      url.pathname = `/${name}`;
      env.DATABASE_URL = url.toString();
      dropDatabase = async () => {
        await executeSql(admin.db, sql.raw(`drop database if exists ${name} with (force)`));
        await admin.close();
      };
    }
    const keygen = await cli(["keygen", "--name", "cli.test", "--json"], { env });
    signer = JSON.parse(keygen.stdout) as { signerKey: string; verifierKey: string };
  });
  afterAll(async () => {
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  if (kind === "postgres") {
    test("without AUTO_MIGRATE, a command on an unmigrated database says to run migrate", async () => {
      const res = await cli(["create-api-key", "--owner", "svc"], { env: { ...env, AUTO_MIGRATE: "false" } });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain("decision-ledger migrate");
    });
  }

  test("migrate applies the migrations once", async () => {
    const first = await cli(["migrate"], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Applied \d+ migration/);
    const second = await cli(["migrate"], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain("up to date");
  });

  test("create-user generates a password, shown once, that signs in", async () => {
    const res = await cli(["create-user", "--email", "Ada@Example.com", "--role", "admin", "--name", "Ada Admin", "--json"], { env });
    expect(res.code, res.stderr).toBe(0);
    const created = JSON.parse(res.stdout) as { email: string; role: string; password: string };
    expect(created).toMatchObject({ email: "ada@example.com", role: "admin" });
    expect(created.password.length).toBeGreaterThanOrEqual(12);
    await withDb(async ({ db }) => {
      expect(await verifyCredentials(db, { email: "ada@example.com", password: created.password, ip: null, userAgent: null })).toMatchObject({ ok: true });
      const log = await queryRows(
        db,
        sql`select user_email, target from access_events where action = 'users.create'`,
        z.object({ user_email: z.string().nullable(), target: z.string().nullable() }),
      );
      expect(log).toEqual([{ user_email: "cli", target: "ada@example.com" }]);
    });
  });

  test("create-user reads the password from a pipe and never prints it", async () => {
    const password = "correct horse battery staple";
    const res = await cli(["create-user", "--email", "bo@example.com", "--role", "auditor", "--as", "ada@example.com"], {
      env,
      input: `${password}\n`,
    });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).not.toContain(password);
    expect(res.stdout).not.toContain("Password");
    await withDb(async ({ db }) => {
      expect(await verifyCredentials(db, { email: "bo@example.com", password, ip: null, userAgent: null })).toMatchObject({ ok: true });
      const log = await queryRows(db, sql`select user_email from access_events where target = 'bo@example.com'`, userEmailRow);
      expect(log).toEqual([{ user_email: "ada@example.com" }]);
    });
  });

  test("create-user refuses bad input with the field named", async () => {
    const short = await cli(["create-user", "--email", "c@example.com", "--role", "auditor"], { env, input: "short\n" });
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("password");
    const dup = await cli(["create-user", "--email", "ada@example.com", "--role", "auditor"], { env });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain("--email");
    const role = await cli(["create-user", "--email", "d@example.com", "--role", "boss"], { env });
    expect(role.code).toBe(2);
    expect(role.stderr).toContain("--role must be one of");
    const missing = await cli(["create-user", "--role", "admin"], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--email is required");
    const unknownActor = await cli(["create-api-key", "--owner", "svc", "--as", "nobody@example.com"], { env });
    expect(unknownActor.code).toBe(1);
    expect(unknownActor.stderr).toContain("no active user");
  });

  test("create-api-key prints a working secret once and logs the creation", async () => {
    const res = await cli(["create-api-key", "--owner", "loan-underwriting-service", "--json", "--as", "ada@example.com"], { env });
    expect(res.code, res.stderr).toBe(0);
    const key = JSON.parse(res.stdout) as { id: string; owner: string; scope: string; secret: string };
    expect(key).toMatchObject({ owner: "loan-underwriting-service", scope: "ingest" });
    await withDb(async ({ db }) => {
      expect(await verifyApiKey(db, key.secret)).toMatchObject({ id: key.id, owner: "loan-underwriting-service" });
      const log = await queryRows(db, sql`select user_email from access_events where action = 'api_keys.create'`, userEmailRow);
      expect(log).toEqual([{ user_email: "ada@example.com" }]);
    });
    const human = await cli(["create-api-key", "--owner", "other-service"], { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/dl_live_[0-9A-Za-z]{32}/);
    expect(human.stdout).toContain("curl");
  });

  test("checkpoint signs the current trees with the configured key, once per growth", async () => {
    await withDb(async ({ db }) => {
      await appendDecisions(db, TEST_KEYS, generateDemoStatements({ count: 12, now: new Date("2025-03-01T00:00:00Z"), seed: kind }), { name: "svc" });
    });
    const signEnv = { ...env, LEDGER_SIGNING_KEY: signer.signerKey, LEDGER_ORIGIN: "cli.test" };
    const res = await cli(["checkpoint", "--log", "decisions", "--json"], { env: signEnv });
    expect(res.code, res.stderr).toBe(0);
    const [cp] = JSON.parse(res.stdout) as { log: string; treeSize: number; created: boolean; signedNote: string }[];
    expect(cp).toMatchObject({ log: "decisions", treeSize: 12, created: true });
    const verified = await verifyNote(cp!.signedNote, [signer.verifierKey]);
    expect(parseCheckpoint(verified.text)).toMatchObject({ origin: "cli.test/decisions", size: 12 });
    // Also in the external store (CHECKPOINT_DIR defaults to DATA_DIR/checkpoints).
    expect(existsSync(path.join(dataDir, "checkpoints", "decisions", `${"12".padStart(20, "0")}.checkpoint`))).toBe(true);

    const again = await cli(["checkpoint", "--log", "decisions", "--json"], { env: signEnv });
    expect((JSON.parse(again.stdout) as { created: boolean }[])[0]!.created).toBe(false);

    const both = await cli(["checkpoint"], { env: signEnv });
    expect(both.code, both.stderr).toBe(0);
    expect(both.stdout).toContain("decisions: unchanged");
    expect(both.stdout).toContain("access: signed a new checkpoint");

    await withDb(async ({ db }) => {
      const rows = await queryRows(db, sql`select count(*) as n from access_events where action = 'checkpoint.create'`, z.object({ n: bigintColumn }));
      expect(rows[0]!.n).toBe(3);
    });
    const badLog = await cli(["checkpoint", "--log", "users"], { env: signEnv });
    expect(badLog.code).toBe(2);
  });

  test("checkpoint without a configured key generates the server's DATA_DIR key", async () => {
    const res = await cli(["checkpoint", "--log", "access", "--json"], { env });
    expect(res.code, res.stderr).toBe(0);
    expect(existsSync(path.join(dataDir, "signing-key"))).toBe(true);
    expect(statSync(path.join(dataDir, "signing-key")).mode & 0o777).toBe(0o600);
    expect(res.stderr).toContain("generated a checkpoint signing key");
  });
});

// A data directory that does not exist yet is created by the embedded database on first use.
test("the embedded database is created in a new DATA_DIR", async () => {
  const dataDir = path.join(mkdtempSync(path.join(tmpdir(), "dl-h4-cli-new-")), "nested", "data");
  mkdirSync(path.dirname(dataDir), { recursive: true });
  try {
    const res = await cli(["create-api-key", "--owner", "svc", "--json"], { env: { DATA_DIR: dataDir } });
    expect(res.code, res.stderr).toBe(0);
    expect(existsSync(path.join(dataDir, "pglite"))).toBe(true);
  } finally {
    rmSync(path.dirname(path.dirname(dataDir)), { recursive: true, force: true });
  }
});
