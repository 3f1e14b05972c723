/**
 * Defensive readers for the loosely typed parts of a valid statement, shared by the
 * derivations (actor type, derived columns, personal data). Extension values are any
 * JSON and roles are optional lists, so every reader checks the shape it expects and a
 * malformed value is ignored rather than trusted.
 */
import type { XapiActivity, XapiObject, XapiStatement } from "./types";

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `v` when it is a non-empty string, else null. */
export function nonEmptyString(v: unknown): string | null {
  return typeof v === "string" && v.length > 0 ? v : null;
}

/** The value of a context extension (own property only), or undefined. */
export function contextExtension(s: XapiStatement, iri: string): unknown {
  const ext = s.context?.extensions;
  return ext && Object.prototype.hasOwnProperty.call(ext, iri) ? ext[iri] : undefined;
}

export function hasRole(relevantTypes: readonly string[] | undefined, role: string): boolean {
  return relevantTypes !== undefined && relevantTypes.includes(role);
}

/** An Activity object (objectType is optional for activities). */
export function isActivity(obj: XapiObject): obj is XapiActivity {
  return obj.objectType === undefined || obj.objectType === "Activity";
}
