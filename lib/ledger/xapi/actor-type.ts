/**
 * Who made the final call: the profile's deterministic actor-type rule
 * (docs/decision-profile.md). It reads only the statement itself (never a mutable
 * registry), so the stored column can always be recomputed from the hashed record.
 */
import { contextExtension, hasRole } from "./read-statement";
import type { XapiActor, XapiAgent, XapiGroup, XapiStatement } from "./types";
import { EXT, ROLES, VERBS } from "./vocabulary";

/** Ordered from most to least autonomous AI. */
export const ACTOR_TYPES = [
  { value: "ai", label: "AI (autonomous)", description: "An AI system decided; no human approved or overrode it." },
  { value: "human_approved_ai", label: "Human-approved AI", description: "An AI system decided and a human approved it." },
  {
    value: "ai_assisted_human",
    label: "AI-assisted human",
    description: "A human made the final call with AI input (including overriding the AI).",
  },
  { value: "human", label: "Human", description: "A human decided; no AI system contributed." },
] as const;
export type ActorType = (typeof ACTOR_TYPES)[number]["value"];
export const ACTOR_TYPE_LABELS: Record<ActorType, string> = Object.fromEntries(ACTOR_TYPES.map((t) => [t.value, t.label])) as Record<
  ActorType,
  string
>;

/** Whether a person approved or overrode the AI's output (derived, see deriveActorType). */
export const HUMAN_REVIEW_VALUES = ["approved", "overridden", "none"] as const;
export type HumanReview = (typeof HUMAN_REVIEW_VALUES)[number];
export const HUMAN_REVIEW_LABELS: Record<HumanReview, string> = {
  approved: "Approved by a person",
  overridden: "Overridden by a person",
  none: "No human review",
};

/** System IRIs this statement declares as AI systems (the only source of "is AI"). */
export function aiSystemIris(s: XapiStatement): ReadonlySet<string> {
  const v = contextExtension(s, EXT.aiSystems);
  return new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
}

/** An Agent or Group is an AI system iff its account.homePage is declared in ai-systems. */
export function isAiAgent(agent: XapiActor, aiSystems: ReadonlySet<string>): boolean {
  return agent.account !== undefined && aiSystems.has(agent.account.homePage);
}

interface Participants {
  actorIsAi: boolean;
  /** AI agents other than the actor, in document order (advisors first). */
  aiContributors: XapiActor[];
  approvers: XapiAgent[];
  overriders: XapiAgent[];
}

function participants(s: XapiStatement): Participants {
  const aiSystems = aiSystemIris(s);
  const isAi = (a: XapiActor) => isAiAgent(a, aiSystems);
  const ctx = s.context;
  const contextAgents = ctx?.contextAgents ?? [];
  const advisors: XapiActor[] = [];
  const others: XapiActor[] = [];
  for (const ca of contextAgents) {
    if (!isAi(ca.agent)) continue;
    (hasRole(ca.relevantTypes, ROLES.advisor) ? advisors : others).push(ca.agent);
  }
  const groupAi = (g: XapiGroup | undefined): XapiActor[] => (g ? [...(isAi(g) ? [g] : []), ...(g.member ?? []).filter(isAi)] : []);
  for (const cg of ctx?.contextGroups ?? []) others.push(...groupAi(cg.group));
  if (ctx?.instructor) others.push(...(ctx.instructor.objectType === "Group" ? groupAi(ctx.instructor) : isAi(ctx.instructor) ? [ctx.instructor] : []));
  others.push(...groupAi(ctx?.team));
  const actorIsAi = isAi(s.actor);
  if (!actorIsAi && s.actor.objectType === "Group") others.unshift(...(s.actor.member ?? []).filter(isAi));
  const humansWith = (role: string) => contextAgents.filter((ca) => hasRole(ca.relevantTypes, role) && !isAi(ca.agent)).map((ca) => ca.agent);
  return {
    actorIsAi,
    aiContributors: [...advisors, ...others],
    approvers: humansWith(ROLES.approver),
    overriders: humansWith(ROLES.overrider),
  };
}

function humanReviewOf(s: XapiStatement, p: Participants): { review: HumanReview; reviewer: XapiActor | null } {
  if (p.overriders.length > 0) return { review: "overridden", reviewer: p.overriders[0]! };
  if (s.verb.id === VERBS.overrode && !p.actorIsAi) return { review: "overridden", reviewer: s.actor };
  if (p.approvers.length > 0) return { review: "approved", reviewer: p.approvers[0]! };
  return { review: "none", reviewer: null };
}

function actorTypeOf(p: Participants): ActorType {
  if (p.actorIsAi) {
    // A human override makes the human's the final call, whoever the actor is.
    if (p.overriders.length > 0) return "ai_assisted_human";
    if (p.approvers.length > 0) return "human_approved_ai";
    return "ai";
  }
  return p.aiContributors.length > 0 ? "ai_assisted_human" : "human";
}

/** Who decided, who reviewed, and which AI system took part. */
export interface DecisionRoles {
  actorType: ActorType;
  humanReview: HumanReview;
  /** The human who approved or overrode the decision, or null. */
  reviewer: XapiActor | null;
  /** The actor when it is an AI system, else the first AI contributor (advisors first), or null. */
  aiSystem: XapiActor | null;
}

export function decisionRoles(statement: XapiStatement): DecisionRoles {
  const p = participants(statement);
  const { review, reviewer } = humanReviewOf(statement, p);
  return {
    actorType: actorTypeOf(p),
    humanReview: review,
    reviewer,
    aiSystem: p.actorIsAi ? statement.actor : (p.aiContributors[0] ?? null),
  };
}

/** Who made the final call, per the profile's deterministic rule (docs/decision-profile.md). */
export function deriveActorType(statement: XapiStatement): ActorType {
  return actorTypeOf(participants(statement));
}
