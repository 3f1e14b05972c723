import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import type { SearchParams } from "nuqs/server";
import { buttonClasses } from "@/components/ui/button";
import { ActorTypeBadge, HumanReviewLabel, formatConfidence, formatLatency } from "@/components/decisions/decision-badges";
import { CommittedChip, CommittedText } from "@/components/decisions/committed-value";
import { DecisionRecord } from "@/components/decisions/decision-record";
import { DecisionTimeline } from "@/components/decisions/decision-timeline";
import { LocalTime } from "@/components/decisions/local-time";
import { getDecision, listRelatedDecisions, type RelatedDecisions } from "@/db/queries/decisions";
import { requestContext, requirePagePermission } from "@/lib/auth/guard";
import { roleHas } from "@/lib/auth/permissions";
import { ACTOR_TYPES } from "@/lib/ledger/xapi/actor-type";
import { appendAccessEvent } from "@/lib/ledger-store/append-access-event";
import { loadDecisionsSearchParams, serializeDecisionsSearchParams } from "@/lib/search-params/decisions";
import { getRuntime } from "@/lib/server/runtime";
import { decisionPageView, erasureMessage, maskDecisionRow, readRecordErasures, type DecisionSummaryView } from "@/lib/services/reveal-personal-data";
import { revealPersonalDataAction, signCheckpointAction } from "./actions";

export const metadata: Metadata = { title: "Decision" };

/**
 * One decision, readable at a glance. Personal data never reaches the page until a permitted
 * user reveals it with a reason (the values then come from the reveal action, after it is
 * logged): a committed record holds none, a legacy one is masked here, on the server. An
 * erased subject's record says so, for every role. Viewing is logged (`decisions.view`).
 */
export default async function DecisionPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<SearchParams> }) {
  const user = await requirePagePermission("decisions.read");
  const { id } = await params;
  // The list's filters travel with the link, so "Back to the list" restores the same view.
  const listParams = await loadDecisionsSearchParams(searchParams);
  const listQuery = serializeDecisionsSearchParams({ ...listParams, cursor: null });
  const { db } = await getRuntime();
  const detail = await getDecision(db, id);
  const { ip, userAgent } = await requestContext();
  await appendAccessEvent(db, {
    action: "decisions.view",
    outcome: detail ? "success" : "failure",
    user: { id: user.id, email: user.email, role: user.role },
    target: id.slice(0, 100),
    details: detail ? { seq: detail.seq } : { reason: "not found" },
    ip,
    userAgent,
  });
  if (!detail) notFound();

  const canReveal = roleHas(user.role, "decisions.reveal_personal_data");
  const related = await listRelatedDecisions(db, { id: detail.id, entityType: detail.entityType, entityId: detail.entityId, sessionId: detail.sessionId });
  // Only this masked view is rendered or sent to the browser; `detail` stays on the server.
  const { view, summary, sameEntity, sameSession } = decisionPageView(detail, related, canReveal);
  const [erasure] = view.format === 1 ? await readRecordErasures(db, detail.id) : [];
  // A person's entity id never goes into a URL (it would reach the access log and server logs), whoever views.
  const entityLink = maskDecisionRow(detail, false).entityId === detail.entityId ? detail.entityId : null;

  return (
    <div className="space-y-6">
      <nav aria-label="Breadcrumb">
        <Link href={`/decisions${listQuery}`} className={buttonClasses("ghost", "sm", "-ml-3")} prefetch={false}>
          ← Back to the list
        </Link>
      </nav>

      <DecisionSummary shown={summary} />

      <div className="grid grid-cols-1 gap-6 xl:grid-cols-[1fr_22rem]">
        <DecisionRecord
          id={detail.id}
          seq={detail.seq}
          leafHash={detail.leafHash}
          chainHash={detail.chainHash}
          format={view.format}
          statement={view.statement}
          canonical={view.canonical}
          personalPointers={view.personalPointers}
          erasure={erasure ? erasureMessage(erasure) : null}
          canReveal={canReveal}
          canSignCheckpoint={roleHas(user.role, "integrity.verify")}
          listQuery={listQuery}
          reveal={revealPersonalDataAction}
          signCheckpoint={signCheckpointAction}
        />
        <RelatedDecisionsAside
          shown={summary}
          related={{ ...related, sameEntity, sameSession }}
          entityLink={entityLink}
          listQuery={listQuery}
        />
      </div>
    </div>
  );
}

