/**
 * The free-text positions of a statement: where people and models write prose, and so where
 * identifiers turn up unannounced. One list for two readers: the search column indexes the
 * searchable ones (derived-columns.ts), and ingest runs personal-data detection over all of
 * them (commit-statement.ts), so nothing is searchable that detection did not look at.
 */
import { escapePointerToken } from "../json-pointer";
import { contextExtension, isActivity, isRecord } from "./read-statement";
import type { XapiStatement } from "./types";
import { EXT } from "./vocabulary";

export interface FreeTextField {
  /** RFC 6901 pointer to the string. */
  pointer: string;
  text: string;
  /** Whether the search column indexes it (descriptions and entity ids are scanned, not indexed). */
  searchable: boolean;
}

export const extensionPointer = (iri: string): string => `/context/extensions/${escapePointerToken(iri)}`;

/**
 * Every free-text string of the statement, in a fixed order: the response, the error message,
 * the model output (a string, or its text, summary and rationale), then the activity's name and
 * description entries and the entity id. Empty strings are left out.
 */
export function freeTextFields(s: XapiStatement): FreeTextField[] {
  const out: FreeTextField[] = [];
  const add = (pointer: string, value: unknown, searchable = true) => {
    if (typeof value === "string" && value !== "") out.push({ pointer, text: value, searchable });
  };
  add("/result/response", s.result?.response);
  const error = contextExtension(s, EXT.error);
  if (isRecord(error)) add(`${extensionPointer(EXT.error)}/message`, error.message);
  const output = contextExtension(s, EXT.output);
  const outputPointer = extensionPointer(EXT.output);
  if (typeof output === "string") add(outputPointer, output);
  else if (isRecord(output)) for (const k of ["text", "summary", "rationale"]) add(`${outputPointer}/${k}`, output[k]);
  if (isActivity(s.object)) {
    const definition = s.object.definition;
    for (const [lang, text] of Object.entries(definition?.name ?? {})) add(`/object/definition/name/${escapePointerToken(lang)}`, text);
    for (const [lang, text] of Object.entries(definition?.description ?? {}))
      add(`/object/definition/description/${escapePointerToken(lang)}`, text, false);
    const entity = definition?.extensions?.[EXT.entity];
    if (isRecord(entity)) add(`/object/definition/extensions/${escapePointerToken(EXT.entity)}/id`, entity.id, false);
  }
  return out;
}
