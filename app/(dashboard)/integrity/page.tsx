import Link from "next/link";
import { headers } from "next/headers";
import { getActiveVerificationRun, listVerificationRuns } from "@/db/queries/verification-runs";
import { AcknowledgeForm } from "@/components/integrity/acknowledge-form";
import { LOG_LABELS, nf } from "@/components/integrity/format";
import { RunOutcome } from "@/components/integrity/run-progress";
import { RunsTable } from "@/components/integrity/runs-table";
import { VerifyNowForm } from "@/components/integrity/verify-now-form";
import { Alert } from "@/components/ui/alert";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { CopyButton } from "@/components/ui/copy-button";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Time } from "@/components/ui/time";
import { requestContext, requirePagePermission } from "@/lib/auth/guard";
import { roleHas } from "@/lib/auth/permissions";
import { getUnacknowledgedFailure, type UnacknowledgedFailure } from "@/lib/integrity/failure-banner";
import { toRunView, type RunView } from "@/lib/integrity/run-view";
import { toBase64 } from "@/lib/ledger/bytes";
import { appendAccessEvent } from "@/lib/ledger-store/append-access-event";
import { readLatestCheckpoint } from "@/lib/ledger-store/create-checkpoint";
import type { CheckpointRecord } from "@/lib/ledger-store/create-checkpoint";
import { LOG_IDS, type LogId } from "@/lib/ledger/log-id";
import { getRuntime } from "@/lib/server/runtime";
import type { Runtime } from "@/lib/server/runtime-context";
import { acknowledgeFailureAction, startVerificationAction } from "./actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "Integrity · Decision Ledger" };

interface LatestCheckpoint {
  logId: LogId;
  checkpoint: CheckpointRecord | null;
}

export default async function IntegrityPage() {
  const user = await requirePagePermission("integrity.read");
  const runtime = await getRuntime();
  const { db } = runtime;
  const [checkpoints, runs, active, failure] = await Promise.all([
    Promise.all(LOG_IDS.map(async (logId) => ({ logId, checkpoint: await readLatestCheckpoint(db, logId) }))),
    listVerificationRuns(db, { limit: 25 }),
    getActiveVerificationRun(db),
    getUnacknowledgedFailure(db),
  ]);
  await appendAccessEvent(db, {
    action: "integrity.view",
    outcome: "success",
    user: { id: user.id, email: user.email, role: user.role },
    target: "/integrity",
    ...(await requestContext()),
  });
  const h = await headers();
  const host = h.get("x-forwarded-host") ?? h.get("host") ?? "localhost:3000";
  const proto = h.get("x-forwarded-proto") ?? (host.startsWith("localhost") || host.startsWith("127.") ? "http" : "https");
  const base = `${proto}://${host}`;
  const views = runs.map(toRunView);
  const lastFinished = views.find((r) => r.finished);
  const canVerify = roleHas(user.role, "integrity.verify");
  const canAcknowledge = roleHas(user.role, "integrity.acknowledge");

  return (
    <div className="space-y-8">
      <PageHeader
        title="Integrity"
        description="Every record in the ledger is fingerprinted, chained to the one before it and covered by signed checkpoints. Here you can see the latest signed checkpoints, check the whole ledger (or part of it) for tampering, and see every past check."
      />

      {failure ? <UnacknowledgedFailureCard failure={failure} canAcknowledge={canAcknowledge} /> : null}

      <VerifyNowCard
        lastFinished={lastFinished}
        active={active ? toRunView(active) : null}
        canVerify={canVerify}
        intervalSeconds={runtime.config.VERIFY_INTERVAL_SECONDS}
      />

      <CheckpointsCard checkpoints={checkpoints} runtime={runtime} base={base} />

      <HistoryCard runs={views} />
    </div>
  );
}