/** Who or what decided what, when, with which model, and who reviewed it: the derived columns at a glance. */
function DecisionSummary({ shown: detail }: { shown: DecisionSummaryView }) {
  const actorDescription = ACTOR_TYPES.find((t) => t.value === detail.actorType)?.description;
  return (
    <header className="rounded-lg border border-slate-200 bg-white p-5 shadow-xs">
      <div className="flex flex-wrap items-center gap-2">
        <ActorTypeBadge actorType={detail.actorType} />
        {detail.errorState ? <span className="rounded-full bg-red-50 px-2 py-0.5 text-xs font-medium text-red-800 ring-1 ring-red-300">pipeline error</span> : null}
      </div>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight text-slate-900">
        <span className="capitalize">{detail.verb}</span>
        {detail.entityId ? (
          <>
            {" "}
            <span className="text-slate-500">·</span> <span className="text-lg font-medium text-slate-700">{detail.entityType ?? "entity"}</span>{" "}
            <span className="font-mono text-lg break-all">
              <CommittedText text={detail.entityId} />
            </span>
          </>
        ) : null}
      </h1>
      {actorDescription ? <p className="mt-1 text-sm text-slate-600">{actorDescription}</p> : null}
      <dl className="mt-4 grid grid-cols-1 gap-x-8 gap-y-3 text-sm sm:grid-cols-2 lg:grid-cols-3">
        <div>
          <dt className="font-medium text-slate-600">Who or what decided</dt>
          <dd className="text-slate-900">
            {detail.actorNameCommitted ? (
              // The name is committed; the id (a staff account, or the commitment itself) stays.
              <>
                <CommittedChip />{" "}
              </>
            ) : null}
            <CommittedText text={detail.actorName ?? detail.actorId} />
          </dd>
        </div>
        <div>
          <dt className="font-medium text-slate-600">AI system</dt>
          <dd className="text-slate-900">{detail.aiSystem ?? "None"}</dd>
        </div>
        <div>
          <dt className="font-medium text-slate-600">Model and version</dt>
          <dd className="text-slate-900">
            {detail.modelName ?? "—"} <span className="font-mono">{detail.modelVersion ?? ""}</span>
          </dd>
        </div>
        <div>
          <dt className="font-medium text-slate-600">Human review</dt>
          <dd className="text-slate-900">
            <HumanReviewLabel review={detail.humanReview} reviewerName={detail.reviewerName} />
          </dd>
        </div>
        <div>
          <dt className="font-medium text-slate-600">Outcome</dt>
          <dd className="text-slate-900">{detail.outcome ?? "—"}</dd>
        </div>
        <div>
          <dt className="font-medium text-slate-600">Confidence</dt>
          <dd className="text-slate-900 tabular-nums">{formatConfidence(detail.confidence)}</dd>
        </div>
        <div>
          <dt className="font-medium text-slate-600">Decided</dt>
          <dd className="text-slate-900">
            <LocalTime value={detail.occurredAt} seconds />
          </dd>
        </div>
        <div>
          <dt className="font-medium text-slate-600">Recorded in the ledger</dt>
          <dd className="text-slate-900">
            <LocalTime value={detail.recordedAt} seconds /> <span className="text-slate-600">by {detail.writer}</span>
          </dd>
        </div>
        <div>
          <dt className="font-medium text-slate-600">Latency</dt>
          <dd className="text-slate-900">{formatLatency(detail.latencyMs)}</dd>
        </div>
        {detail.sessionId ? (
          <div className="sm:col-span-2 lg:col-span-3">
            <dt className="font-medium text-slate-600">Session</dt>
            <dd className="font-mono text-xs text-slate-900">{detail.sessionId}</dd>
          </div>
        ) : null}
        <div className="sm:col-span-2 lg:col-span-3">
          <dt className="font-medium text-slate-600">Record id</dt>
          <dd className="font-mono text-xs text-slate-900">{detail.id}</dd>
        </div>
      </dl>
    </header>
  );
}

/** The timelines of other decisions about the same entity and in the same session (rows already masked like the record). */
function RelatedDecisionsAside(props: { shown: DecisionSummaryView; related: RelatedDecisions; entityLink: string | null; listQuery: string }) {
  const { shown: detail, related, entityLink, listQuery } = props;
  return (
    <aside className="space-y-4">
      <DecisionTimeline
        title={`Other decisions about this ${detail.entityType ?? "entity"}`}
        empty="No other decisions about this entity."
        rows={related.sameEntity}
        truncated={related.entityTruncated}
        listQuery={listQuery}
        current={detail}
        showAllHref={entityLink ? `/decisions${serializeDecisionsSearchParams({ entity: entityLink, entityType: detail.entityType, range: "90d" })}` : null}
      />
      {detail.sessionId ? (
        <DecisionTimeline
          title="Same session"
          empty="No other decisions in this session."
          rows={related.sameSession}
          truncated={related.sessionTruncated}
          listQuery={listQuery}
          current={detail}
          showAllHref={`/decisions${serializeDecisionsSearchParams({ session: detail.sessionId, range: "90d" })}`}
        />
      ) : null}
    </aside>
  );
}
