import { Badge, type BadgeTone } from "@/components/ui/badge";
import { ACTOR_TYPE_LABELS, type ActorType, type HumanReview } from "@/lib/ledger/xapi/actor-type";

const ACTOR_TONES: Record<ActorType, BadgeTone> = {
  ai: "info",
  human_approved_ai: "success",
  ai_assisted_human: "warning",
  human: "neutral",
};

/** Who made the final call, as a labelled badge (the label carries the meaning, not the colour). */
export function ActorTypeBadge({ actorType }: { actorType: ActorType }) {
  return <Badge tone={ACTOR_TONES[actorType] ?? "neutral"} className="whitespace-nowrap">{ACTOR_TYPE_LABELS[actorType] ?? actorType}</Badge>;
}

export function humanReviewText(review: HumanReview, reviewerName: string | null): string {
  if (review === "approved") return `Approved${reviewerName ? ` by ${reviewerName}` : ""}`;
  if (review === "overridden") return `Overridden${reviewerName ? ` by ${reviewerName}` : ""}`;
  return "No human review";
}

export function HumanReviewLabel({ review, reviewerName }: { review: HumanReview; reviewerName: string | null }) {
  if (review === "none") return <span className="text-slate-600">No human review</span>;
  return (
    <span className="inline-flex items-center gap-1.5">
      <span aria-hidden="true" className={review === "approved" ? "text-emerald-700" : "text-amber-700"}>
        {review === "approved" ? "✔" : "↺"}
      </span>
      <span>{humanReviewText(review, reviewerName)}</span>
    </span>
  );
}

export function formatConfidence(confidence: number | null): string {
  return confidence === null ? "—" : confidence.toFixed(2);
}

export function formatLatency(ms: number | null): string {
  if (ms === null) return "—";
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toLocaleString("en-GB")} ms`;
}