/** The newest failed run nobody has acknowledged: what was found, and the acknowledgement form for those who may. */
function UnacknowledgedFailureCard({ failure, canAcknowledge }: { failure: UnacknowledgedFailure; canAcknowledge: boolean }) {
  return (
    <Card className="border-red-300">
      <CardHeader
        title="A verification failed and has not been acknowledged"
        description={
          <>
            Detected <Time value={failure.detectedAt} />: {failure.summary}
            {failure.unacknowledgedRuns > 1 ? ` (${failure.unacknowledgedRuns} failed runs are unacknowledged.)` : ""}
          </>
        }
      />
      <CardBody className="space-y-3">
        <p className="text-sm text-slate-700">
          <Link href={`/integrity/runs/${failure.id}`} className="font-medium text-sky-800 underline underline-offset-2">
            Open the full report
          </Link>
          {failure.firstFailure?.logId === "decisions" && failure.firstFailure.statementId ? (
            <>
              {" · "}
              <Link href={`/decisions/${failure.firstFailure.statementId}`} className="font-medium text-sky-800 underline underline-offset-2">
                Open the first affected record
              </Link>
            </>
          ) : null}
        </p>
        {canAcknowledge ? (
          <AcknowledgeForm action={acknowledgeFailureAction} runId={failure.id} />
        ) : (
          <p className="text-sm text-slate-600">An administrator must acknowledge this failure before the warning disappears.</p>
        )}
      </CardBody>
    </Card>
  );
}

/** The last finished check and, for those who may, the button that starts one. */
function VerifyNowCard(props: { lastFinished: RunView | undefined; active: RunView | null; canVerify: boolean; intervalSeconds: number }) {
  const { lastFinished, active, canVerify, intervalSeconds } = props;
  return (
    <Card>
      <CardHeader
        title="Check the ledger now"
        description="Recomputes every record's fingerprint from its stored bytes, follows the hash chain, rebuilds the Merkle tree and compares it with every signed checkpoint, in the database and in the external checkpoint store."
      />
      <CardBody className="space-y-4">
        {lastFinished ? (
          <div className="space-y-2">
            <p className="text-sm text-slate-600">
              Last check finished <Time value={lastFinished.finishedAt} /> ({lastFinished.trigger === "schedule" ? "scheduled" : `requested by ${lastFinished.requestedBy ?? "a user"}`}):
            </p>
            <RunOutcome run={lastFinished} />
          </div>
        ) : (
          <p className="text-sm text-slate-600">No verification has run yet.</p>
        )}
        {canVerify ? (
          <VerifyNowForm action={startVerificationAction} active={active} />
        ) : (
          <p className="text-sm text-slate-600">Your role may see results but not start a verification.</p>
        )}
        <p className="text-xs text-slate-500">
          {intervalSeconds > 0
            ? `The whole ledger is also verified automatically every ${nf(Math.round(intervalSeconds / 60))} minute(s).`
            : "Scheduled verification is switched off (VERIFY_INTERVAL_SECONDS=0)."}
        </p>
      </CardBody>
    </Card>
  );
}

