import "server-only";
import { STORAGE_LIMITS } from "../ledger/json-value";
import { MAX_BATCH } from "../ledger-store/append-decisions";

/** Per-request limits of POST /api/v1/decisions (the OpenAPI document and docs/ingest-api.md quote these). */
export const INGEST_LIMITS = {
  maxBytes: 5 * 1024 * 1024,
  maxStatements: MAX_BATCH,
  /** Nesting of one statement (the statement object is level 1); a batch array adds one level. */
  maxDepth: STORAGE_LIMITS.maxDepth,
  maxStringBytes: STORAGE_LIMITS.maxStringBytes,
} as const;

/** The xAPI version this API speaks; sent on every ingest response, as an LRS does. */
export const XAPI_VERSION = "2.0.0";

/** The scope an API key needs to append decisions. */
export const INGEST_SCOPE = "ingest";
