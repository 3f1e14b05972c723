import path from "node:path";
import { getUserByEmail } from "../../db/queries/users";
import { roleHas } from "../../lib/auth/permissions";
import type { BundleManifest } from "../../lib/evidence/bundle-format";
import { describeSelection, storedFiltersSchema, type ExportSelection, type StoredFilters } from "../../lib/evidence/selection";
import { ACTOR_TYPES } from "../../lib/ledger/xapi/actor-type";
import { newBundleId, parsePersonalDataChoice, writeEvidenceExport, type EvidenceActor } from "../../lib/services/evidence";
import { ServiceInputError } from "../../lib/services/users";
import { CliError, defineCommand, parseCommandArgs, UsageError } from "../command";
import { cliUserAgent, loadSigner, withLedger } from "../lib/ledger";

const ACTOR_TYPE_VALUES = ACTOR_TYPES.map((t) => t.value);

/** Repeatable flags also accept comma-separated values: --outcome denied,referred. */
function many(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
}

function isoFlag(flag: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new UsageError(`--${flag} must be a date or date-time, e.g. 2026-03-01 or 2026-03-01T12:00:00Z (got "${value}")`);
  return d.toISOString();
}

export default defineCommand({
  name: "export",
  summary: "Export an evidence bundle (.zip) of decisions, as a named user",
  usage: `Usage: decision-ledger export --out <bundle.zip> --as <email> [filters]

Writes a verifiable evidence bundle of the decisions matching the filters (the same filters as
the dashboard's decisions list; times are decision times, [from, to)). Acts as the dashboard
user given with --as: that user's role must allow exporting evidence (evidence.export).
Personal data is left out by default: records stored with committed personal data carry only
the commitments (their content is still checked in full), older records are masked. With
--include-personal-data and a --reason, a role with evidence.export_personal_data adds the
values that open the commitments (openings.jsonl). The export is written to the access log
with the manifest's SHA-256, the record count and, when included, the reason. Check the
result with \`decision-ledger verify <bundle.zip>\`.

  --out <file>             Where to write the .zip (required)
  --as <email>             The active dashboard user this export is made as (required)
  --from <date>            Decided at or after this time (ISO 8601)
  --to <date>              Decided before this time (ISO 8601)
  --entity-type <type>     e.g. loan_application
  --entity-id <id>         Exact entity id (add --entity-prefix to match ids starting with it)
  --entity-prefix          Treat --entity-id as a prefix
  --actor-type <type>      ${ACTOR_TYPE_VALUES.join(", ")} (repeatable or comma-separated)
  --system <name>          AI system (repeatable)
  --model-version <v>      Model version (repeatable)
  --outcome <outcome>      Outcome (repeatable)
  --id <uuid>              Export exactly these decision ids instead of filtering (repeatable)
  --include-personal-data  Include personal data (needs evidence.export_personal_data and --reason)
  --reason <text>          Why personal data is included (at least 10 characters; logged)

Example:
  decision-ledger export --out loans-march.zip --as officer@example.com \\
    --from 2026-03-01 --to 2026-04-01 --entity-type loan_application --outcome denied`,
  async run(args, ctx) {
    const { values } = parseCommandArgs(
      args,
      {
        out: { type: "string" },
        as: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        "entity-type": { type: "string" },
        "entity-id": { type: "string" },
        "entity-prefix": { type: "boolean" },
        "actor-type": { type: "string", multiple: true },
        system: { type: "string", multiple: true },
        "model-version": { type: "string", multiple: true },
        outcome: { type: "string", multiple: true },
        id: { type: "string", multiple: true },
        "include-personal-data": { type: "boolean" },
        reason: { type: "string" },
      },
      { required: ["out", "as"] },
    );
    const ids = many(values.id).map((id) => id.toLowerCase());
    let selection: ExportSelection;
    if (ids.length > 0) {
      selection = { filters: null, ids };
    } else {
      const candidate = {
        from: isoFlag("from", values.from),
        to: isoFlag("to", values.to),
        entityType: values["entity-type"] ?? null,
        entityId: values["entity-id"] ?? null,
        entityMatch: values["entity-prefix"] ? "prefix" : "exact",
        actorTypes: many(values["actor-type"]),
        aiSystems: many(values.system),
        modelVersions: many(values["model-version"]),
        verbs: [],
        outcomes: many(values.outcome),
        humanReview: [],
        sessionId: null,
        confidenceMin: null,
        confidenceMax: null,
        text: null,
      };
      const parsed = storedFiltersSchema.safeParse(candidate);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const flag = { actorTypes: "actor-type", aiSystems: "system", modelVersions: "model-version", outcomes: "outcome" }[String(issue.path[0])] ?? String(issue.path[0]);
        throw new UsageError(`--${flag}: ${issue.path[0] === "actorTypes" ? `must be one of ${ACTOR_TYPE_VALUES.join(", ")}` : issue.message}`);
      }
      const f: StoredFilters = parsed.data;
      if (f.from && f.to && f.from >= f.to) throw new UsageError("--to must be after --from");
      selection = { filters: f, ids: null };
    }
    if (values.reason !== undefined && !values["include-personal-data"]) throw new UsageError("--reason is only for --include-personal-data");
    const out = path.resolve(values.out!);

    const result = await withLedger(ctx.env, async (ledger) => {
      const { db, config } = ledger;
      const user = await getUserByEmail(db, { email: values.as! });
      if (!user || !user.active) throw new CliError(`--as ${values.as}: no active user with this email`);
      if (!roleHas(user.role, "evidence.export")) {
        throw new CliError(`${user.email} (${user.role}) may not export evidence: the role lacks evidence.export`);
      }
      const actor: EvidenceActor = { id: user.id, email: user.email, name: user.name, role: user.role, ip: null, userAgent: cliUserAgent() };
      const disclosure = disclosureOf(actor, values["include-personal-data"] === true, values.reason);
      const { signer, verifierKey, externalStore } = await loadSigner(config, (t) => ctx.stderr.write(t));
      ctx.stderr.write(`Exporting: ${describeSelection(selection)}${disclosure ? " (including personal data)" : ""}\n`);
      return writeEvidenceExport(
        { db, origin: config.LEDGER_ORIGIN, verifierKey, signer, externalStore, exportsDir: path.dirname(out), personalDataKeys: ledger.personalDataKeys() },
        {
          bundleId: newBundleId(),
          selection,
          actor,
          disclosure,
          outPath: out,
          onProgress: (done, total) => ctx.stderr.write(`\r${Math.floor((done / total) * 100)}%`),
        },
      ).catch((error: Error) => {
        if (error.name === "BundleExportError") throw new CliError(error.message);
        throw error;
      });
    });
    ctx.stderr.write("\r    \r");
    ctx.stdout.write(
      `Wrote ${out}: ${result.recordCount} record(s)` +
        exportedPersonalData(result.manifest) +
        `.\nManifest SHA-256: ${result.manifestSha256}\nCheckpoint: ${result.manifest.checkpoint.origin} at ${result.manifest.checkpoint.treeSize} records\n` +
        (result.warnings.length ? `Warnings:\n${result.warnings.map((w) => `  ! ${w}`).join("\n")}\n` : "") +
        `Verify it with: decision-ledger verify ${path.relative(process.cwd(), out) || out} --key '${result.manifest.ledger.verifierKey}'\n`,
    );
  },
});

/** The --include-personal-data choice, checked as the dashboard checks it (permission, then reason). */
function disclosureOf(actor: EvidenceActor, include: boolean, reason: string | undefined) {
  try {
    return parsePersonalDataChoice(actor, { includePersonalData: include, reason });
  } catch (error) {
    if (!(error instanceof ServiceInputError)) throw error;
    if (error.fieldErrors.reason) throw new UsageError(`--reason: ${error.fieldErrors.reason.join(", ")}`);
    throw new CliError(`${actor.email} (${actor.role}) may not include personal data: the role lacks evidence.export_personal_data`);
  }
}

/** What the summary line says about personal data. */
function exportedPersonalData(m: BundleManifest): string {
  const legacy = m.withheldRecords > 0 ? `, ${m.withheldRecords} stored before personal data was committed and masked` : "";
  if (!m.disclosure) return `${legacy}, personal data left out`;
  const erased = m.disclosure.erasedValues > 0 ? ` (${m.disclosure.erasedValues} value(s) of erased subjects absent)` : "";
  return `, ${m.disclosure.openings} personal value(s) included${erased}`;
}
