import "server-only";
import { randomUUID } from "node:crypto";
import type { Db } from "../../db/client";
import { accessEvents } from "../../db/schema";
import { nodeHasher } from "../hash/node-sha256";
import { utf8Encode } from "../ledger/bytes";
import { canonicalize } from "../ledger/jcs";
import { extendLog, insertLogEntries, lockLog, readLogHead, type Queryable } from "./log-append";

export const ACCESS_ACTIONS = [
  "auth.sign_in",
  "auth.sign_in_failed",
  "auth.sign_out",
  "auth.sessions_revoked",
  "auth.sign_in_unlocked",
  "decisions.search",
  "decisions.view",
  "decisions.reveal_personal_data",
  "evidence.export",
  "evidence.list",
  "evidence.download",
  "integrity.view",
  "integrity.verify",
  "integrity.acknowledge_failure",
  "access_log.search",
  "users.create",
  "users.update",
  "api_keys.create",
  "api_keys.revoke",
  "checkpoint.create",
  "personal_data.erasure_request",
  "personal_data.erasure_approve",
  "personal_data.erasure_reject",
  "personal_data.detection_update",
  "personal_data.rotate_kek",
  "legal_holds.place",
  "legal_holds.release",
] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

export interface AccessEventInput {
  action: AccessAction;
  outcome: "success" | "failure" | "denied";
  user?: { id?: string; email?: string; role?: string } | null;
  /** The record, query, user or key concerned, as a short string (e.g. a decision id). */
  target?: string | null;
  /** Structured detail: the filters searched, the reason given for a reveal, the manifest hash of an export. */
  details?: Record<string, unknown>;
  ip?: string | null;
  userAgent?: string | null;
}

export interface AccessEventRecord {
  id: string;
  seq: number;
  recordedAt: Date;
}

/**
 * Appends one entry to the access log, in its own transaction or inside the caller's
 * (`tx`), so that an admin change and its log entry commit or roll back together.
 */
export async function appendAccessEvent(db: Db | Queryable, input: AccessEventInput, tx?: Queryable): Promise<AccessEventRecord> {
  const run = async (q: Queryable): Promise<AccessEventRecord> => {
    const id = randomUUID();
    const recordedAt = new Date();
    const event = {
      id,
      at: recordedAt.toISOString(),
      action: input.action,
      outcome: input.outcome,
      user: input.user ? { id: input.user.id ?? null, email: input.user.email ?? null, role: input.user.role ?? null } : null,
      target: input.target ?? null,
      details: input.details ?? {},
      ip: input.ip ?? null,
      userAgent: input.userAgent ?? null,
    };
    const canonical = canonicalize(event);
    await lockLog(q, "access");
    const head = await readLogHead(q, "access");
    const { appended, nodes } = extendLog(head, [{ entryId: id, recordedAt, leafHash: nodeHasher.hashLeaf(utf8Encode(canonical)) }]);
    await insertLogEntries(q, "access", appended, nodes);
    const seq = appended[0]!.seq;
    await q.insert(accessEvents).values({
      seq,
      id,
      recordedAt,
      canonical,
      event,
      action: input.action,
      outcome: input.outcome,
      userId: input.user?.id ?? null,
      userEmail: input.user?.email ?? null,
      target: input.target ?? null,
      ip: input.ip ?? null,
    });
    return { id, seq, recordedAt };
  };
  if (tx) return run(tx);
  return (db as Db).transaction((t) => run(t));
}
