/**
 * Which personal-data format a stored record is in (docs/decision-profile.md §15). Its own
 * module, without the detectors commit-statement.ts brings, so the in-browser bundle verifier
 * can tell the formats apart without loading them.
 */
import { contextExtension } from "./read-statement";
import type { XapiStatement } from "./types";
import { EXT } from "./vocabulary";

/** The personal-data format ingest writes; stored in the record (EXT.personalDataFormat). */
export const PERSONAL_DATA_FORMAT = 1;

/** 1 for a record whose personal values are commitments, 0 for one stored before (plaintext). */
export function personalDataFormatOf(statement: XapiStatement): 0 | 1 {
  return contextExtension(statement, EXT.personalDataFormat) === PERSONAL_DATA_FORMAT ? 1 : 0;
}
