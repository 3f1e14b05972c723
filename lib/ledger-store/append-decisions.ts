import "server-only";
import type { Db } from "../../db/client";
import type { PersonalDataKeys } from "../privacy/personal-data-keys";
import { readDetectionSettings } from "./detection-settings";
import { LedgerInputError } from "./errors";
import { GroupCommitQueue } from "./group-commit";
import { prepareBatch, type Writer } from "./prepare-decisions";
import { sealRecords, wipeSealed } from "./seal-openings";
import { sequenceBatches, type AppendResult, type PendingBatch } from "./sequence-decisions";

export { authorityOf, WRITER_HOME_PAGE, type Writer } from "./prepare-decisions";
export type { AppendedDecision, AppendResult } from "./sequence-decisions";

export const MAX_BATCH = 1000;

/**
 * Appends a batch of xAPI decision statements to the ledger. The batch is atomic: every
 * statement is validated first and any invalid item refuses the whole batch (400); an id
 * that exists with different content refuses it too (409). A retried id with identical
 * content returns the stored record. Safe under concurrent writers (see lockLog).
 *
 * The expensive work (validation, commitments, canonical form, leaf hashes, sealing the
 * openings) runs here, outside the log's lock; the batch then joins the log's group commit (sequencerFor), so
 * concurrent batches share one sequencing transaction. The promise resolves after that
 * transaction committed: nothing is acknowledged before it is durable.
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
  const batch = await prepareAppend(db, keys, inputs, writer, now);
  try {
    return await sequencerFor(db).submit(batch);
  } finally {
    wipeSealed(batch.sealed);
  }
}

/** Everything of an append that needs no lock; the caller wipes the result's keys (wipeSealed). */
export async function prepareAppend(db: Db, keys: PersonalDataKeys, inputs: unknown[], writer: Writer, now: Date): Promise<PendingBatch> {
  if (inputs.length === 0) throw new LedgerInputError([{ index: 0, pointer: "", message: "the batch is empty" }]);
  if (inputs.length > MAX_BATCH)
    throw new LedgerInputError([{ index: MAX_BATCH, pointer: "", message: `at most ${MAX_BATCH} statements per request` }]);
  const prepared = prepareBatch(inputs, writer, now, keys, await readDetectionSettings(db));
  const sealed = await sealRecords(db, keys, prepared.map((p) => ({ recordId: p.id, recordedAt: now, committed: p.committed })), now);
  return { prepared, sealed, writer, now, keys };
}

/** Statements per sequencing transaction at most: a few full batches. */
const MAX_GROUP_STATEMENTS = 4 * MAX_BATCH;

const sequencers = new WeakMap<Db, GroupCommitQueue<PendingBatch, AppendResult>>();

/** The group commit of the decisions log on `db` (one per database handle in this process). */
function sequencerFor(db: Db): GroupCommitQueue<PendingBatch, AppendResult> {
  let queue = sequencers.get(db);
  if (!queue) {
    queue = new GroupCommitQueue<PendingBatch, AppendResult>({
      commit: (batches) => sequenceBatches(db, batches),
      weight: (b) => b.prepared.length,
      maxWeight: MAX_GROUP_STATEMENTS,
      compatible: (a, b) => a.keys === b.keys,
    });
    sequencers.set(db, queue);
  }
  return queue;
}