/** The latest signed checkpoint of each log, the verifier key and how to check both without the dashboard. */
function CheckpointsCard({ checkpoints, runtime, base }: { checkpoints: LatestCheckpoint[]; runtime: Runtime; base: string }) {
  return (
    <Card>
      <CardHeader
        title="Signed checkpoints"
        description="A checkpoint is the ledger's signed statement of how many records it held and their combined fingerprint (Merkle root). Anyone with the public key can check it without trusting this server."
      />
      <CardBody className="space-y-6">
        <div className="grid gap-4 lg:grid-cols-2">
          {checkpoints.map(({ logId, checkpoint }) => (
            <section key={logId} aria-labelledby={`cp-${logId}`} className="rounded-md border border-slate-200 p-4" data-testid={`checkpoint-${logId}`}>
              <h3 id={`cp-${logId}`} className="text-sm font-semibold text-slate-900">
                {LOG_LABELS[logId]}
              </h3>
              {checkpoint ? (
                <dl className="mt-2 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
                  <dt className="text-slate-600">Records covered</dt>
                  <dd className="tabular-nums">{nf(checkpoint.treeSize)}</dd>
                  <dt className="text-slate-600">Signed</dt>
                  <dd>
                    <Time value={checkpoint.createdAt} />
                  </dd>
                  <dt className="text-slate-600">Root hash</dt>
                  <dd className="font-mono text-xs break-all">{toBase64(checkpoint.rootHash)}</dd>
                  <dt className="text-slate-600">Key</dt>
                  <dd className="font-mono text-xs break-all">{checkpoint.keyId}</dd>
                </dl>
              ) : (
                <EmptyState title="No checkpoint yet">This log has no records yet, or none has been signed.</EmptyState>
              )}
              {checkpoint ? (
                <details className="mt-3 text-sm">
                  <summary className="cursor-pointer text-sky-800 hover:text-sky-600">Show the signed checkpoint</summary>
                  <pre className="mt-2 overflow-x-auto rounded bg-slate-50 p-3 font-mono text-xs">{checkpoint.signedNote}</pre>
                  <CopyButton value={checkpoint.signedNote} label="Copy checkpoint" />
                </details>
              ) : null}
            </section>
          ))}
        </div>
        <div className="space-y-2">
          <h3 className="text-sm font-semibold text-slate-900">Verifier key (public)</h3>
          <div className="flex flex-wrap items-center gap-3">
            <code className="rounded bg-slate-50 px-2 py-1 font-mono text-xs break-all" data-testid="verifier-key">
              {runtime.verifierKey}
            </code>
            <CopyButton value={runtime.verifierKey} label="Copy key" />
          </div>
          <p className="text-sm text-slate-600">
            Checkpoints are also written to a write-once store outside the database ({runtime.externalStore.description}), so a rewritten
            database cannot hide behind new signatures.
          </p>
        </div>
        <div className="space-y-2">
          <h3 className="text-sm font-semibold text-slate-900">Verify outside the dashboard</h3>
          <p className="text-sm text-slate-700">
            The key and the latest checkpoints are published at stable addresses that need no sign-in:{" "}
            <a href="/api/v1/verifier-key" className="text-sky-800 underline underline-offset-2">
              /api/v1/verifier-key
            </a>{" "}
            and{" "}
            <a href="/api/v1/checkpoints/latest?log=decisions" className="text-sky-800 underline underline-offset-2">
              /api/v1/checkpoints/latest
            </a>
            . Keep copies: a later checkpoint must always extend the ones you kept.
          </p>
          <pre className="overflow-x-auto rounded bg-slate-900 p-3 font-mono text-xs text-slate-100">
            {`curl -s ${base}/api/v1/verifier-key
curl -s '${base}/api/v1/checkpoints/latest?log=decisions'
# Operators, on the server (reads the database directly):
npx decision-ledger verify-db
# Anyone holding an evidence bundle, offline:
npx decision-ledger verify bundle.zip --key '${runtime.verifierKey}'`}
          </pre>
          <p className="text-sm text-slate-700">
            An evidence bundle (export it from the{" "}
            <Link href="/decisions" className="text-sky-800 underline underline-offset-2">
              decisions list
            </Link>
            ) can be checked on any computer, or on the{" "}
            <Link href="/verify-bundle" className="text-sky-800 underline underline-offset-2">
              Verify a bundle
            </Link>{" "}
            page, which works entirely in your browser.
          </p>
        </div>
      </CardBody>
    </Card>
  );
}

/** Every past check. */
function HistoryCard({ runs }: { runs: RunView[] }) {
  return (
    <Card>
      <CardHeader title="Verification history" description="Every check, who or which schedule asked for it, and what it found. Each one is also in the access log." />
      <CardBody className="px-0 py-0">
        {runs.length > 0 ? (
          <RunsTable runs={runs} />
        ) : (
          <div className="px-5 py-4">
            <Alert tone="info">No verification has run yet.</Alert>
          </div>
        )}
      </CardBody>
    </Card>
  );
}
