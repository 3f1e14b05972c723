/**
 * Where a statement holds personal data: ONE rule for both record formats
 * (docs/decision-profile.md §10, §15.5). Ingest commits every position it finds
 * (commit-statement.ts, format 1); the explorer masks the same positions in legacy records
 * (format 0) and whatever a committed record still holds in the clear (IRIs that xAPI keeps
 * as IRIs), and list rows mask the columns derived from them (personalRowFields).
 *
 * The positions, in the order they are decided (a position inside one already chosen is
 * dropped, so nothing is committed or masked twice):
 *   1. the profile's fixed rules and the statement's declarations (personalDataPointers);
 *   2. every human (non-AI) agent wherever a statement names agents (actor, object members,
 *      context agents of any role, instructor, team, context groups, members): its name when
 *      a staff account identifies it (the account is pseudonymous and says who decided), the
 *      whole agent when an e-mail address, its hash, an OpenID or an account name holding a
 *      detected identifier identifies it;
 *   3. the entity id when it identifies a person: the entity type is a person type
 *      (PERSON_ENTITY_TYPES) or the id holds an identifier the detector finds.
 * Display only: the activity id of a person entity (xAPI requires an IRI there, so it is
 * never committed) and every field of an agent chosen whole.
 */
import { getAtPath, parseJsonPointer, toJsonPointer } from "../json-pointer";
import { detectPersonalData } from "../personal-data-detection/detect";
import { DEFAULT_PERSONAL_DATA_DETECTION_CONFIG, type PersonalDataDetectionConfig } from "../personal-data-detection/detection-config";
import { aiSystemIris, isAiAgent } from "./actor-type";
import { entityOf, isCommittedAgentId } from "./derived-columns";
import { findCommitmentStrings, isCommitmentAgent, parseCommitmentString } from "./pd-commitment";
import { personalDataPointers } from "./personal-data";
import { isActivity, isRecord } from "./read-statement";
import type { XapiActor, XapiStatement } from "./types";
import { EXT } from "./vocabulary";

/** Why a position is personal: a profile rule or declaration, a human agent's name or identity, a person's entity id. */
export type PersonalPositionKind = "profile" | "human-name" | "human-agent" | "entity-id";

export interface PersonalPosition {
  path: string[];
  /** "agent": the whole Agent or Group is personal (ingest commits it in the Agent form); "string": the value itself. */
  form: "string" | "agent";
  kind: PersonalPositionKind;
}

/**
 * Entity types (ext/entity `type`, else the last segment of `definition.type`; compared in
 * lower case) whose entities are people, so their ids are personal whatever they look like.
 * `agent` and `group` are the types derived for Agent and Group objects.
 */
export const PERSON_ENTITY_TYPES = ["person", "customer", "client", "patient", "applicant", "user", "employee", "member", "student", "agent", "group"] as const;

const IFI_KEYS = ["mbox", "mbox_sha1sum", "openid", "account"] as const;
const AGENT_FIELDS = ["name", "mbox", "mbox_sha1sum", "openid"] as const;
const ENTITY_ID_PATH = ["object", "definition", "extensions", EXT.entity, "id"];

/** Whether an entity type names people (PERSON_ENTITY_TYPES). */
export function isPersonEntityType(entityType: string | null | undefined): boolean {
  return typeof entityType === "string" && (PERSON_ENTITY_TYPES as readonly string[]).includes(entityType.toLowerCase());
}

/** Whether a text holds an identifier the detector finds (every recogniser unless configured otherwise). */
export function holdsDetectedIdentifier(text: string, detection: PersonalDataDetectionConfig = DEFAULT_PERSONAL_DATA_DETECTION_CONFIG): boolean {
  return detectPersonalData(text, detection).length > 0;
}

/** Whether a value is already a commitment (string form, a text holding one, or the Agent form): nothing personal left in it. */
export function isCommittedValue(value: unknown): boolean {
  if (typeof value === "string") return parseCommitmentString(value) !== null || isCommittedAgentId(value) || findCommitmentStrings(value).length > 0;
  return isCommitmentAgent(value);
}

/** Whether `path` is `ancestor` or lies inside it. */
export function isUnder(path: readonly string[], ancestor: readonly string[]): boolean {
  return ancestor.length <= path.length && ancestor.every((token, i) => path[i] === token);
}

/** Shortest paths first (stable), so a position inside one already chosen is dropped. */
function distinctPositions(positions: PersonalPosition[]): PersonalPosition[] {
  const chosen: PersonalPosition[] = [];
  for (const p of [...positions].sort((a, b) => a.path.length - b.path.length)) if (!chosen.some((c) => isUnder(p.path, c.path))) chosen.push(p);
  return chosen;
}

