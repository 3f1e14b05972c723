import "server-only";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { executeSql, queryRows, type Db } from "../../db/client";
import { bigintColumn, byteaColumn } from "../../db/rows/columns";
import { decisions } from "../../db/schema";
import { bytesEqual, toHex } from "../ledger/bytes";
import { canonicalize } from "../ledger/jcs";
import { contentWithoutServerFields } from "../ledger/xapi/server-fields";
import type { XapiStatement } from "../ledger/xapi/types";
import type { PersonalDataKeys } from "../privacy/personal-data-keys";
import { LedgerConflictError, type ItemError } from "./errors";
import type { ItemOutcome } from "./group-commit";
import { insertRowsAsJson } from "./insert-json-rows";
import { extendLog, insertLogEntries, lockLog, readLogHead, type LogHead } from "./log-append";
import { storeSealed, type SealedBatch } from "./seal-openings";
import type { PreparedDecision, Writer } from "./prepare-decisions";

/**
 * The part of an append that holds the decisions log's lock: placing prepared batches in
 * the log. Kept to reads and inserts; everything per statement was done before
 * (prepare-decisions.ts).
 */

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

/** A validated, hashed batch waiting for its place in the log. */
export interface PendingBatch {
  prepared: PreparedDecision[];
  /** The openings of its statements, sealed while it was prepared (seal-openings.ts). */
  sealed: SealedBatch;
  writer: Writer;
  now: Date;
  keys: PersonalDataKeys;
}

/**
 * One sequencing transaction for `batches` (all under the same keys): under the log's lock,
 * each batch is checked against the stored ids and against the batches before it in the
 * group, exactly as if they had run one after another; the accepted ones get consecutive
 * sequence numbers and are stored together. A refused batch gets its own error and takes
 * nothing of the others with it.
 */
export async function sequenceBatches(db: Db, batches: PendingBatch[]): Promise<ItemOutcome<AppendResult>[]> {
  let committed: LogHead | null = null;
  const outcomes = await db.transaction(async (tx) => {
    await lockLog(tx, "decisions");
    const existing = await readExisting(tx, batches.flatMap((b) => b.prepared.map((p) => p.id)));
    const plans = planBatches(batches, existing);
    const fresh = plans.flatMap((plan) => (plan.ok ? plan.fresh : []));
    const head = await readLogHead(tx, "decisions", committedHeads.get(db));
    if (fresh.length === 0) return plans.map((plan) => outcomeOf(plan, new Map(), head.size));

    const { appended, nodes, head: newHead } = extendLog(
      head,
      fresh.map((f) => ({ entryId: f.p.id, recordedAt: f.batch.now, leafHash: f.p.leafHash })),
    );
    for (const month of new Set(batches.map((b) => monthOf(b.now)))) await ensurePartition(tx, new Date(month));
    await insertLogEntries(tx, "decisions", appended, nodes);
    const rows = fresh.map((f, i) => ({
      seq: appended[i]!.seq,
      id: f.p.id,
      recordedAt: f.batch.now,
      canonical: f.p.canonical,
      writer: f.batch.writer.name,
      contentDigest: f.p.contentDigest,
      ...f.p.columns,
    }));
    await insertRowsAsJson(tx, decisions, rows);
    const placed = new Map(appended.map((a) => [a.entryId, { seq: a.seq, leafHash: toHex(a.leafHash) }]));
    const toSeal = plans.flatMap((plan, i) => (plan.ok ? [freshPart(batches[i]!.sealed, plan.fresh)] : []));
    await storeSealed(tx, batches[0]!.keys, toSeal, placed);
    committed = newHead;
    return plans.map((plan) => outcomeOf(plan, placed, newHead.size));
  });
  // Only once committed: a head from a rolled-back transaction never existed.
  if (committed) committedHeads.set(db, committed);
  return outcomes;
}

/** The head each database handle's last sequencing transaction committed (see readLogHead). */
const committedHeads = new WeakMap<Db, LogHead>();

interface FreshDecision {
  p: PreparedDecision;
  batch: PendingBatch;
}

/** A batch's place in the group: refused, or its new statements and its retried ones. */
type BatchPlan =
  | { ok: false; error: LedgerConflictError }
  | { ok: true; prepared: PreparedDecision[]; fresh: FreshDecision[]; stored: Map<string, { seq: number; leafHash: string }> };

/**
 * Sorts each batch's statements into new ones and retries, in group order: a retry may
 * match a stored record or a new one of an earlier batch of the group; any id held with
 * different content refuses that batch (and only that batch).
 */
function planBatches(batches: PendingBatch[], existing: Map<string, ExistingDecision>): BatchPlan[] {
  const freshInGroup = new Map<string, PreparedDecision>();
  return batches.map((batch) => {
    const conflicts: ItemError[] = [];
    const fresh: FreshDecision[] = [];
    const stored = new Map<string, { seq: number; leafHash: string }>();
    for (const p of batch.prepared) {
      const found = existing.get(p.id);
      const earlier = freshInGroup.get(p.id);
      if (found) {
        if (sameContent(found, p)) stored.set(p.id, { seq: found.seq, leafHash: found.leafHash });
        else conflicts.push({ index: p.index, pointer: "/id", message: `id ${p.id} is already stored (sequence ${found.seq}) with different content` });
      } else if (earlier) {
        if (!bytesEqual(earlier.contentDigest, p.contentDigest)) {
          conflicts.push({ index: p.index, pointer: "/id", message: `id ${p.id} is already stored with different content` });
        }
      } else {
        fresh.push({ p, batch });
      }
    }
    if (conflicts.length > 0) return { ok: false as const, error: new LedgerConflictError(conflicts) };
    for (const f of fresh) freshInGroup.set(f.p.id, f.p);
    return { ok: true as const, prepared: batch.prepared, fresh, stored };
  });
}

/** The part of a sealed batch that is stored: its new records (not its retries). */
function freshPart(sealed: SealedBatch, fresh: FreshDecision[]): SealedBatch {
  const ids = new Set(fresh.map((f) => f.p.id));
  return { records: sealed.records.filter((r) => ids.has(r.recordId)), keys: sealed.keys };
}

/** A plan's records once the group's new statements have their sequence numbers. */
function outcomeOf(plan: BatchPlan, placed: Map<string, { seq: number; leafHash: string }>, treeSize: number): ItemOutcome<AppendResult> {
  if (!plan.ok) return { ok: false, error: plan.error };
  const isNew = new Set(plan.fresh.map((f) => f.p.id));
  const records = plan.prepared.map((p): AppendedDecision => {
    // Stored before, new here, or new in an earlier batch of this group (whose salts, and so
    // leaf hash, are the ones stored).
    const at = plan.stored.get(p.id) ?? placed.get(p.id)!;
    return { id: p.id, seq: at.seq, leafHash: at.leafHash, created: isNew.has(p.id), personalPointers: p.committed.personalPointers };
  });
  return { ok: true, value: { records, treeSize } };
}

/** The first instant of the UTC month of `at`: one partition each. */
function monthOf(at: Date): number {
  return Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
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

