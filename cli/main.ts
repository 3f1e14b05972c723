import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CliError, EXIT, UsageError, type CliCommand, type CliContext } from "./command";

/**
 * `decision-ledger <command> [options]`: discovers the commands in cli/commands/ (one file
 * each, default export = CliCommand), dispatches, and turns errors into messages and exit
 * codes. Run through bin/decision-ledger.mjs (tsx), so `npx decision-ledger` works from a
 * checkout without a build step.
 */

const COMMANDS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "commands");
const COMMAND_FILE = /^[a-z][a-z0-9-]*\.(ts|mts|js|mjs)$/;

function isCommand(value: unknown): value is CliCommand {
  const c = value as Partial<CliCommand> | null;
  return !!c && typeof c.name === "string" && typeof c.summary === "string" && typeof c.usage === "string" && typeof c.run === "function";
}

function commandFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => COMMAND_FILE.test(f) && !/\.(test|d)\.[mc]?[tj]s$/.test(f))
    .sort();
}

async function importCommand(dir: string, file: string): Promise<CliCommand> {
  const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: unknown };
  const command = mod.default ?? mod;
  if (!isCommand(command)) throw new Error(`cli/commands/${file} does not export a command ({ name, summary, usage, run }) as its default export`);
  const expected = file.replace(/\.[^.]+$/, "");
  if (command.name !== expected) throw new Error(`cli/commands/${file} defines command "${command.name}"; name the file ${command.name}.ts`);
  return command;
}

/** Every command in cli/commands/, sorted by name. A file that does not export a command is a bug: fail loudly. */
export async function loadCommands(dir = COMMANDS_DIR): Promise<CliCommand[]> {
  const commands: CliCommand[] = [];
  for (const file of commandFiles(dir)) commands.push(await importCommand(dir, file));
  return commands;
}

/**
 * Only the named command's file, or null when there is none: every command imports its own
 * dependencies (the database driver, the app's services), ~55 MB for all of them, which the
 * offline `verify` needs none of.
 */
async function loadCommand(name: string, dir = COMMANDS_DIR): Promise<CliCommand | null> {
  const file = commandFiles(dir).find((f) => f.replace(/\.[^.]+$/, "") === name);
  return file ? importCommand(dir, file) : null;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "package.json"), "utf8")) as { version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

function overview(commands: CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  return [
    "Decision Ledger command line",
    "",
    "Usage: decision-ledger <command> [options]",
    "       decision-ledger <command> --help",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "The database and keys come from the same environment as the server: DATABASE_URL (Postgres),",
    "or the embedded database in DATA_DIR (default ./data). See docs/cli.md.",
    "",
    "Exit codes: 0 success, 1 failure, 2 usage error.",
    "",
  ].join("\n");
}

const KNOWN_FAILURES = new Set(["ConfigError", "DatabaseUnavailableError", "NotMigratedError", "ServiceInputError", "NoteError", "CheckpointRefusedError"]);

export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  let commands: CliCommand[];
  try {
    const named = name && !name.startsWith("-") && name !== "help" ? await loadCommand(name) : null;
    commands = named ? [named] : await loadCommands();
  } catch (error) {
    ctx.stderr.write(`decision-ledger: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" ? rest[0] : undefined;
    const command = topic ? commands.find((c) => c.name === topic) : undefined;
    if (topic && !command) {
      ctx.stderr.write(`decision-ledger: unknown command "${topic}"\n\n${overview(commands)}`);
      return EXIT.usage;
    }
    (name === undefined ? ctx.stderr : ctx.stdout).write(command ? `${command.usage.trimEnd()}\n` : overview(commands));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === "--version" || name === "-v") {
    ctx.stdout.write(`decision-ledger ${version()}\n`);
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    ctx.stderr.write(`decision-ledger: unknown command "${name}"\n\n${overview(commands)}`);
    return EXIT.usage;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    ctx.stdout.write(`${command.usage.trimEnd()}\n`);
    return EXIT.ok;
  }
  try {
    const code = await command.run(rest, ctx);
    return typeof code === "number" ? code : EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      ctx.stderr.write(`decision-ledger ${command.name}: ${error.message}\n\n${command.usage.trimEnd()}\n`);
      return EXIT.usage;
    }
    if (error instanceof CliError) {
      ctx.stderr.write(`decision-ledger ${command.name}: ${error.message}\n`);
      return error.exitCode;
    }
    const e = error as Error;
    ctx.stderr.write(`decision-ledger ${command.name}: ${e?.message ?? String(error)}\n`);
    if (!KNOWN_FAILURES.has(e?.name) || ctx.env.DEBUG) ctx.stderr.write(`${e?.stack ?? ""}\n`);
    return EXIT.failed;
  }
}
