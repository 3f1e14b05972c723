/**
 * The columns stored next to each statement for filtering (docs/decision-profile.md gives
 * each rule). Derivations read only the statement itself (never a mutable registry), so a
 * column can always be recomputed from the hashed record and checked.
 */
import { escapePointerToken } from "../json-pointer";
import { decisionRoles } from "./actor-type";
import type { DecisionColumns } from "./decision-columns";
import { personalDataPointers } from "./personal-data";
import { contextExtension, isRecord, nonEmptyString } from "./read-statement";
import { parseRfc3339 } from "./syntax";
import type { LanguageMap, XapiActivity, XapiActor, XapiAgentObject, XapiGroup, XapiObject, XapiStatement, XapiVerb } from "./types";
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

function isActivity(obj: XapiObject): obj is XapiActivity {
  return obj.objectType === undefined || obj.objectType === "Activity";
}

/** What the decision is about: the entity extension, else the activity (or agent, group, statement) itself. */
function entityOf(obj: XapiObject): { entityType: string | null; entityId: string | null } {
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

/** The free text worth searching, in a fixed order. Never values the statement marks personal: the index is not masked. */
function searchTextOf(s: XapiStatement, outcome: string | null): string {
  const personal = new Set(personalDataPointers(s));
  const parts: string[] = [];
  const add = (pointer: string, v: unknown) => {
    const text = nonEmptyString(v);
    if (text !== null && !personal.has(pointer) && ![...personal].some((pp) => pointer.startsWith(pp + "/"))) parts.push(text);
  };
  const extensionPointer = (iri: string) => `/context/extensions/${escapePointerToken(iri)}`;
  add("/result/response", s.result?.response);
  if (outcome !== null) add(`/result/extensions/${escapePointerToken(EXT.outcome)}`, outcome);
  const error = contextExtension(s, EXT.error);
  if (isRecord(error)) add(`${extensionPointer(EXT.error)}/message`, error.message);
  const output = contextExtension(s, EXT.output);
  const outputPointer = extensionPointer(EXT.output);
  if (typeof output === "string") add(outputPointer, output);
  else if (isRecord(output)) for (const k of ["text", "summary", "rationale"]) add(`${outputPointer}/${k}`, output[k]);
  if (isActivity(s.object)) {
    for (const [lang, text] of Object.entries(s.object.definition?.name ?? {})) add(`/object/definition/name/${escapePointerToken(lang)}`, text);
  }
  return parts.join("\n");
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
    actorName: nonEmptyString(s.actor.name),
    aiSystem: ai ? (nonEmptyString(ai.name) ?? ai.account?.homePage ?? agentIdOf(ai)) : null,
    ...modelOf(s, ai),
    verb: verbShortName(s.verb),
    ...entityOf(s.object),
    outcome,
    confidence: typeof scaled === "number" && Number.isFinite(scaled) ? scaled : null,
    latencyMs: latencyOf(s),
    sessionId: s.context?.registration ?? nonEmptyString(contextExtension(s, EXT.sessionId)),
    reviewerId: reviewer ? agentIdOf(reviewer) : null,
    reviewerName: reviewer ? nonEmptyString(reviewer.name) : null,
    humanReview: roles.humanReview,
    errorState: error !== undefined && error !== null && error !== false,
    searchText: searchTextOf(s, outcome),
  };
}
