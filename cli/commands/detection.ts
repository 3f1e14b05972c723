import { listDetectionSettings, type DetectionSettingRecord } from "../../db/queries/detection-settings";
import { PERSONAL_DATA_KINDS } from "../../lib/ledger/personal-data-detection/detection-config";
import { updateDetectionSettings } from "../../lib/services/update-detection-settings";
import { defineCommand, parseCommandArgs, UsageError, type CliContext } from "../command";
import { resolveActor, withLedger } from "../lib/ledger";

const USAGE = `Usage: decision-ledger detection set --ai-system <name> --kinds <k1,k2,…> [--phone-regions <NL,GB,…>] --as <email> [--json]
       decision-ledger detection list [--json]

Personal-data detection per AI system (docs/privacy.md). At ingest, identifiers the enabled
recognisers find in a statement's free text become commitments before the record is hashed;
what they miss is stored (and hashed) as written. A system without settings gets every
recogniser. A change applies to the system's next statements, never to stored records.
Needs a role with personal_data.configure (admin).

  set    Sets which recognisers run for one AI system, and which regions' national phone
         formats they read (numbers written with +… are read for every region).
  list   Every AI system that recorded a decision or has settings, with what ingest applies.

  --ai-system <name>       The AI system as its decisions name it (the explorer's "AI system")
  --kinds <list>           Comma-separated recognisers to run, of: ${PERSONAL_DATA_KINDS.join(", ")}.
                           "none" turns every recogniser off.
  --phone-regions <list>   Comma-separated ISO 3166-1 regions, e.g. NL,GB (default: US,GB,NL,DE,FR,ES,IT,BE)
  --as <email>             The active user acting (required for set)
  --json                   Print the setting(s) as JSON

Every change is written to the access log with the settings before and after.`;

/** "a, b,,c" → ["a", "b", "c"]; "none" → [] (an empty flag value would read as a mistake). */
function listFlag(value: string): string[] {
  const items = value
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
  return items.length === 1 && items[0] === "none" ? [] : items;
}

function describeSetting(s: DetectionSettingRecord): string {
  const source =
    s.source === "configured"
      ? `set by ${s.updatedBy} at ${s.updatedAt!.toISOString()}`
      : s.source === "invalid"
        ? "stored settings no longer valid: every recogniser runs"
        : "default: every recogniser";
  return `${s.aiSystem}  (${source})\n    kinds: ${s.config.kinds.join(", ") || "none"}\n    phone regions: ${s.config.phoneRegions.join(", ") || "none"}\n`;
}

async function runSet(args: string[], ctx: CliContext): Promise<void> {
  const { values } = parseCommandArgs(
    args,
    { "ai-system": { type: "string" }, kinds: { type: "string" }, "phone-regions": { type: "string" }, as: { type: "string" }, json: { type: "boolean" } },
    { required: ["ai-system", "kinds", "as"] },
  );
  const request = {
    aiSystem: values["ai-system"],
    kinds: listFlag(values.kinds!),
    ...(values["phone-regions"] === undefined ? {} : { phoneRegions: listFlag(values["phone-regions"]) }),
  };
  const setting = await withLedger(ctx.env, async ({ db }) => {
    const actor = await resolveActor(db, values.as);
    return updateDetectionSettings(db, { request, actor: { ...actor, role: actor.role ?? "" } });
  });
  ctx.stdout.write(values.json ? JSON.stringify(setting) + "\n" : `Detection for ${setting.aiSystem} updated; it applies to its next statements.\n${describeSetting(setting)}`);
}

async function runList(args: string[], ctx: CliContext): Promise<void> {
  const { values } = parseCommandArgs(args, { json: { type: "boolean" } });
  const settings = await withLedger(ctx.env, ({ db }) => listDetectionSettings(db));
  if (values.json) ctx.stdout.write(JSON.stringify(settings) + "\n");
  else ctx.stdout.write(settings.length === 0 ? "No AI system has recorded a decision or has detection settings yet.\n" : settings.map(describeSetting).join(""));
}

export default defineCommand({
  name: "detection",
  summary: "Show and set which personal-data recognisers run per AI system at ingest",
  usage: USAGE,
  async run(args, ctx) {
    const [action, ...rest] = args;
    switch (action) {
      case "set":
        return runSet(rest, ctx);
      case "list":
        return runList(rest, ctx);
      default:
        throw new UsageError(action === undefined ? "say what to do: set or list" : `unknown action "${action}" (expected set or list)`);
    }
  },
});