/** The object and data-subject context agents are people as a whole; an agent's `name` elsewhere is only a name. */
function isPersonAgentPosition(path: readonly string[]): boolean {
  return (path.length === 1 && path[0] === "object") || (path[0] === "context" && path[1] === "contextAgents") || path[1] === "member";
}

/** Rule 1: the profile's pointers; a pointer into an agent's identity means the agent whole (xAPI types its IFIs). */
function profilePositions(s: XapiStatement): PersonalPosition[] {
  return personalDataPointers(s).flatMap((pointer): PersonalPosition[] => {
    const path = parseJsonPointer(pointer);
    if (path === null || path.length === 0) return [];
    const last = path[path.length - 1]!;
    const inAccount = path.length >= 2 && path[path.length - 2] === "account" && last === "name";
    const agentPath = inAccount ? path.slice(0, -2) : (IFI_KEYS as readonly string[]).includes(last) || last === "name" ? path.slice(0, -1) : null;
    const agent = agentPath === null ? undefined : getAtPath(s, agentPath);
    if (agentPath !== null && isRecord(agent) && IFI_KEYS.some((k) => k in agent) && (last !== "name" || isPersonAgentPosition(agentPath)))
      return [{ path: agentPath, form: "agent", kind: "profile" }];
    return [{ path, form: "string", kind: "profile" }];
  });
}

/** An identity that names the person: an e-mail address, its hash, an OpenID, or an account name holding a detected identifier. */
function identifiesPerson(a: XapiActor, detection: PersonalDataDetectionConfig): boolean {
  if (a.mbox !== undefined || a.mbox_sha1sum !== undefined || a.openid !== undefined) return true;
  return a.account !== undefined && !isCommittedValue(a) && holdsDetectedIdentifier(a.account.name, detection);
}

/** Rule 2: human agents wherever a statement names agents. A Group's members are visited whatever the Group is. */
function humanAgentPositions(s: XapiStatement, detection: PersonalDataDetectionConfig): PersonalPosition[] {
  const aiSystems = aiSystemIris(s);
  const out: PersonalPosition[] = [];
  const visitAgent = (a: XapiActor | undefined, path: string[]) => {
    if (!a || isCommittedValue(a)) return;
    if (!isAiAgent(a, aiSystems)) {
      if (identifiesPerson(a, detection)) {
        out.push({ path, form: "agent", kind: "human-agent" });
        return;
      }
      if (a.name !== undefined) out.push({ path: [...path, "name"], form: "string", kind: "human-name" });
    }
    if (a.objectType === "Group") (a.member ?? []).forEach((m, i) => visitAgent(m, [...path, "member", String(i)]));
  };
  visitAgent(s.actor, ["actor"]);
  const ctx = s.context;
  visitAgent(ctx?.instructor, ["context", "instructor"]);
  visitAgent(ctx?.team, ["context", "team"]);
  (ctx?.contextAgents ?? []).forEach((ca, i) => visitAgent(ca.agent, ["context", "contextAgents", String(i), "agent"]));
  (ctx?.contextGroups ?? []).forEach((cg, i) => visitAgent(cg.group, ["context", "contextGroups", String(i), "group"]));
  return out;
}

/** Whether the entity the statement is about is a person: its type says so, its id (or activity IRI) holds an identifier, or its id was committed. */
function isPersonEntity(s: XapiStatement, detection: PersonalDataDetectionConfig): boolean {
  const { entityType, entityId } = entityOf(s.object);
  if (isPersonEntityType(entityType)) return true;
  if (!isActivity(s.object)) return false;
  // Ingest committed the entity id because it identified a person (a rule or a declaration).
  const stored = getAtPath(s, ENTITY_ID_PATH);
  if (typeof stored === "string" && isCommittedValue(stored)) return true;
  return [entityId, s.object.id].some((text) => typeof text === "string" && !isCommittedValue(text) && holdsDetectedIdentifier(text, detection));
}

/** Rule 3: the entity id of a person entity (a string in ext/entity; xAPI lets an extension hold any JSON). */
function entityIdPositions(s: XapiStatement, detection: PersonalDataDetectionConfig): PersonalPosition[] {
  const id = getAtPath(s, ENTITY_ID_PATH);
  if (typeof id !== "string" || id === "" || isCommittedValue(id) || !isPersonEntity(s, detection)) return [];
  return [{ path: ENTITY_ID_PATH, form: "string", kind: "entity-id" }];
}

