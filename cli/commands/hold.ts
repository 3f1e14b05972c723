import { listLegalHolds, type LegalHoldRecord } from "../../db/queries/legal-holds";
import { placeLegalHold } from "../../lib/services/place-legal-hold";
import { releaseLegalHold } from "../../lib/services/release-legal-hold";
import { defineCommand, parseCommandArgs, UsageError, type CliContext } from "../command";
import { resolveActor, withLedger } from "../lib/ledger";

const USAGE = `Usage: decision-ledger hold place --subject <id> --reason <text> --as <email> [--json]
       decision-ledger hold release <hold id> --as <email> [--json]
       decision-ledger hold list [--json]

Legal holds (docs/privacy.md "Erasure"). While an active hold covers a data subject, the
subject's personal data cannot be erased: erasure requests and approvals are refused. Needs a
role with legal_holds.manage (admin, compliance officer). Holds cover data subjects today;
holds by case, entity, AI system or time range come with the retention work.

  place     Places a hold. The subject id is turned into its blind indexes at once and stored
            nowhere; the reason is stored in clear, so leave the id out of it.
  release   Releases a hold (it stays listed, with who released it and when).
  list      Every hold: id, reason, who placed and released it, when. No subject is shown.

  --subject <id>   The subject's id as the AI systems record it
  --reason <text>  Why (case, matter, authority); at least 10 characters
  --as <email>     The active user acting (required for place and release)
  --json           Print the hold(s) as JSON

Every step is written to the access log.`;

function describeHold(h: LegalHoldRecord): string {
  const state = h.releasedAt ? `released by ${h.releasedBy} at ${h.releasedAt.toISOString()}` : "active";
  return `${h.id}  ${h.scope}  placed by ${h.placedBy} at ${h.placedAt.toISOString()}; ${state}\n    reason: ${h.reason}\n`;
}

async function runPlace(args: string[], ctx: CliContext): Promise<void> {
  const { values } = parseCommandArgs(
    args,
    { subject: { type: "string" }, reason: { type: "string" }, as: { type: "string" }, json: { type: "boolean" } },
    { required: ["subject", "reason", "as"] },
  );
  const hold = await withLedger(ctx.env, async ({ db, personalDataKeys }) => {
    const actor = await resolveActor(db, values.as);
    return placeLegalHold(db, personalDataKeys(), { request: { subject: values.subject, reason: values.reason }, actor: { ...actor, role: actor.role ?? "" } });
  });
  ctx.stdout.write(values.json ? JSON.stringify(hold) + "\n" : `Placed legal hold ${hold.id}: the subject cannot be erased until it is released.\n`);
}

async function runRelease(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, { as: { type: "string" }, json: { type: "boolean" } }, { required: ["as"], positionals: { min: 1, max: 1 } });
  const hold = await withLedger(ctx.env, async ({ db }) => {
    const actor = await resolveActor(db, values.as);
    return releaseLegalHold(db, { request: { id: positionals[0] }, actor: { ...actor, role: actor.role ?? "" } });
  });
  ctx.stdout.write(values.json ? JSON.stringify(hold) + "\n" : `Released legal hold ${hold.id}.\n`);
}

async function runList(args: string[], ctx: CliContext): Promise<void> {
  const { values } = parseCommandArgs(args, { json: { type: "boolean" } });
  const holds = await withLedger(ctx.env, ({ db }) => listLegalHolds(db));
  if (values.json) ctx.stdout.write(JSON.stringify(holds) + "\n");
  else ctx.stdout.write(holds.length === 0 ? "No legal holds.\n" : holds.map(describeHold).join(""));
}

export default defineCommand({
  name: "hold",
  summary: "Place, release and list legal holds on data subjects (a held subject cannot be erased)",
  usage: USAGE,
  async run(args, ctx) {
    const [action, ...rest] = args;
    switch (action) {
      case "place":
        return runPlace(rest, ctx);
      case "release":
        return runRelease(rest, ctx);
      case "list":
        return runList(rest, ctx);
      default:
        throw new UsageError(action === undefined ? "say what to do: place, release or list" : `unknown action "${action}" (expected place, release or list)`);
    }
  },
});
