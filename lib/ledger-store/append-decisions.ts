import "server-only";
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { executeSql, queryRows, type Db } from "../../db/client";
import { bigintColumn, byteaColumn } from "../../db/rows/columns";
import { decisions } from "../../db/schema";
import { nodeBytesBackend, nodeHasher } from "../hash/node-sha256";
import { bytesEqual, toHex, utf8Encode, type Hash } from "../ledger/bytes";
import { canonicalize } from "../ledger/jcs";
import type { PersonalDataDetectionConfig } from "../ledger/personal-data-detection/detection-config";
import { commitStatement, reservedFormErrors, type CommittedStatement } from "../ledger/xapi/commit-statement";
import { aiSystemNameOf, deriveDecisionColumns } from "../ledger/xapi/derived-columns";
import { contentWithoutServerFields, prepareStatement } from "../ledger/xapi/server-fields";
import { contextExtension } from "../ledger/xapi/read-statement";
import type { XapiAgent, XapiStatement } from "../ledger/xapi/types";
import { EXT } from "../ledger/xapi/vocabulary";
import { validateStatement } from "../ledger/xapi/validate";
import type { PersonalDataKeys } from "../privacy/personal-data-keys";
import { pooledRandomBytes } from "../privacy/random-pool";
import { readDetectionSettings } from "./detection-settings";
import { LedgerConflictError, LedgerInputError, type ItemError } from "./errors";
import { extendLog, insertLogEntries, lockLog, readLogHead } from "./log-append";
import { contentDigestOf, sealOpenings } from "./personal-data-store";

/** Who writes: the owner of the API key (or the CLI/demo), recorded as the xAPI authority. */
export interface Writer {
  /** Stable name of the key owner, e.g. "loan-underwriting-service". */
  name: string;
}

export const WRITER_HOME_PAGE = "https://decision-ledger.dev/writers";

export function authorityOf(writer: Writer): XapiAgent {
  return { objectType: "Agent", name: writer.name, account: { homePage: WRITER_HOME_PAGE, name: writer.name } } as XapiAgent;
}

export interface AppendedDecision {
  id: string;
  seq: number;
  leafHash: string;
  /** false when the same id with the same content was already stored (idempotent retry). */
  created: boolean;
  /** RFC 6901 pointers whose values were treated as personal and committed (docs/privacy.md). */
  personalPointers: string[];
}

export interface AppendResult {
  records: AppendedDecision[];
  treeSize: number;
}

export const MAX_BATCH = 1000;

interface PreparedDecision {
  index: number;
  id: string;
  /** As submitted, with the server fields set: what a retry is compared with. */
  submitted: XapiStatement;
  contentDigest: Uint8Array;
  /** With its personal values committed: what is stored and hashed. */
  committed: CommittedStatement;
  canonical: string;
  leafHash: Hash;
}

/**
 * Appends a batch of xAPI decision statements to the ledger. The batch is atomic: every
 * statement is validated first and any invalid item refuses the whole batch (400); an id
 * that exists with different content refuses it too (409). A retried id with identical
 * content returns the stored record. Safe under concurrent writers (see lockLog).
 *
 * Personal values are committed before hashing and their openings sealed in the same
 * transaction (commit-statement.ts, personal-data-store.ts): the hashed bytes hold none.
 */
