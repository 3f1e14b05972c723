import { appendAccessEvent } from "../../lib/ledger-store/append-access-event";
import { rotateDataKeys } from "../../lib/ledger-store/rotate-data-keys";
import { KeyEncryptionKeyRing, PREVIOUS_KEK_VARIABLE } from "../../lib/privacy/key-encryption-key";
import { accessEventUser } from "../../lib/services/users";
import { CliError, defineCommand, parseCommandArgs } from "../command";
import { resolveActor, withLedger } from "../lib/ledger";

export default defineCommand({
  name: "rotate-kek",
  summary: "Re-wrap every data subject's data key under a new key-encryption key",
  usage: `Usage: decision-ledger rotate-kek [--as <email>] [--json]

Rotates the personal-data key-encryption key (docs/privacy.md "Keys"). Set the NEW key as
PERSONAL_DATA_KEK (or PERSONAL_DATA_KEK_FILE) and the OLD one as ${PREVIOUS_KEK_VARIABLE}
(or ${PREVIOUS_KEK_VARIABLE}_FILE), for this command and for the running servers; then run
it. Every active data key wrapped by the old KEK is unwrapped and wrapped again by the new
one. The data keys themselves, and every encrypted value, stay as they are. Safe to run
again after an interruption. When it reports 0 left to re-wrap, remove ${PREVIOUS_KEK_VARIABLE}.
The rotation is written to the access log.

  --as <email>  Record the action as this active dashboard user (default: "cli")
  --json        Print { "examined", "rewrapped", "kekId" } as JSON`,
  async run(args, ctx) {
    const { values } = parseCommandArgs(args, { as: { type: "string" }, json: { type: "boolean" } });
    const result = await withLedger(ctx.env, async ({ db, personalDataKeys }) => {
      const { kek } = personalDataKeys();
      if (!(kek instanceof KeyEncryptionKeyRing))
        throw new CliError(`set ${PREVIOUS_KEK_VARIABLE} (or ${PREVIOUS_KEK_VARIABLE}_FILE) to the KEK being retired, and PERSONAL_DATA_KEK to the new one`);
      const actor = await resolveActor(db, values.as);
      const rotation = await rotateDataKeys(db, kek);
      await appendAccessEvent(db, {
        action: "personal_data.rotate_kek",
        outcome: "success",
        user: accessEventUser(actor),
        target: kek.id,
        details: { via: "cli", ...rotation, kekId: kek.id, previousKekIds: kek.previous.map((k) => k.id) },
        userAgent: actor.userAgent,
      });
      return { ...rotation, kekId: kek.id };
    });
    if (values.json) {
      ctx.stdout.write(JSON.stringify(result) + "\n");
      return;
    }
    ctx.stdout.write(
      `Re-wrapped ${result.rewrapped} of ${result.examined} active data key(s) under KEK ${result.kekId}.\n` +
        `When a second run re-wraps 0, remove ${PREVIOUS_KEK_VARIABLE} from every server's environment.\n`,
    );
  },
});
