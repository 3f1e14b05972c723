import { listErasureRequests, type ErasureRequestRecord } from "../../db/queries/erasure-requests";
import { approveErasure, rejectErasure } from "../../lib/services/decide-erasure";
import { requestErasure } from "../../lib/services/request-erasure";
import { defineCommand, parseCommandArgs, UsageError, type CliContext } from "../command";
import { loadSigner, resolveActor, withLedger } from "../lib/ledger";

const USAGE = `Usage: decision-ledger erase request --subject <id> --reason <text> --as <admin email> [--json]
       decision-ledger erase approve <request id> --as <another admin email> [--json]
       decision-ledger erase reject <request id> --as <admin email> [--json]
       decision-ledger erase list [--json]

Erases a data subject's personal data (GDPR Art. 17; docs/privacy.md "Erasure") by destroying
the subject's data keys: every value sealed under them becomes unreadable, while the records,
their commitments and the hash chain stay as they are (verify-db keeps passing). Four eyes: one
admin requests, a DIFFERENT active admin approves. Refused while a legal hold covers the
subject (decision-ledger hold).

  request   Creates a pending request. The subject id is turned into its blind indexes at
            once and stored nowhere, not in the request, not in the access log; the reason
            is stored in clear, so leave the id out of it. Prints the request id and how many
            data keys and records match.
  approve   Destroys the keys, completes the request and prints the signed erasure receipt
            (a C2SP signed note by the checkpoint signing key: check it with the verifier
            key, e.g. GET /api/v1/verifier-key).
  reject    Rejects a pending request (its requester may withdraw it this way). Nothing is erased.
  list      Every request with its status, who asked and decided, and the counts.

  --subject <id>   The subject's id as the AI systems record it (customer number, e-mail, ...)
  --reason <text>  Why (ticket, legal basis); at least 10 characters
  --as <email>     The active admin acting (required for request, approve and reject)
  --json           Print the request(s) as JSON

Every step is written to the access log.`;

function describeRequest(r: ErasureRequestRecord): string {
  const counts = r.status === "completed" ? `, ${r.keysErased} key(s) erased, ${r.valuesUnreadable} value(s) unreadable in ${r.recordsAffected} record(s)` : "";
  const decided = r.decidedBy ? `; ${r.status} by ${r.decidedBy} at ${r.decidedAt!.toISOString()}` : "";
  return `${r.id}  ${r.status.padEnd(9)}  requested by ${r.requestedBy} at ${r.requestedAt.toISOString()}${decided}${counts}\n    reason: ${r.reason}\n`;
}

function writeRequest(ctx: CliContext, json: boolean | undefined, request: ErasureRequestRecord, text: string): void {
  ctx.stdout.write(json ? JSON.stringify(request) + "\n" : text);
}

async function runRequest(args: string[], ctx: CliContext): Promise<void> {
  const { values } = parseCommandArgs(
    args,
    { subject: { type: "string" }, reason: { type: "string" }, as: { type: "string" }, json: { type: "boolean" } },
    { required: ["subject", "reason", "as"] },
  );
  const result = await withLedger(ctx.env, async ({ db, personalDataKeys }) => {
    const actor = await resolveActor(db, values.as);
    return requestErasure(db, personalDataKeys(), { request: { subject: values.subject, reason: values.reason }, actor: { ...actor, role: actor.role ?? "" } });
  });
  writeRequest(
    ctx,
    values.json,
    result.request,
    `Erasure request ${result.request.id} is pending: it matches ${result.matchingKeys} data key(s) covering ${result.matchingRecords} record(s).\n` +
      `A second admin approves it with:\n  decision-ledger erase approve ${result.request.id} --as <their email>\n`,
  );
}

async function runDecision(decision: "approve" | "reject", args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, { as: { type: "string" }, json: { type: "boolean" } }, { required: ["as"], positionals: { min: 1, max: 1 } });
  const request = await withLedger(ctx.env, async ({ db, config }) => {
    const actor = await resolveActor(db, values.as);
    const input = { request: { id: positionals[0] }, actor: { ...actor, role: actor.role ?? "" } };
    if (decision === "reject") return rejectErasure(db, input);
    const { signer } = await loadSigner(config, (t) => ctx.stderr.write(t));
    return approveErasure({ db, origin: config.LEDGER_ORIGIN, signer }, input);
  });
  const text =
    decision === "reject"
      ? `Erasure request ${request.id} is rejected; nothing was erased.\n`
      : `Erased ${request.keysErased} data key(s): ${request.valuesUnreadable} value(s) in ${request.recordsAffected} record(s) are unreadable for good.\n` +
        `Signed erasure receipt:\n${request.receipt!.trimEnd()}\n`;
  writeRequest(ctx, values.json, request, text);
}

async function runList(args: string[], ctx: CliContext): Promise<void> {
  const { values } = parseCommandArgs(args, { json: { type: "boolean" } });
  const requests = await withLedger(ctx.env, ({ db }) => listErasureRequests(db));
  if (values.json) ctx.stdout.write(JSON.stringify(requests) + "\n");
  else ctx.stdout.write(requests.length === 0 ? "No erasure requests.\n" : requests.map(describeRequest).join(""));
}

export default defineCommand({
  name: "erase",
  summary: "Erase a data subject's personal data: request, approve (a second admin), reject, list",
  usage: USAGE,
  async run(args, ctx) {
    const [action, ...rest] = args;
    switch (action) {
      case "request":
        return runRequest(rest, ctx);
      case "approve":
      case "reject":
        return runDecision(action, rest, ctx);
      case "list":
        return runList(rest, ctx);
      default:
        // `erase --subject <id>` is how the issue names it; erasing takes two people, so say how.
        throw new UsageError(
          action === undefined || action.startsWith("-")
            ? 'erasure takes two admins: first "erase request --subject <id> --reason <text> --as <you>", then a second admin runs "erase approve <request id> --as <them>"'
            : `unknown action "${action}" (expected request, approve, reject or list)`,
        );
    }
  },
});
