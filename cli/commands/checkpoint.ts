import { toBase64 } from "../../lib/ledger/bytes";
import { appendAccessEvent } from "../../lib/ledger-store/append-access-event";
import { checkpointNow } from "../../lib/ledger-store/create-checkpoint";
import { LOG_IDS, type LogId } from "../../lib/ledger/log-id";
import { accessEventUser } from "../../lib/services/users";
import { defineCommand, oneOf, parseCommandArgs } from "../command";
import { loadSigner, resolveActor, withLedger } from "../lib/ledger";

export default defineCommand({
  name: "checkpoint",
  summary: "Sign a checkpoint of the decisions and/or access log now",
  usage: `Usage: decision-ledger checkpoint [--log decisions|access] [--as <email>] [--json]

Signs a checkpoint (C2SP tlog-checkpoint) of the log's current Merkle tree with the server's
signing key, stores it in the database and in the external checkpoint store (CHECKPOINT_DIR),
and prints the signed note. Nothing is signed for a log that has not grown since its last
checkpoint (that checkpoint is printed) or that is empty. The server also signs on a schedule
(CHECKPOINT_INTERVAL_SECONDS). The action is written to the access log.

  --log <log>   decisions or access (default: both)
  --as <email>  Record the action as this active dashboard user (default: "cli")
  --json        Print [{ "log", "treeSize", "rootHash", "created", "signedNote" }] as JSON

Refuses (exit 1) to sign a tree that is inconsistent with an earlier checkpoint.`,
  async run(args, ctx) {
    const { values } = parseCommandArgs(args, { log: { type: "string" }, as: { type: "string" }, json: { type: "boolean" } });
    const logs = values.log ? [oneOf("log", values.log, LOG_IDS)] : [...LOG_IDS];
    const results = await withLedger(ctx.env, async ({ db, config }) => {
      const actor = await resolveActor(db, values.as);
      const { signer, externalStore } = await loadSigner(config, (t) => ctx.stderr.write(t));
      const out: { log: LogId; treeSize: number; rootHash: string | null; created: boolean; signedNote: string | null }[] = [];
      for (const log of logs) {
        const r = await checkpointNow({ db, origin: config.LEDGER_ORIGIN, signer, externalStore }, log);
        out.push(
          r
            ? { log, treeSize: r.checkpoint.treeSize, rootHash: toBase64(r.checkpoint.rootHash), created: r.created, signedNote: r.checkpoint.signedNote }
            : { log, treeSize: 0, rootHash: null, created: false, signedNote: null },
        );
      }
      await appendAccessEvent(db, {
        action: "checkpoint.create",
        outcome: "success",
        user: accessEventUser(actor),
        target: out.map((r) => `${r.log}@${r.treeSize}`).join(", "),
        details: { via: "cli", checkpoints: out.map(({ signedNote: _n, ...rest }) => rest) },
        userAgent: actor.userAgent,
      });
      return out;
    });
    if (values.json) {
      ctx.stdout.write(JSON.stringify(results) + "\n");
      return;
    }
    for (const r of results) {
      if (!r.signedNote) {
        ctx.stdout.write(`${r.log}: the log is empty; nothing to sign.\n\n`);
        continue;
      }
      ctx.stdout.write(
        `${r.log}: ${r.created ? "signed a new checkpoint" : "unchanged since the last checkpoint"} of ${r.treeSize} record(s).\n${r.signedNote.trimEnd()}\n\n`,
      );
    }
  },
});
