/**
 * The columns stored next to each statement for filtering (docs/decision-profile.md gives
 * each rule). Derivations read only the statement itself (never a mutable registry), so a
 * column can always be recomputed from the hashed record and checked.
 */
import { escapePointerToken } from "../json-pointer";
import { decisionRoles } from "./actor-type";
import type { DecisionColumns } from "./decision-columns";
import { freeTextFields } from "./free-text";
import { parseCommitmentString, PD_ACCOUNT_HOME_PAGE } from "./pd-commitment";
import { personalDataPointers } from "./personal-data";
import { contextExtension, isActivity, isRecord, nonEmptyString } from "./read-statement";
import { parseRfc3339 } from "./syntax";
import type { LanguageMap, XapiActor, XapiAgentObject, XapiGroup, XapiObject, XapiStatement, XapiVerb } from "./types";
import { EXT } from "./vocabulary";

// The columns and their types are the catalogue's (decision-columns.ts); this module derives them.
export type { DecisionColumns } from "./decision-columns";

/** The IFI as one string: "mbox:mailto:…", "mbox_sha1sum:…", "openid:…", "account:<homePage>|<name>", "group:[…]". */
export function agentIdOf(a: XapiActor): string {
  if (a.mbox !== undefined) return `mbox:${a.mbox}`;
  if (a.mbox_sha1sum !== undefined) return `mbox_sha1sum:${a.mbox_sha1sum.toLowerCase()}`;
  if (a.openid !== undefined) return `openid:${a.openid}`;
  if (a.account !== undefined) return `account:${a.account.homePage}|${a.account.name}`;
  // Anonymous group: identified by its (unordered) members.
  const members = (a.objectType === "Group" ? (a.member ?? []) : []).map(agentIdOf).sort();
  return `group:[${members.join(",")}]`;
}

/** Whether an agent id (agentIdOf) is that of a committed agent (the Agent form): the commitment, not a person. */
export function isCommittedAgentId(id: string): boolean {
  return id.startsWith(`account:${PD_ACCOUNT_HOME_PAGE}|`);
}

