import { API_KEY_SCOPES, createApiKey } from "../../lib/services/api-keys";
import { CliError, defineCommand, oneOf, parseCommandArgs } from "../command";
import { resolveActor, withLedger } from "../lib/ledger";

export default defineCommand({
  name: "create-api-key",
  summary: "Create an ingest API key for an AI system (the secret is shown once)",
  usage: `Usage: decision-ledger create-api-key --owner <name> [--scope ${API_KEY_SCOPES.join("|")}] [--as <email>] [--json]

Creates an API key an AI system uses to append decision records
(POST /api/v1/decisions with Authorization: Bearer <key>). The owner becomes the xAPI
authority of every record written with the key. Only a hash is stored: the secret is
printed once. The change is written to the access log.

  --owner <name>   Who writes with this key, e.g. loan-underwriting-service
  --scope <scope>  ${API_KEY_SCOPES.join(", ")} (default ingest)
  --as <email>     Record the change as this active dashboard user (default: "cli")
  --json           Print { "id", "owner", "scope", "secret" } as JSON

Example:
  decision-ledger create-api-key --owner loan-underwriting-service`,
  async run(args, ctx) {
    const { values } = parseCommandArgs(
      args,
      { owner: { type: "string" }, scope: { type: "string" }, as: { type: "string" }, json: { type: "boolean" } },
      { required: ["owner"] },
    );
    const scope = oneOf("scope", values.scope ?? "ingest", API_KEY_SCOPES);
    const { key, secret } = await withLedger(ctx.env, async ({ db }) => {
      const actor = await resolveActor(db, values.as);
      return createApiKey(db, { owner: values.owner!, scope, createdBy: actor.email, actor });
    }).catch((error: Error & { fieldErrors?: Record<string, string[]> }) => {
      if (error.name === "ServiceInputError") {
        throw new CliError(Object.entries(error.fieldErrors ?? {}).map(([f, m]) => `--${f}: ${m.join(", ")}`).join("; ") || error.message);
      }
      throw error;
    });
    if (values.json) {
      ctx.stdout.write(JSON.stringify({ id: key.id, owner: key.owner, scope: key.scope, secret }) + "\n");
      return;
    }
    ctx.stdout.write(
      `Created ${key.scope} key ${key.prefix}… for ${key.owner} (id ${key.id}).\n` +
        `Secret (shown once; store it in the AI system's secret store):\n${secret}\n\n` +
        `Try it:\n  curl -X POST http://localhost:3000/api/v1/decisions \\\n` +
        `    -H "Authorization: Bearer ${secret}" -H "Content-Type: application/json" \\\n` +
        `    --data @statement.json\n`,
    );
  },
});
