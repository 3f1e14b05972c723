/**
 * The fields xAPI reserves for the LRS (id when absent, stored, authority): how the
 * server sets them, and what "the same statement" means when a writer retries an id.
 */
import { isRfc3339Timestamp, isUuid } from "./syntax";
import type { XapiAgent, XapiGroup, XapiStatement } from "./types";

export interface PrepareOptions {
  /** Used when the statement has no id; defaults to crypto.randomUUID(). */
  id?: string;
  /** When the ledger stored it (RFC 3339). */
  stored: string;
  /** Who asserted it: derived from the credentials, never from the client. */
  authority: XapiAgent | XapiGroup;
}

/**
 * Sets the fields xAPI reserves for the LRS: keeps the client's id (or assigns one) and
 * always overwrites stored and authority, so a client cannot back-date storage or claim
 * to be another writer. Returns a deep copy; the input is not modified.
 */
export function prepareStatement(statement: XapiStatement, options: PrepareOptions): XapiStatement {
  if (!isRfc3339Timestamp(options.stored)) throw new TypeError(`prepareStatement: stored is not an RFC 3339 timestamp: ${options.stored}`);
  const id = statement.id ?? options.id ?? globalThis.crypto.randomUUID();
  if (!isUuid(id)) throw new TypeError(`prepareStatement: id is not a UUID: ${id}`);
  const copy = structuredClone(statement) as XapiStatement;
  delete copy.stored;
  delete copy.authority;
  return { id, ...copy, stored: options.stored, authority: structuredClone(options.authority) };
}

/**
 * The statement without `stored`: what "same content" means when a writer retries an id.
 * Authority stays in: the same id asserted by a different writer is a different record.
 */
export function contentWithoutServerFields(statement: XapiStatement): Omit<XapiStatement, "stored"> {
  const { stored: _stored, ...content } = statement;
  void _stored;
  return content;
}
