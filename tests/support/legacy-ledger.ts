import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { executeSql, type Db } from "../../db/client";
import { decisions } from "../../db/schema";
import { nodeHasher } from "../../lib/hash/node-sha256";
import { toHex, utf8Encode } from "../../lib/ledger/bytes";
import { canonicalize } from "../../lib/ledger/jcs";
import { deriveDecisionColumns } from "../../lib/ledger/xapi/derived-columns";
import { prepareStatement } from "../../lib/ledger/xapi/server-fields";
import type { XapiStatement } from "../../lib/ledger/xapi/types";
import { validateStatement } from "../../lib/ledger/xapi/validate";
import { authorityOf, type Writer } from "../../lib/ledger-store/append-decisions";
import { insertRowsAsJson } from "../../lib/ledger-store/insert-json-rows";
import { extendLog, insertLogEntries, lockLog, readLogHead } from "../../lib/ledger-store/log-append";

export interface LegacyAppendedDecision {
  id: string;
  seq: number;
  leafHash: string;
}

export interface LegacyAppendResult {
  records: LegacyAppendedDecision[];
  treeSize: number;
}

/**
 * Writes decisions exactly as the release before "privacy by construction" did (personal
 * data format 0): the prepared statement itself is canonicalised and hashed, so its personal
 * values are plaintext in `canonical` and the derived columns; no openings, no
 * lookups, `content_digest` null. It stands in for a ledger written before the change, so the
 * new code can be checked against real old records (and the benchmark has its baseline).
 *
 * Same log primitives as appendDecisions (lock, head, extendLog, entries, partition), so old
 * and new records interleave in one log. Unlike the old path it does not look for retried
 * ids: a fixture writes fresh ids, and a duplicate fails on the primary key.
 */
export async function appendLegacyDecisions(
  db: Db,
  statements: unknown[],
  writer: Writer,
  now: Date = new Date(),
): Promise<LegacyAppendResult> {
  const prepared = statements.map((input, index) => prepareLegacy(input, index, writer, now));
  return db.transaction(async (tx) => {
    await lockLog(tx, "decisions");
    const head = await readLogHead(tx, "decisions");
    const { appended, nodes, head: newHead } = extendLog(
      head,
      prepared.map((p) => ({ entryId: p.id, recordedAt: now, leafHash: p.leafHash })),
    );
    await executeSql(tx, sql`select ledger_ensure_decisions_partition(${now.toISOString()}::timestamptz)`);
    await insertLogEntries(tx, "decisions", appended, nodes);
    const rows = prepared.map((p, i) => ({
      seq: appended[i]!.seq,
      id: p.id,
      recordedAt: now,
      canonical: p.canonical,
      writer: writer.name,
      contentDigest: null,
      ...deriveDecisionColumns(p.statement),
    }));
    await insertRowsAsJson(tx, decisions, rows);
    return {
      records: prepared.map((p, i) => ({ id: p.id, seq: appended[i]!.seq, leafHash: toHex(p.leafHash) })),
      treeSize: newHead.size,
    };
  });
}

function prepareLegacy(input: unknown, index: number, writer: Writer, now: Date) {
  const result = validateStatement(input);
  if (!result.ok) throw new Error(`legacy statement ${index} is invalid: ${result.errors.map((e) => `${e.pointer} ${e.message}`).join("; ")}`);
  const statement: XapiStatement = prepareStatement(result.statement, {
    id: result.statement.id ?? randomUUID(),
    stored: now.toISOString(),
    authority: authorityOf(writer),
  });
  const canonical = canonicalize(statement);
  return { id: statement.id!.toLowerCase(), statement, canonical, leafHash: nodeHasher.hashLeaf(utf8Encode(canonical)) };
}