export async function appendDecisions(
  db: Db,
  keys: PersonalDataKeys,
  inputs: unknown[],
  writer: Writer,
  now: Date = new Date(),
): Promise<AppendResult> {
  if (inputs.length === 0) throw new LedgerInputError([{ index: 0, pointer: "", message: "the batch is empty" }]);
  if (inputs.length > MAX_BATCH)
    throw new LedgerInputError([{ index: MAX_BATCH, pointer: "", message: `at most ${MAX_BATCH} statements per request` }]);
  const prepared = prepareBatch(inputs, writer, now, keys, await readDetectionSettings(db));

  return db.transaction(async (tx) => {
    await lockLog(tx, "decisions");
    const existing = await readExisting(tx, prepared.map((p) => p.id));
    const conflicts: ItemError[] = [];
    const fresh: PreparedDecision[] = [];
    const records = new Map<number, AppendedDecision>();
    for (const p of prepared) {
      const found = existing.get(p.id);
      if (!found) {
        fresh.push(p);
      } else if (sameContent(found, p)) {
        records.set(p.index, { id: p.id, seq: found.seq, leafHash: found.leafHash, created: false, personalPointers: p.committed.personalPointers });
      } else {
        conflicts.push({ index: p.index, pointer: "/id", message: `id ${p.id} is already stored (sequence ${found.seq}) with different content` });
      }
    }
    if (conflicts.length > 0) throw new LedgerConflictError(conflicts);

    const head = await readLogHead(tx, "decisions");
    if (fresh.length === 0) return { records: prepared.map((p) => records.get(p.index)!), treeSize: head.size };

    const { appended, nodes, head: newHead } = extendLog(
      head,
      fresh.map((p) => ({ entryId: p.id, recordedAt: now, leafHash: p.leafHash })),
    );
    await ensurePartition(tx, now);
    await insertLogEntries(tx, "decisions", appended, nodes);
    const rows = fresh.map((p, i) => ({
      seq: appended[i]!.seq,
      id: p.id,
      recordedAt: now,
      canonical: p.canonical,
      statement: p.committed.statement,
      writer: writer.name,
      contentDigest: p.contentDigest,
      ...deriveDecisionColumns(p.committed.statement),
    }));
    for (let i = 0; i < rows.length; i += 500) await tx.insert(decisions).values(rows.slice(i, i + 500));
    await sealOpenings(
      tx,
      keys,
      fresh.map((p, i) => ({ recordId: p.id, seq: appended[i]!.seq, recordedAt: now, committed: p.committed })),
      now,
    );
    fresh.forEach((p, i) => {
      records.set(p.index, { id: p.id, seq: appended[i]!.seq, leafHash: toHex(p.leafHash), created: true, personalPointers: p.committed.personalPointers });
    });
    return { records: prepared.map((p) => records.get(p.index)!), treeSize: newHead.size };
  });
}

/**
 * Validates, sets the server fields, commits the personal values and hashes every
 * statement; throws LedgerInputError listing every problem of the batch.
 */
function prepareBatch(
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
    });
  });
  if (errors.length > 0) throw new LedgerInputError(errors);
  return prepared;
}

function declaresPersonalPointers(s: XapiStatement): boolean {
  const declared = contextExtension(s, EXT.personalData);
  return Array.isArray(declared) && declared.length > 0;
}

/**
 * "Same content" for a retried id: the same content digest (the submitted statement without
 * `stored`, keyed; fresh salts make the committed bytes differ on every attempt). A record
 * stored before commitments has no digest: its canonical form is the submitted statement's.
 */
function sameContent(found: ExistingDecision, retried: PreparedDecision): boolean {
  if (found.contentDigest !== null) return bytesEqual(found.contentDigest, retried.contentDigest);
  const legacy = JSON.parse(found.canonical) as XapiStatement;
  return canonicalize(contentWithoutServerFields(legacy)) === canonicalize(contentWithoutServerFields(retried.submitted));
}

const existingRow = z.object({
  entry_id: z.string(),
  seq: bigintColumn,
  leaf_hash: byteaColumn,
  canonical: z.string(),
  content_digest: byteaColumn.nullable(),
});

interface ExistingDecision {
  seq: number;
  leafHash: string;
  canonical: string;
  contentDigest: Uint8Array | null;
}

async function readExisting(tx: Pick<Db, "execute">, ids: string[]): Promise<Map<string, ExistingDecision>> {
  const found = new Map<string, ExistingDecision>();
  if (ids.length === 0) return found;
  // One parameter for the whole list (ids are validated UUIDs): cheaper to build and bind
  // than a thousand, and the plan is the same index lookup per id.
  const rows = await queryRows(
    tx,
    sql`select e.entry_id, e.seq, e.leaf_hash, d.canonical, d.content_digest
        from log_entries e join decisions d on d.seq = e.seq and d.recorded_at = e.recorded_at
        where e.log_id = 'decisions' and e.entry_id = any(string_to_array(${ids.join(",")}, ',')::uuid[])`,
    existingRow,
  );
  for (const r of rows) {
    found.set(r.entry_id, { seq: r.seq, leafHash: toHex(r.leaf_hash), canonical: r.canonical, contentDigest: r.content_digest });
  }
  return found;
}

/** The month's partition must exist before the insert; the function is a no-op when it does. */
async function ensurePartition(tx: Pick<Db, "execute">, at: Date): Promise<void> {
  await executeSql(tx, sql`select ledger_ensure_decisions_partition(${at.toISOString()}::timestamptz)`);
}
