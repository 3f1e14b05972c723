import { existsSync, readFileSync } from "node:fs";
import { appendAccessEvent } from "../../lib/ledger-store/append-access-event";
import { originOf } from "../../lib/ledger-store/create-checkpoint";
import { LOG_IDS, type LogId } from "../../lib/ledger/log-id";
import { formatDatabaseReport } from "../../lib/ledger/verify/format-report";
import { verifyLog, type DatabaseVerificationReport, type VerificationProgress, type VerificationReport } from "../../lib/ledger-store/verify/verify-database";
import type { ServerConfig } from "../../lib/server/config";
import { configuredCheckpointStore, readConfiguredSignerKey, verifierKeyOf } from "../../lib/server/signing-key";
import { accessEventUser } from "../../lib/services/users";
import { CliError, defineCommand, EXIT, oneOf, parseCommandArgs, UsageError } from "../command";
import { resolveActor, withLedger } from "../lib/ledger";

const LOG_CHOICES = [...LOG_IDS, "all"] as const;

/** Failures to reach or open the database are exit code 2, like usage errors: nothing was verified. */
const CANNOT_START = new Set(["DatabaseUnavailableError", "ConfigError", "NotMigratedError"]);

function wholeNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new UsageError(`--${flag} must be a whole number >= 0 (got "${value}")`);
  return Number(value);
}

/** The verifier key of the configured signing key; never generates one: a verifier must not invent its trust anchor. */
async function configuredVerifierKey(config: ServerConfig): Promise<string | null> {
  const signerKey = readConfiguredSignerKey(config, { missingKeyFileOk: true });
  return signerKey ? verifierKeyOf(signerKey) : null;
}

function readKey(value: string): string {
  const key = existsSync(value) ? readFileSync(value, "utf8").trim() : value.trim();
  if (!key) throw new UsageError("--key is empty");
  return key;
}

