import { ROLE_LABELS, ROLES } from "../../lib/auth/permissions";
import { createUser, PASSWORD_MIN_LENGTH } from "../../lib/services/users";
import { CliError, defineCommand, oneOf, parseCommandArgs } from "../command";
import { resolveActor, withLedger } from "../lib/ledger";
import { readStdin, stdinIsPiped } from "../lib/stdin";

export default defineCommand({
  name: "create-user",
  summary: "Create a dashboard user (password from stdin, or generated and shown once)",
  usage: `Usage: decision-ledger create-user --email <email> --role <role> [--name <name>] [--as <email>] [--json]

Creates a user who signs in to the dashboard with email and password. The change is
written to the access log (as the --as user, or as the "cli" system actor).

  --email <email>  Sign-in email (unique)
  --role <role>    One of: ${ROLES.map((r) => `${r} (${ROLE_LABELS[r]})`).join(", ")}
  --name <name>    Display name (default: the part of the email before @)
  --as <email>     Record the change as this active dashboard user
  --json           Print { "id", "email", "name", "role", "password"? } as JSON

Password: piped on standard input (first line, at least ${PASSWORD_MIN_LENGTH} characters), or else
generated and printed once. It is never stored in clear.

Examples:
  decision-ledger create-user --email dana@example.com --role compliance_officer --name "Dana Reyes"
  printf '%s' "$PASSWORD" | decision-ledger create-user --email ops@example.com --role admin`,
  async run(args, ctx) {
    const { values } = parseCommandArgs(
      args,
      { email: { type: "string" }, role: { type: "string" }, name: { type: "string" }, as: { type: "string" }, json: { type: "boolean" } },
      { required: ["email", "role"] },
    );
    const role = oneOf("role", values.role!, ROLES);
    const email = values.email!.trim();
    const name = values.name?.trim() || email.split("@")[0] || email;
    let password: string | undefined;
    if (stdinIsPiped(ctx.stdin)) {
      // First line only, without its line ending: `echo "$PW" |` adds one.
      password = (await readStdin(ctx.stdin)).split(/\r?\n/)[0] ?? "";
      if (password === "") password = undefined;
    }
    const { user, generatedPassword } = await withLedger(ctx.env, async ({ db }) => {
      const actor = await resolveActor(db, values.as);
      return createUser(db, { email, name, role, password, actor });
    }).catch((error: Error & { fieldErrors?: Record<string, string[]> }) => {
      if (error.name === "ServiceInputError") {
        const fields = Object.entries(error.fieldErrors ?? {}).map(([f, m]) => `${f === "password" ? "password (stdin)" : `--${f}`}: ${m.join(", ")}`);
        throw new CliError(fields.length > 0 ? fields.join("; ") : error.message);
      }
      throw error;
    });
    if (values.json) {
      ctx.stdout.write(
        JSON.stringify({ id: user.id, email: user.email, name: user.name, role: user.role, ...(generatedPassword ? { password: generatedPassword } : {}) }) + "\n",
      );
      return;
    }
    ctx.stdout.write(`Created ${ROLE_LABELS[role]} ${user.name} <${user.email}> (id ${user.id}).\n`);
    if (generatedPassword) ctx.stdout.write(`Password (shown once, hand it over securely): ${generatedPassword}\n`);
  },
});
