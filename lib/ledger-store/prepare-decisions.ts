import "server-only";
import { randomUUID } from "node:crypto";
import { nodeBytesBackend, nodeHasher } from "../hash/node-sha256";
import { utf8Encode, type Hash } from "../ledger/bytes";
import { canonicalize } from "../ledger/jcs";
import type { PersonalDataDetectionConfig } from "../ledger/personal-data-detection/detection-config";
import { commitStatement, reservedFormErrors, type CommittedStatement } from "../ledger/xapi/commit-statement";
import { aiSystemNameOf, deriveDecisionColumns, type DecisionColumns } from "../ledger/xapi/derived-columns";
import { prepareStatement } from "../ledger/xapi/server-fields";
import { contextExtension } from "../ledger/xapi/read-statement";
import type { XapiAgent, XapiStatement } from "../ledger/xapi/types";
import { EXT } from "../ledger/xapi/vocabulary";
import { validateStatement } from "../ledger/xapi/validate";
import type { PersonalDataKeys } from "../privacy/personal-data-keys";
import { pooledRandomBytes } from "../privacy/random-pool";
import { LedgerInputError, type ItemError } from "./errors";
import { contentDigestOf } from "./personal-data-store";

/**
 * The work of an append that needs no lock: validation, server fields, personal-data
 * commitments, canonical form and leaf hash, per statement. Runs before the batch joins
 * the log's sequencer (sequence-decisions.ts), so concurrent writers do it in parallel.
 */

/** Who writes: the owner of the API key (or the CLI/demo), recorded as the xAPI authority. */
export interface Writer {
  /** Stable name of the key owner, e.g. "loan-underwriting-service". */
  name: string;
}

export const WRITER_HOME_PAGE = "https://decision-ledger.dev/writers";

export function authorityOf(writer: Writer): XapiAgent {
  return { objectType: "Agent", name: writer.name, account: { homePage: WRITER_HOME_PAGE, name: writer.name } } as XapiAgent;
}

export interface PreparedDecision {
  index: number;
  id: string;
  /** As submitted, with the server fields set: what a retry is compared with. */
  submitted: XapiStatement;
  contentDigest: Uint8Array;
  /** With its personal values committed: what is stored and hashed. */
  committed: CommittedStatement;
  canonical: string;
  leafHash: Hash;
  /** The explorer's columns, derived from the committed statement. */
  columns: DecisionColumns;
}

/**
 * Validates, sets the server fields, commits the personal values and hashes every
 * statement; throws LedgerInputError listing every problem of the batch.
 */
export function prepareBatch(
  inputs: unknown[],
  writer: Writer,
  now: Date,
  keys: PersonalDataKeys,
  detectionFor: (aiSystem: string | null) => PersonalDataDetectionConfig,
): PreparedDecision[] {
  const errors: ItemError[] = [];
  const prepared: PreparedDecision[] = [];
  const authority = authorityOf(writer);
  const stored = now.toISOString();
  const firstIndexOfId = new Map<string, number>();
  const random = pooledRandomBytes();
  inputs.forEach((input, index) => {
    const result = validateStatement(input);
    if (!result.ok) {
      for (const e of result.errors) errors.push({ index, ...e });
      return;
    }
    const reserved = reservedFormErrors(result.statement);
    if (reserved.length > 0) {
      for (const e of reserved) errors.push({ index, ...e });
      return;
    }
    const submitted = prepareStatement(result.statement, { id: result.statement.id ?? randomUUID(), stored, authority });
    const id = submitted.id!.toLowerCase();
    const earlier = firstIndexOfId.get(id);
    if (earlier !== undefined) {
      errors.push({ index, pointer: "/id", message: `duplicate id ${id} in this batch (also at index ${earlier})` });
      return;
    }
    firstIndexOfId.set(id, index);
    const committed = commitStatement(submitted, { backend: nodeBytesBackend, random, detection: detectionFor(aiSystemNameOf(submitted)) });
    // The profile's own rules only ever write forms valid where they stand; a pointer the
    // producer declared can name any field (an id, a timestamp), so only then is the
    // committed statement validated again.
    const stillValid = declaresPersonalPointers(submitted) ? validateStatement(committed.statement) : { ok: true as const };
    if (!stillValid.ok) {
      for (const e of stillValid.errors)
        errors.push({ index, pointer: e.pointer, message: `is declared personal data, but a commitment cannot stand in this field (${e.message}); declare the enclosing value instead` });
      return;
    }
    const canonical = canonicalize(committed.statement);
    prepared.push({
      index,
      id,
      submitted,
      contentDigest: contentDigestOf(keys, submitted),
      committed,
      canonical,
      leafHash: nodeHasher.hashLeaf(utf8Encode(canonical)),
      columns: deriveDecisionColumns(committed.statement),
    });
  });
  if (errors.length > 0) throw new LedgerInputError(errors);
  return prepared;
}

function declaresPersonalPointers(s: XapiStatement): boolean {
  const declared = contextExtension(s, EXT.personalData);
  return Array.isArray(declared) && declared.length > 0;
}

