import "server-only";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "../../../db/client";
import { bigintColumn, byteaColumn } from "../../../db/rows/columns";
import { bytesEqual, toHex } from "../../ledger/bytes";
import { parseCheckpoint, verifyNote } from "../../ledger/signed-note";
import type { ExternalCheckpointStore } from "../checkpoint-store";
import type { LogId } from "../../ledger/log-id";
import type { VerificationFailure } from "../../ledger/verify/report";

/** One signed checkpoint as the verifier sees it, wherever it came from. */
export interface CheckedCheckpoint {
  size: number;
  source: "database" | "external";
  note: string;
  /** Signature and origin verified; only then do `root` and `size` count as signed. */
  valid: boolean;
  /** The signed root (from the note body), when the body parsed. */
  root: Uint8Array | null;
}

const checkpointRow = z.object({ tree_size: bigintColumn, root_hash: byteaColumn, signed_note: z.string() });

export async function readDatabaseCheckpoints(db: Pick<Db, "execute">, logId: LogId): Promise<z.output<typeof checkpointRow>[]> {
  return queryRows(db, sql`select tree_size, root_hash, signed_note from checkpoints where log_id = ${logId} order by tree_size`, checkpointRow);
}

function originMatches(origin: string, logId: LogId, expected: string | undefined): boolean {
  return expected !== undefined ? origin === expected : origin.endsWith(`/${logId}`);
}

/**
 * Verifies one note: signature by a trusted key, a well-formed checkpoint body, the right
 * origin, and (for database rows) that the row's size and root columns are what was signed.
 */
async function checkNote(
  note: string,
  claimedSize: number,
  claimedRoot: Uint8Array | null,
  source: CheckedCheckpoint["source"],
  ctx: { logId: LogId; verifierKeys: string[]; origin?: string },
  report: (f: VerificationFailure) => void,
): Promise<CheckedCheckpoint> {
  const where = source === "database" ? "in the database" : "in the external store";
  const bad = (message: string): CheckedCheckpoint => {
    report({ class: "bad_signature", checkpointSize: claimedSize, source, message: `checkpoint ${claimedSize} ${where}: ${message}` });
    return { size: claimedSize, source, note, valid: false, root: null };
  };
  let text: string;
  try {
    text = (await verifyNote(note, ctx.verifierKeys)).text;
  } catch (error) {
    return bad(`the signature does not verify with the trusted verifier key(s) (${(error as Error).message})`);
  }
  let body;
  try {
    body = parseCheckpoint(text);
  } catch (error) {
    return bad(`the signed text is not a checkpoint (${(error as Error).message})`);
  }
  if (!originMatches(body.origin, ctx.logId, ctx.origin)) {
    return bad(`it was signed for "${body.origin}", not for this log${ctx.origin ? ` ("${ctx.origin}")` : ""}`);
  }
  if (body.size !== claimedSize) {
    report({
      class: "modified_hash",
      checkpointSize: claimedSize,
      source,
      message: `checkpoint ${claimedSize} ${where}: its tree size was altered; the signed note is for size ${body.size}`,
      expected: String(body.size),
      actual: String(claimedSize),
    });
  } else if (claimedRoot && !bytesEqual(claimedRoot, body.rootHash)) {
    report({
      class: "modified_hash",
      checkpointSize: claimedSize,
      source,
      message: `checkpoint ${claimedSize} ${where}: its root_hash column was altered; it differs from the signed root`,
      expected: toHex(body.rootHash),
      actual: toHex(claimedRoot),
    });
  }
  return { size: body.size, source, note, valid: true, root: body.rootHash };
}

export async function checkCheckpoints(
  db: Pick<Db, "execute">,
  opts: { logId: LogId; verifierKeys: string[]; origin?: string; externalStore?: ExternalCheckpointStore },
  report: (f: VerificationFailure) => void,
): Promise<{ database: CheckedCheckpoint[]; external: CheckedCheckpoint[] | null }> {
  // Read before the log size (by the caller): a checkpoint is only ever signed for a size
  // the log already had, so a clean ledger always has size >= every checkpoint read first.
  const [rows, externalNotes] = await Promise.all([
    readDatabaseCheckpoints(db, opts.logId),
    opts.externalStore ? opts.externalStore.list(opts.logId) : Promise.resolve(null),
  ]);
  const database = await inChunks(rows, (r) => checkNote(r.signed_note, r.tree_size, r.root_hash, "database", opts, report));
  const external = externalNotes
    ? await inChunks(externalNotes, (n) => checkNote(n.signedNote, n.treeSize, null, "external", opts, report))
    : null;
  return { database, external };
}

/** A log signed every minute has hundreds of thousands of checkpoints: verify them a few hundred at a time. */
async function inChunks<T, R>(items: T[], fn: (item: T) => Promise<R>, size = 256): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}
