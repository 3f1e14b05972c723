import "server-only";
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { executeSql, queryRows, type Db } from "../../db/client";
import { bigintColumn, byteaColumn } from "../../db/rows/columns";
import { decisions } from "../../db/schema";
import { nodeHasher } from "../hash/node-sha256";
import { toHex, utf8Encode, type Hash } from "../ledger/bytes";
import { canonicalize } from "../ledger/jcs";
import { deriveDecisionColumns } from "../ledger/xapi/derived-columns";
import { contentWithoutServerFields, prepareStatement } from "../ledger/xapi/server-fields";
import type { XapiAgent, XapiStatement } from "../ledger/xapi/types";
import { validateStatement } from "../ledger/xapi/validate";
import { LedgerConflictError, LedgerInputError, type ItemError } from "./errors";
import { extendLog, insertLogEntries, lockLog, readLogHead } from "./log-append";

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
}

export interface AppendResult {
  records: AppendedDecision[];
  treeSize: number;
}

export const MAX_BATCH = 1000;

interface PreparedDecision {
  index: number;
  id: string;
  statement: XapiStatement;
  canonical: string;
  leafHash: Hash;
}

/**
 * Appends a batch of xAPI decision statements to the ledger. The batch is atomic: every
 * statement is validated first and any invalid item refuses the whole batch (400); an id
 * that exists with different content refuses it too (409). A retried id with identical
 * content returns the stored record. Safe under concurrent writers (see lockLog).
 */
export async function appendDecisions(db: Db, inputs: unknown[], writer: Writer, now: Date = new Date()): Promise<AppendResult> {
  if (inputs.length === 0) throw new LedgerInputError([{ index: 0, pointer: "", message: "the batch is empty" }]);
  if (inputs.length > MAX_BATCH)
    throw new LedgerInputError([{ index: MAX_BATCH, pointer: "", message: `at most ${MAX_BATCH} statements per request` }]);

  const errors: ItemError[] = [];
  const prepared: PreparedDecision[] = [];
  const authority = authorityOf(writer);
  const stored = now.toISOString();
  const firstIndexOfId = new Map<string, number>();
  inputs.forEach((input, index) => {
    const result = validateStatement(input);
    if (!result.ok) {
      for (const e of result.errors) errors.push({ index, ...e });
      return;
    }
    const statement = prepareStatement(result.statement, { id: result.statement.id ?? randomUUID(), stored, authority });
    const id = statement.id!.toLowerCase();
    const earlier = firstIndexOfId.get(id);
    if (earlier !== undefined) {
      errors.push({ index, pointer: "/id", message: `duplicate id ${id} in this batch (also at index ${earlier})` });
      return;
    }
    firstIndexOfId.set(id, index);
    const canonical = canonicalize(statement);
    prepared.push({
      index,
      id,
      statement,
      canonical,
      leafHash: nodeHasher.hashLeaf(utf8Encode(canonical)),
    });
  });
  if (errors.length > 0) throw new LedgerInputError(errors);

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
      } else if (sameContent(found.statement, p.statement)) {
        records.set(p.index, { id: p.id, seq: found.seq, leafHash: found.leafHash, created: false });
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
    const rows = fresh.map((p, i) => {
      const c = deriveDecisionColumns(p.statement);
      return {
        seq: appended[i]!.seq,
        id: p.id,
        recordedAt: now,
        canonical: p.canonical,
        statement: p.statement,
        writer: writer.name,
        ...c,
      };
    });
    for (let i = 0; i < rows.length; i += 500) await tx.insert(decisions).values(rows.slice(i, i + 500));
    fresh.forEach((p, i) => {
      records.set(p.index, { id: p.id, seq: appended[i]!.seq, leafHash: toHex(p.leafHash), created: true });
    });
    return { records: prepared.map((p) => records.get(p.index)!), treeSize: newHead.size };
  });
}

/**
 * "Same content" for a retried id: equal canonical forms without `stored` (the server's
 * timestamp differs between attempts). Computed only for ids already stored: retries are
 * rare, and canonicalising every statement a second time cost a tenth of an append.
 */
function sameContent(stored: XapiStatement, retried: XapiStatement): boolean {
  return canonicalize(contentWithoutServerFields(stored)) === canonicalize(contentWithoutServerFields(retried));
}

const existingRow = z.object({ entry_id: z.string(), seq: bigintColumn, leaf_hash: byteaColumn, canonical: z.string() });

async function readExisting(
  tx: Pick<Db, "execute">,
  ids: string[],
): Promise<Map<string, { seq: number; leafHash: string; statement: XapiStatement }>> {
  const found = new Map<string, { seq: number; leafHash: string; statement: XapiStatement }>();
  if (ids.length === 0) return found;
  // One parameter for the whole list (ids are validated UUIDs): cheaper to build and bind
  // than a thousand, and the plan is the same index lookup per id.
  const rows = await queryRows(
    tx,
    sql`select e.entry_id, e.seq, e.leaf_hash, d.canonical
        from log_entries e join decisions d on d.seq = e.seq and d.recorded_at = e.recorded_at
        where e.log_id = 'decisions' and e.entry_id = any(string_to_array(${ids.join(",")}, ',')::uuid[])`,
    existingRow,
  );
  for (const r of rows) {
    found.set(r.entry_id, {
      seq: r.seq,
      leafHash: toHex(r.leaf_hash),
      statement: JSON.parse(r.canonical) as XapiStatement,
    });
  }
  return found;
}

/** The month's partition must exist before the insert; the function is a no-op when it does. */
async function ensurePartition(tx: Pick<Db, "execute">, at: Date): Promise<void> {
  await executeSql(tx, sql`select ledger_ensure_decisions_partition(${at.toISOString()}::timestamptz)`);
}