/**
 * Every personal position of a statement (rules 1–3), outermost first: what ingest commits.
 * `detection` is the AI system's configuration at ingest; display uses every recogniser.
 */
export function personalPositions(statement: XapiStatement, detection: PersonalDataDetectionConfig = DEFAULT_PERSONAL_DATA_DETECTION_CONFIG): PersonalPosition[] {
  return distinctPositions([
    ...profilePositions(statement),
    ...humanAgentPositions(statement, detection),
    ...entityIdPositions(statement, detection),
  ]);
}

/** The field pointers of an agent chosen whole: its name and identifiers, and its members' (Agent form: fields, not the object). */
function agentFieldPointers(agent: unknown, base: string, out: string[]): void {
  if (!isRecord(agent)) return;
  for (const k of AGENT_FIELDS) if (agent[k] !== undefined) out.push(`${base}/${k}`);
  if (isRecord(agent.account)) out.push(`${base}/account/name`);
  if (Array.isArray(agent.member)) agent.member.forEach((m, i) => agentFieldPointers(m, `${base}/member/${i}`, out));
}

/**
 * The pointers a display masks for a viewer who may not reveal: the profile's pointers first
 * (document order, as personalDataPointers lists them), then every other personal position
 * (agents as their fields, so the masked copy keeps its shape), then the activity id of a
 * person entity. Positions already holding a commitment are left out: there is nothing to hide.
 */
export function displayPersonalPointers(statement: XapiStatement): string[] {
  const out = [...personalDataPointers(statement)];
  for (const p of personalPositions(statement)) {
    const pointer = toJsonPointer(p.path);
    if (p.form === "agent") agentFieldPointers(getAtPath(statement, p.path), pointer, out);
    else out.push(pointer);
  }
  if (isActivity(statement.object) && isPersonEntity(statement, DEFAULT_PERSONAL_DATA_DETECTION_CONFIG)) out.push("/object/id");
  return [...new Set(out)].filter((pointer) => {
    const path = parseJsonPointer(pointer);
    return path !== null && !isCommittedValue(getAtPath(statement, path));
  });
}

/** The pointer of the entity id extension (ext/entity `id`). */
export const ENTITY_ID_POINTER = toJsonPointer(ENTITY_ID_PATH);

/** The columns of a list row (or a detail's, with the ids) that may derive from a personal position. */
export interface PersonalColumns {
  actorType: string;
  actorName: string | null;
  aiSystem: string | null;
  reviewerName: string | null;
  entityType: string | null;
  entityId: string | null;
  actorId?: string;
  reviewerId?: string | null;
}

/**
 * Whether an agent id column (agentIdOf) identifies a person: an e-mail address, its hash or
 * an OpenID always does, as does a group listing one; an account (a staff or AI system id)
 * only when its name holds a detected identifier. A committed agent's id is a commitment.
 */
export function isPersonalAgentId(id: string): boolean {
  if (isCommittedAgentId(id)) return false;
  if (/(^|[[,])(mbox|mbox_sha1sum|openid):/.test(id)) return true;
  return holdsDetectedIdentifier(id.startsWith("account:") ? id.slice(id.indexOf("|") + 1) : id);
}

/**
 * The row-level form of the same rule, for rows read without their statement: the columns
 * derived from a personal position. The actor's name is a person's unless the actor is the
 * AI system itself (its name is then the ai_system column's); a reviewer is always a human
 * (§9); an entity id is personal for a person entity type or when it holds an identifier.
 * Commitments are never personal (the value is in the encrypted store).
 */
export function personalColumnKeys(row: PersonalColumns): (keyof PersonalColumns)[] {
  const keys: (keyof PersonalColumns)[] = [];
  const clear = (v: string | null | undefined): v is string => typeof v === "string" && v !== "" && !isCommittedValue(v);
  const actorIsAi = row.actorType !== "human" && row.actorName === row.aiSystem;
  if (clear(row.actorName) && !actorIsAi) keys.push("actorName");
  if (clear(row.actorId) && isPersonalAgentId(row.actorId)) keys.push("actorId");
  if (clear(row.reviewerName)) keys.push("reviewerName");
  if (clear(row.reviewerId) && isPersonalAgentId(row.reviewerId)) keys.push("reviewerId");
  if (clear(row.entityId) && (isPersonEntityType(row.entityType) || holdsDetectedIdentifier(row.entityId))) keys.push("entityId");
  return keys;
}
