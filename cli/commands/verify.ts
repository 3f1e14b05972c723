import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileBundleSource, nodeInflateRaw } from "../../lib/evidence/file-bundle-source";
import { formatVerification, verifyBundle } from "../../lib/evidence/verify-bundle";
import { nodeHasher } from "../../lib/hash/node-sha256";
import { CliError, defineCommand, EXIT, parseCommandArgs } from "../command";

export default defineCommand({
  name: "verify",
  summary: "Verify an evidence bundle offline (no database or server needed)",
  usage: `Usage: decision-ledger verify <bundle.zip> [--key <verifier key or file>] [--json]

Checks an evidence bundle exported from a Decision Ledger, on this machine only: every file's
SHA-256, every record's leaf hash recomputed from its exact bytes, every Merkle inclusion proof
against the bundled signed checkpoint, the checkpoint's Ed25519 signature, the consistency
proofs to earlier checkpoints, and the export receipt that ties the manifest to the ledger's
access log. Failures name the record (position and id).

  --key <key>   The ledger's verifier key as you obtained it out of band (a C2SP verifier key
                "name+keyid+base64", or a file containing one). Without it the bundle is checked
                against the key it carries, and a warning says so.
  --json        Print the full result as JSON

Exit codes: 0 the bundle verifies, 1 it does not (or cannot be read), 2 usage error.`,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs(args, { key: { type: "string" }, json: { type: "boolean" } }, { positionals: { min: 1, max: 1 } });
    const file = positionals[0]!;
    if (!existsSync(file)) throw new CliError(`${file}: no such file`);
    let key: string | null = null;
    if (values.key !== undefined) {
      key = existsSync(values.key) ? readFileSync(values.key, "utf8").trim() : values.key.trim();
      if (!key) throw new CliError("--key is empty");
    }
    // Streamed from disk (byte ranges, 16 KB at a time): memory does not grow with the bundle.
    const result = await verifyBundle(fileBundleSource(file), {
      trustedKey: key,
      // Node's native SHA-256 is several times faster than the portable one; same bytes.
      hasher: nodeHasher,
      sha256Stream: () => createHash("sha256"),
      inflateRaw: nodeInflateRaw,
      onProgress: values.json ? undefined : (p) => ctx.stderr.write(`\r${p.phase}: ${p.done.toLocaleString("en-US")} of ${p.total.toLocaleString("en-US")}   `),
    });
    if (!values.json) ctx.stderr.write("\r" + " ".repeat(60) + "\r");
    ctx.stdout.write(values.json ? JSON.stringify(result, null, 2) + "\n" : formatVerification(result));
    return result.ok ? EXIT.ok : EXIT.failed;
  },
});