function lastIriSegment(iriValue: string): string {
  const cut = Math.max(iriValue.lastIndexOf("/"), iriValue.lastIndexOf("#"), iriValue.lastIndexOf(":"));
  const seg = iriValue.slice(cut + 1).replace(/[?].*$/, "");
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

function firstLanguageValue(map: LanguageMap | undefined): string | null {
  if (!map) return null;
  for (const v of [map.en, map["en-US"], map["en-GB"], ...Object.values(map)]) {
    const text = nonEmptyString(v);
    if (text !== null) return text;
  }
  return null;
}

/** Short verb name: last IRI segment ("…/verbs/denied" → "denied"), else display, else the IRI. */
export function verbShortName(v: XapiVerb): string {
  return nonEmptyString(lastIriSegment(v.id)) ?? firstLanguageValue(v.display) ?? v.id;
}

function splitModelAccount(name: string): { model: string; version: string | null } {
  const at = name.lastIndexOf("@");
  return at > 0 ? { model: name.slice(0, at), version: name.slice(at + 1) || null } : { model: name, version: null };
}

/** The model extension's name and version, else "<model>@<version>" from the AI system's account name. */
function modelOf(s: XapiStatement, ai: XapiActor | null): { modelName: string | null; modelVersion: string | null } {
  const model = contextExtension(s, EXT.model);
  const fromAccount = ai?.account ? splitModelAccount(ai.account.name) : null;
  return {
    modelName: (isRecord(model) ? nonEmptyString(model.name) : null) ?? fromAccount?.model ?? null,
    modelVersion: (isRecord(model) ? nonEmptyString(model.version) : null) ?? fromAccount?.version ?? null,
  };
}

/** What the decision is about: the entity extension, else the activity (or agent, group, statement) itself. */
export function entityOf(obj: XapiObject): { entityType: string | null; entityId: string | null } {
  if (isActivity(obj)) {
    const entity = obj.definition?.extensions?.[EXT.entity];
    return {
      entityType:
        (isRecord(entity) ? nonEmptyString(entity.type) : null) ??
        (obj.definition?.type ? nonEmptyString(lastIriSegment(obj.definition.type)) : null),
      entityId: (isRecord(entity) ? nonEmptyString(entity.id) : null) ?? obj.id,
    };
  }
  if (obj.objectType === "StatementRef") return { entityType: "statement", entityId: obj.id };
  return { entityType: obj.objectType === "Group" ? "group" : "agent", entityId: agentIdOf(obj as XapiAgentObject | XapiGroup) };
}

function latencyOf(s: XapiStatement): number | null {
  const latency = contextExtension(s, EXT.latencyMs);
  return typeof latency === "number" && Number.isFinite(latency) && latency >= 0 && latency <= 2_147_483_647 ? Math.round(latency) : null;
}

/**
 * The free text worth searching, in a fixed order (the response, then the outcome, then the
 * other searchable fields). Never values the statement marks personal: the index is not masked.
 */
function searchTextOf(s: XapiStatement, outcome: string | null): string {
  const personal = personalDataPointers(s);
  const isPersonal = (pointer: string) => personal.some((pp) => pointer === pp || pointer.startsWith(pp + "/"));
  const parts: string[] = [];
  const add = (pointer: string, v: unknown) => {
    const text = nonEmptyString(v);
    if (text !== null && !isPersonal(pointer)) parts.push(text);
  };
  const fields = freeTextFields(s).filter((f) => f.searchable);
  const response = fields[0]?.pointer === "/result/response" ? fields.shift()! : null;
  if (response) add(response.pointer, response.text);
  if (outcome !== null) add(`/result/extensions/${escapePointerToken(EXT.outcome)}`, outcome);
  for (const f of fields) add(f.pointer, f.text);
  return parts.join("\n");
}

/** The AI system's name as the ai_system column holds it: its name, else its home page, else its IFI. */
function aiSystemName(ai: XapiActor | null): string | null {
  return ai ? (nonEmptyString(ai.name) ?? ai.account?.homePage ?? agentIdOf(ai)) : null;
}

/** The ai_system column of a statement (detection settings are kept per AI system). */
export function aiSystemNameOf(statement: XapiStatement): string | null {
  return aiSystemName(decisionRoles(statement).aiSystem);
}

/** A person's name for a column; null when it is a commitment (its value is in the encrypted store). */
function displayName(v: unknown): string | null {
  const name = nonEmptyString(v);
  return name === null || parseCommitmentString(name) !== null ? null : name;
}

/** Columns stored next to each statement for filtering; see the profile for each rule. */
export function deriveDecisionColumns(statement: XapiStatement): DecisionColumns {
  const s = statement;
  const roles = decisionRoles(s);
  const ai = roles.aiSystem;
  const resultExt = s.result?.extensions;
  const outcome = resultExt ? nonEmptyString(resultExt[EXT.outcome]) : null;
  const scaled = s.result?.score?.scaled;
  const error = contextExtension(s, EXT.error);
  const reviewer = roles.reviewer;
  return {
    occurredAt: new Date(parseRfc3339(s.timestamp) ?? Number.NaN),
    actorType: roles.actorType,
    actorId: agentIdOf(s.actor),
    actorName: displayName(s.actor.name),
    aiSystem: aiSystemName(ai),
    ...modelOf(s, ai),
    verb: verbShortName(s.verb),
    ...entityOf(s.object),
    outcome,
    confidence: typeof scaled === "number" && Number.isFinite(scaled) ? scaled : null,
    latencyMs: latencyOf(s),
    sessionId: s.context?.registration ?? nonEmptyString(contextExtension(s, EXT.sessionId)),
    reviewerId: reviewer ? agentIdOf(reviewer) : null,
    reviewerName: reviewer ? displayName(reviewer.name) : null,
    humanReview: roles.humanReview,
    errorState: error !== undefined && error !== null && error !== false,
    searchText: searchTextOf(s, outcome),
  };
}
