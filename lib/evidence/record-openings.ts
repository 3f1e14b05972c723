// What a bundle that includes personal data discloses of one record: the openings of the
// commitments in its canonical statement (the exact bytes the ledger hashed), each checked
// before it is handed out. Browser-safe: the verifier imports it.

import type { Sha256Backend } from "../ledger/hasher";
import { toBase64 } from "../ledger/bytes";
import { findCommitments } from "../ledger/xapi/open-statement";
import { PD_ACCOUNT_HOME_PAGE, PD_STRING_PREFIX, verifyOpening, type PdOpening } from "../ledger/xapi/pd-commitment";
import { personalDataFormatOf } from "../ledger/xapi/personal-data-format";
import type { XapiStatement } from "../ledger/xapi/types";
import type { BundleOpeningLine } from "./bundle-format";

/** What the vault holds for one record (readRecordOpenings' value, without its type's server-only module). */
export interface StoredOpenings {
  openings: ReadonlyMap<string, PdOpening>;
  erasures: readonly unknown[];
}

/**
 * Whether a canonical text can hold a commitment at all: both forms carry a fixed marker, so
 * records without one (legacy ones, or with no personal data) are not parsed.
 */
export function mayHoldCommitments(canonical: string): boolean {
  return canonical.includes(PD_STRING_PREFIX) || canonical.includes(PD_ACCOUNT_HOME_PAGE);
}

export class RecordOpeningsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RecordOpeningsError";
  }
}

/**
 * The openings.jsonl lines of a committed (format 1) record and how many of its values are
 * unopenable because their subject was erased. A missing opening without an erasure, or an
 * opening that does not open its commitment, means the vault disagrees with the ledger: it
 * throws rather than export evidence that would not verify.
 */
export function recordOpeningLines<H>(
  backend: Sha256Backend<H>,
  record: { seq: number; id: string; canonical: string },
  stored: StoredOpenings | undefined,
): { lines: BundleOpeningLine[]; erased: number } {
  const none = { lines: [], erased: 0 };
  if (!mayHoldCommitments(record.canonical)) return none;
  const statement = JSON.parse(record.canonical) as XapiStatement;
  if (personalDataFormatOf(statement) !== 1) return none;
  const lines: BundleOpeningLine[] = [];
  let erased = 0;
  const where = `record at position ${record.seq} (id ${record.id})`;
  for (const c of findCommitments(statement)) {
    const opening = stored?.openings.get(c.ref);
    if (!opening) {
      if (!stored || stored.erasures.length === 0) throw new RecordOpeningsError(`${where}: no stored opening for the value at ${c.pointer}`);
      erased++;
      continue;
    }
    if (!verifyOpening(backend, c.commitment, opening)) {
      throw new RecordOpeningsError(`${where}: the stored opening of the value at ${c.pointer} does not match its commitment`);
    }
    lines.push({ recordId: record.id, ref: c.ref, pointer: c.pointer, value: opening.value, salt: toBase64(opening.salt) });
  }
  return { lines, erased };
}
