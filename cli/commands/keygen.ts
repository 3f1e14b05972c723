import { existsSync, writeFileSync } from "node:fs";
import { generateSignerKey, isValidKeyName } from "../../lib/ledger/signed-note";
import { CliError, defineCommand, parseCommandArgs, UsageError } from "../command";

export default defineCommand({
  name: "keygen",
  summary: "Generate a checkpoint signing key pair for a production deployment",
  usage: `Usage: decision-ledger keygen --name <origin> [--out <file>] [--json]

Generates an Ed25519 signer key (C2SP signed-note format, PRIVATE+KEY+<name>+...) and its
verifier key. Touches no database.

  --name <origin>  The key name: use the deployment's LEDGER_ORIGIN, e.g. ledger.example.com
  --out <file>     Write the signer key to this new file (mode 0600) instead of printing it
  --json           Print { "signerKey"?, "verifierKey", "file"? } as JSON

Then: keep the signer key outside the database (a secret store or a file readable only by
the server), point LEDGER_SIGNING_KEY_FILE at it, and publish the verifier key so anyone
can check your checkpoints (the server also serves it at /api/v1/verifier-key).

Example:
  decision-ledger keygen --name ledger.example.com --out /etc/decision-ledger/signing-key`,
  async run(args, ctx) {
    const { values } = parseCommandArgs(
      args,
      { name: { type: "string" }, out: { type: "string" }, json: { type: "boolean" } },
      { required: ["name"] },
    );
    const name = values.name!;
    if (!isValidKeyName(name)) throw new UsageError(`--name "${name}" is not a valid key name: one token without spaces or "+"`);
    if (values.out && existsSync(values.out)) throw new CliError(`${values.out} already exists; refusing to overwrite a key`);
    const { signerKey, verifierKey } = await generateSignerKey(name);
    if (values.out) writeFileSync(values.out, signerKey + "\n", { mode: 0o600, flag: "wx" });
    if (values.json) {
      ctx.stdout.write(JSON.stringify(values.out ? { verifierKey, file: values.out } : { signerKey, verifierKey }) + "\n");
      return;
    }
    ctx.stdout.write(
      (values.out
        ? `Signer key written to ${values.out} (mode 0600). Set LEDGER_SIGNING_KEY_FILE=${values.out}\n\n`
        : `Signer key (SECRET: store it outside the database; set LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE):\n${signerKey}\n\n`) +
        `Verifier key (public: publish it; LEDGER_ORIGIN must be ${name}):\n${verifierKey}\n`,
    );
  },
});
