import { parseArgs, type ParseArgsConfig } from "node:util";

/**
 * The contract of a `decision-ledger` command. Each command is one file in cli/commands/
 * whose default export satisfies CliCommand; cli/main.ts discovers the files, so adding a
 * command never needs an edit elsewhere. Shared helpers live in cli/lib/, not in commands/.
 *
 * Exit codes: 0 success, 1 the command failed (bad configuration, database unreachable,
 * refused input), 2 usage error (unknown command or flag, missing argument). A command may
 * define further codes for its own outcomes (document them in its usage text).
 */
export interface CliCommand {
  /** What the user types: `decision-ledger <name>`. Lower-case, kebab-case, = file name. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full help: synopsis, options, examples. Shown by `<name> --help` and after usage errors. */
  usage: string;
  run(args: string[], ctx: CliContext): Promise<number | void>;
}

export interface CliContext {
  env: Record<string, string | undefined>;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; fd?: number };
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Wrong invocation: main prints the message and the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The command ran and failed in an expected way: main prints the message only, exit code 1 (or `exitCode`). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Identity helper that type-checks a command definition. */
export function defineCommand(command: CliCommand): CliCommand {
  return command;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * node:util parseArgs in strict mode, with its errors turned into UsageErrors that name
 * the flag, and `required` flags checked. `--help` is handled by main before run().
 */
export function parseCommandArgs<const O extends Options>(
  args: string[],
  options: O,
  opts: { required?: (keyof O & string)[]; positionals?: { min?: number; max?: number } } = {},
) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: (opts.positionals?.max ?? 0) > 0 });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, "");
    throw new UsageError(message);
  }
  for (const name of opts.required ?? []) {
    const value = (parsed.values as Record<string, unknown>)[name];
    if (value === undefined || value === "") throw new UsageError(`--${name} is required`);
  }
  const { min = 0, max = 0 } = opts.positionals ?? {};
  if (parsed.positionals.length < min) throw new UsageError(`expected at least ${min} argument(s)`);
  if (parsed.positionals.length > max) throw new UsageError(`unexpected argument "${parsed.positionals[max]}"`);
  return parsed;
}

/** `value` must be one of `allowed`; names the flag otherwise. */
export function oneOf<const T extends readonly string[]>(flag: string, value: string, allowed: T): T[number] {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of: ${allowed.join(", ")} (got "${value}")`);
  return value as T[number];
}
