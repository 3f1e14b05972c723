import "server-only";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "../../db/client";
import { bigintColumn, byteaColumn, timestampColumn } from "../../db/rows/columns";
import { checkpoints } from "../../db/schema";
import { nodeHasher } from "../hash/node-sha256";
import { verifyConsistency } from "../ledger/merkle";
import { bytesEqual, toHex } from "../ledger/bytes";
import { formatCheckpoint, formatVerifierKey, parseCheckpoint, parseSignerKey, signNote, verifyNote, type Checkpoint } from "../ledger/signed-note";
import type { ExternalCheckpointStore, StoredCheckpointNote } from "./checkpoint-store";
import { headRange, lockLog, readLogHead, type Queryable } from "./log-append";
import type { LogId } from "../ledger/log-id";
import { readConsistencyProof } from "./merkle-store";

export interface CheckpointSigner {
  /** C2SP signer key: PRIVATE+KEY+<name>+<keyid>+<base64(0x01||seed)>. */
  signerKey: string;
}

export interface CheckpointRecord {
  logId: LogId;
  treeSize: number;
  rootHash: Uint8Array;
  keyId: string;
  signedNote: string;
  createdAt: Date;
}

/** The checkpoint origin of a log: one line identifying the log, per c2sp.org/tlog-checkpoint. */
export function originOf(deploymentOrigin: string, logId: LogId): string {
  return `${deploymentOrigin}/${logId}`;
}

export class CheckpointRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointRefusedError";
  }
}

const checkpointRow = z.object({
  tree_size: bigintColumn,
  root_hash: byteaColumn,
  key_id: z.string(),
  signed_note: z.string(),
  created_at: timestampColumn,
});

export async function readLatestCheckpoint(tx: Pick<Db, "execute">, logId: LogId): Promise<CheckpointRecord | null> {
  const rows = await queryRows(
    tx,
    sql`select tree_size, root_hash, key_id, signed_note, created_at from checkpoints where log_id = ${logId} order by tree_size desc limit 1`,
    checkpointRow,
  );
  const r = rows[0];
  if (!r) return null;
  return { logId, treeSize: r.tree_size, rootHash: r.root_hash, keyId: r.key_id, signedNote: r.signed_note, createdAt: r.created_at };
}

/**
 * Refuses to sign `root` at `size` unless it extends the external store's latest checkpoint.
 * A note this key did not sign (an older key, after rotation) cannot be checked here and is
 * left to the verifier, which knows every trusted key.
 */
async function assertExtendsExternal(
  tx: Queryable,
  logId: LogId,
  origin: string,
  verifierKey: string,
  external: StoredCheckpointNote,
  size: number,
  root: Uint8Array,
): Promise<void> {
  let signed: Checkpoint;
  try {
    signed = parseCheckpoint((await verifyNote(external.signedNote, [verifierKey])).text);
  } catch {
    return;
  }
  const refuse = (why: string) =>
    new CheckpointRefusedError(`the log's tree of size ${size} ${why} external checkpoint ${external.treeSize}; refusing to sign (run verify-db)`);
  if (signed.origin !== origin || signed.size !== external.treeSize) throw refuse("cannot be compared with the");
  if (size === signed.size) {
    if (!bytesEqual(root, signed.rootHash)) throw refuse("has a different root than the");
    return;
  }
  const proof = await readConsistencyProof(tx, logId, signed.size, size);
  try {
    verifyConsistency(nodeHasher, signed.size, size, proof, signed.rootHash, root);
  } catch {
    throw refuse("does not extend the");
  }
}

/**
 * Signs a checkpoint of the log's current tree, if it grew since the last one. Never signs
 * a tree that is inconsistent with the previous checkpoint (in the database or in the
 * external store): that would be a fork, and refusing is the only safe answer.
 * The note goes to the external store before the database commits, so a checkpoint in the
 * database always has its external copy.
 */
export async function createCheckpoint(
  db: Db,
  opts: { logId: LogId; origin: string; signer: CheckpointSigner; externalStore: ExternalCheckpointStore; now?: Date },
): Promise<{ checkpoint: CheckpointRecord; created: boolean } | null> {
  const parsedKey = await parseSignerKey(opts.signer.signerKey);
  const keyName = parsedKey.name;
  const keyId = toHex(parsedKey.keyId);
  const verifierKey = await formatVerifierKey(keyName, parsedKey.publicKey);
  return db.transaction(async (tx: Queryable) => {
    await lockLog(tx, opts.logId);
    const head = await readLogHead(tx, opts.logId);
    const previous = await readLatestCheckpoint(tx, opts.logId);
    if (head.size === 0) return null;
    if (previous && previous.treeSize === head.size) return { checkpoint: previous, created: false };
    if (previous && previous.treeSize > head.size) {
      throw new CheckpointRefusedError(
        `the log has ${head.size} records but checkpoint ${previous.treeSize} was signed: records were removed; run verify-db`,
      );
    }
    const root = headRange(head).root();
    if (previous) {
      const proof = await readConsistencyProof(tx, opts.logId, previous.treeSize, head.size);
      try {
        verifyConsistency(nodeHasher, previous.treeSize, head.size, proof, previous.rootHash, root);
      } catch (error) {
        throw new CheckpointRefusedError(
          `the tree of size ${head.size} is not consistent with checkpoint ${previous.treeSize} (${(error as Error).message}); refusing to sign`,
        );
      }
    }
    const lastExternal = await opts.externalStore.latest(opts.logId);
    if (lastExternal && lastExternal.treeSize > head.size) {
      throw new CheckpointRefusedError(
        `the external checkpoint store holds size ${lastExternal.treeSize} but the log has ${head.size} records; refusing to sign`,
      );
    }
    // The database's own last checkpoint can have been rewritten with the rest of the
    // database; the external copy cannot. Extend it, or sign nothing.
    if (lastExternal) {
      await assertExtendsExternal(tx, opts.logId, opts.origin, verifierKey, lastExternal, head.size, root);
    }
    const body = formatCheckpoint({ origin: opts.origin, size: head.size, rootHash: root });
    const signedNote = await signNote(body, opts.signer.signerKey);
    const createdAt = opts.now ?? new Date();
    await opts.externalStore.put(opts.logId, { treeSize: head.size, signedNote });
    await tx.insert(checkpoints).values({ logId: opts.logId, treeSize: head.size, rootHash: root, keyId: `${keyName}+${keyId}`, signedNote, createdAt });
    return { checkpoint: { logId: opts.logId, treeSize: head.size, rootHash: root, keyId: `${keyName}+${keyId}`, signedNote, createdAt }, created: true };
  });
}

/** What signing a log's checkpoint takes from a deployment (a server Runtime, the evidence exporter's deps). */
export interface CheckpointingDeployment {
  db: Db;
  /** Deployment origin (LEDGER_ORIGIN); the log's checkpoint origin is originOf(origin, logId). */
  origin: string;
  signer: CheckpointSigner;
  externalStore: ExternalCheckpointStore;
}

/** Signs a checkpoint of `logId` now if it grew (createCheckpoint); returns null for an empty log. */
export async function checkpointNow(deployment: CheckpointingDeployment, logId: LogId) {
  return createCheckpoint(deployment.db, {
    logId,
    origin: originOf(deployment.origin, logId),
    signer: deployment.signer,
    externalStore: deployment.externalStore,
  });
}
