/**
 * Which values of a statement are personal data (the profile's fixed rules plus what the
 * statement declares), and masked copies for display. Masked copies are not records: they
 * no longer match the record's hash.
 */
import { escapePointerToken, getByPointer, parseJsonPointer, replaceAtPath } from "../json-pointer";
import { contextExtension, hasRole, isRecord } from "./read-statement";
import type { XapiActor, XapiStatement } from "./types";
import { EXT, ROLES } from "./vocabulary";

/** What replaces a personal value in a masked copy. Display only: masked copies are not records. */
export const PERSONAL_DATA_MASK = "••• personal data (hidden)";

/** The profile's personal-data rules as pointer patterns (documentation and UI legends). */
export const PERSONAL_DATA_PATTERNS = [
  `/context/extensions/${escapePointerToken(EXT.subject)}`,
  `/context/extensions/${escapePointerToken(EXT.inputFeatures)}/{name listed in ${EXT.personalFeatures}}`,
  `{each pointer listed in /context/extensions/${escapePointerToken(EXT.personalData)}}`,
  `/context/contextAgents/{i}/agent/{name|mbox|mbox_sha1sum|openid|account/name} where relevantTypes contains ${ROLES.dataSubject}`,
  "/object/{name|mbox|mbox_sha1sum|openid|account/name} when object.objectType is Agent or Group",
  "/object/member/{i}/{name|mbox|mbox_sha1sum|openid|account/name} when object.objectType is Group",
] as const;

const EXTENSIONS_POINTER = "/context/extensions/";

function agentPersonalPointers(a: XapiActor, base: string, out: string[]): void {
  for (const k of ["name", "mbox", "mbox_sha1sum", "openid"] as const) if (a[k] !== undefined) out.push(`${base}/${k}`);
  if (a.account !== undefined) out.push(`${base}/account/name`);
}

function personalFeaturePointers(s: XapiStatement, out: string[]): void {
  const features = contextExtension(s, EXT.inputFeatures);
  const personalFeatures = contextExtension(s, EXT.personalFeatures);
  if (!isRecord(features) || !Array.isArray(personalFeatures)) return;
  for (const name of personalFeatures)
    if (typeof name === "string" && Object.prototype.hasOwnProperty.call(features, name))
      out.push(`${EXTENSIONS_POINTER}${escapePointerToken(EXT.inputFeatures)}/${escapePointerToken(name)}`);
}

function declaredPointers(s: XapiStatement, out: string[]): void {
  const declared = contextExtension(s, EXT.personalData);
  if (!Array.isArray(declared)) return;
  for (const ptr of declared) {
    // Only pointers that resolve to something (and never the whole statement).
    if (typeof ptr === "string" && ptr !== "" && getByPointer(s, ptr) !== undefined) out.push(ptr);
  }
}

/**
 * Concrete pointers to the personal values present in this statement, in document order,
 * without duplicates. Declarations can only add to the profile's fixed rules, never remove.
 */
export function personalDataPointers(statement: XapiStatement): string[] {
  const s = statement;
  const out: string[] = [];
  if (contextExtension(s, EXT.subject) !== undefined) out.push(EXTENSIONS_POINTER + escapePointerToken(EXT.subject));
  personalFeaturePointers(s, out);

  (s.context?.contextAgents ?? []).forEach((ca, i) => {
    if (hasRole(ca.relevantTypes, ROLES.dataSubject)) agentPersonalPointers(ca.agent, `/context/contextAgents/${i}/agent`, out);
  });

  const obj = s.object;
  if (obj.objectType === "Agent" || obj.objectType === "Group") {
    agentPersonalPointers(obj, "/object", out);
    if (obj.objectType === "Group") (obj.member ?? []).forEach((m, i) => agentPersonalPointers(m, `/object/member/${i}`, out));
  }

  declaredPointers(s, out);
  return [...new Set(out)];
}

/**
 * Deep copy with every value at `pointers` replaced by PERSONAL_DATA_MASK. Pointers that
 * do not resolve (or lie inside an already-masked value) are ignored. For display only:
 * a masked copy no longer matches the record's hash.
 */
export function maskPersonalData(statement: XapiStatement, pointers: readonly string[] = personalDataPointers(statement)): XapiStatement {
  const copy = structuredClone(statement) as XapiStatement;
  for (const pointer of pointers) {
    const path = parseJsonPointer(pointer);
    if (path !== null) replaceAtPath(copy, path, PERSONAL_DATA_MASK);
  }
  return copy;
}
