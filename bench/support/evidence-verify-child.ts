// The verify measurement of bench/evidence.ts, in a process that loads only what
// `decision-ledger verify` loads (cli/main.ts and the verify command), so its peak RSS is the
// CLI's own. A job without a bundle (`out: null`) only loads them: the CLI's fixed part.
import { readFileSync } from "node:fs";
import { measured } from "./evidence-measure";

/** `decision-ledger verify <bundle> --key <key> --json` through the CLI's own entry point, in this process. */
async function verifyWithCli(bundle: string, verifierKey: string): Promise<{ records: number; ok: boolean }> {
  const { main } = await import("../../cli/main");
  let stdout = "";
  let stderr = "";
  const code = await main(["verify", bundle, "--key", verifierKey, "--json"], {
    env: process.env,
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: process.stdin,
  });
  const v = JSON.parse(stdout) as { ok: boolean; recordsChecked: number; failures: unknown[] };
  if (code !== 0 || !v.ok) throw new Error(`the bundle did not verify (exit ${code}): ${JSON.stringify(v.failures.slice(0, 3))} ${stderr}`);
  return { records: v.recordsChecked, ok: v.ok };
}

const job = JSON.parse(readFileSync(process.env.BENCH_EVIDENCE_JOB!, "utf8")) as { out: string | null; verifierKey: string };
const result = await measured(async () => {
  if (job.out) return verifyWithCli(job.out, job.verifierKey);
  await import("../../cli/main");
  await import("../../cli/commands/verify");
  return { records: 0 };
});
process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
process.exit(0);