export default defineCommand({
  name: "verify-db",
  summary: "Verify the ledger in the database: every record, hash, Merkle node and signed checkpoint",
  usage: `Usage: decision-ledger verify-db [--log decisions|access|all] [--from N --to N] [--key <verifier key or file>]... [--deep] [--no-external] [--as <email>] [--json]

Reads the whole log (or a range of it) from the database the server uses (DATABASE_URL, or the
embedded database in DATA_DIR) and checks, record by record: the stored content against its
leaf hash, the hash chain, that no sequence number is missing or extra, the stored Merkle
nodes, the Merkle root at every signed checkpoint, every checkpoint's signature, consistency
between checkpoints, and the database's checkpoints against the external write-once store
(CHECKPOINT_DIR). Failures name the first broken record (seq and statement id) and what kind
of tampering it shows. Nothing is seeded and no schedule is started; the run itself is
written to the access log (as "cli", or the user given with --as).

  --log <log>      decisions, access or all (default: all)
  --from <seq>     First seq to verify (needs --log decisions or access). The range is checked
  --to <seq>       from the stored chain hash before --from, up to --to inclusive.
  --key <key>      A trusted verifier key ("name+keyid+base64", or a file holding one); repeat
                   for key rotation. Default: the key of the configured signing key. Prefer the
                   key you obtained out of band: someone who can rewrite the database may also
                   have replaced the key file.
  --deep           Also recompute every record's searchable columns (outcome, model, actor, ...)
                   from its signed content and compare: catches a changed filter column that no
                   hash covers. Several times slower.
  --no-external    Do not compare with the external checkpoint store
  --as <email>     Record the run as this active dashboard user (default: "cli")
  --json           Print the report as JSON (progress still goes to stderr)

Exit codes: 0 everything verifies, 1 verification found failures, 2 usage error or the
database cannot be opened.`,
  async run(args, ctx) {
    const { values } = parseCommandArgs(args, {
      log: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      key: { type: "string", multiple: true },
      "no-external": { type: "boolean" },
      deep: { type: "boolean" },
      as: { type: "string" },
      json: { type: "boolean" },
    });
    const choice = values.log ? oneOf("log", values.log, LOG_CHOICES) : "all";
    const fromSeq = wholeNumber("from", values.from);
    const toSeq = wholeNumber("to", values.to);
    if ((fromSeq !== undefined || toSeq !== undefined) && choice === "all") {
      throw new UsageError("--from/--to select seqs of one log: add --log decisions or --log access");
    }
    if (fromSeq !== undefined && toSeq !== undefined && toSeq < fromSeq) throw new UsageError("--to must not be smaller than --from");
    const logs: LogId[] = choice === "all" ? [...LOG_IDS] : [choice];
    const explicitKeys = (values.key ?? []).map(readKey);

    const isTty = Boolean((ctx.stderr as { isTTY?: boolean }).isTTY);
    let lastLine = 0;
    const onProgress = (p: VerificationProgress) => {
      const pct = p.total > 0 ? Math.floor((p.checked / p.total) * 100) : 100;
      const text = `${p.logId}: ${p.checked.toLocaleString("en-US")} of ${p.total.toLocaleString("en-US")} records (${pct}%), ${p.recordsPerSecond.toLocaleString("en-US")}/s${p.etaSeconds !== null && p.checked < p.total ? `, about ${p.etaSeconds} s left` : ""}`;
      if (isTty) ctx.stderr.write(`\r${text}   `);
      else if (Date.now() - lastLine > 2000 || p.checked === p.total) {
        lastLine = Date.now();
        ctx.stderr.write(`${text}\n`);
      }
    };

    let report: DatabaseVerificationReport;
    try {
      report = await withLedger(ctx.env, async ({ db, config }) => {
        const configured = explicitKeys.length > 0 ? null : await configuredVerifierKey(config);
        const verifierKeys = explicitKeys.length > 0 ? explicitKeys : configured ? [configured] : [];
        if (verifierKeys.length === 0) {
          throw new UsageError("no verifier key: pass --key <verifier key>, or configure the signing key (LEDGER_SIGNING_KEY_FILE) as for the server");
        }
        const externalStore = values["no-external"]
          ? undefined
          : configuredCheckpointStore(config);
        const started = performance.now();
        const reports: VerificationReport[] = [];
        for (const logId of logs) {
          try {
            reports.push(
              await verifyLog(db, {
                logId,
                fromSeq,
                toSeq,
                verifierKeys,
                externalStore,
                origin: originOf(config.LEDGER_ORIGIN, logId),
                onProgress,
                checkDerivedColumns: values.deep === true,
              }),
            );
          } catch (error) {
            if (error instanceof RangeError) throw new UsageError(error.message);
            throw error;
          }
        }
        if (isTty) ctx.stderr.write("\r" + " ".repeat(100) + "\r");
        const result: DatabaseVerificationReport = { ok: reports.every((r) => r.ok), logs: reports, durationMs: Math.round(performance.now() - started) };
        try {
          const actor = await resolveActor(db, values.as);
          await appendAccessEvent(db, {
            action: "integrity.verify",
            outcome: "success",
            user: accessEventUser(actor),
            target: reports.map((r) => (r.range ? `${r.logId}:${r.range.fromSeq}-${r.range.toSeq}` : `${r.logId}:empty`)).join(", "),
            details: {
              via: "cli",
              ok: result.ok,
              deep: values.deep === true,
              logs: reports.map((r) => ({ log: r.logId, ok: r.ok, records: r.recordsChecked, checkpoints: r.checkpointsChecked, failures: r.failureCount })),
            },
            userAgent: actor.userAgent,
          });
        } catch (error) {
          if (error instanceof CliError) throw error;
          // A read-only role can still verify; the run just cannot be logged.
          ctx.stderr.write(`warning: this run could not be written to the access log (${(error as Error).message})\n`);
        }
        return result;
      });
    } catch (error) {
      if (error instanceof UsageError || error instanceof CliError) throw error;
      if (CANNOT_START.has((error as Error)?.name)) throw new CliError((error as Error).message, EXIT.usage);
      throw error;
    }
    ctx.stdout.write(values.json ? JSON.stringify(report, null, 2) + "\n" : formatDatabaseReport(report));
    return report.ok ? EXIT.ok : EXIT.failed;
  },
});
