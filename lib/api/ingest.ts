import "server-only";
import { randomUUID } from "node:crypto";
import { DatabaseUnavailableError, type Db } from "../../db/client";
import { appendDecisions } from "../ledger-store/append-decisions";
import type { PersonalDataKeys } from "../privacy/personal-data-keys";
import { LedgerConflictError, LedgerInputError } from "../ledger-store/errors";
import { verifyApiKey } from "../services/api-keys";
import { ApiError, errorResponse, internalErrorResponse } from "./errors";
import { INGEST_LIMITS, INGEST_SCOPE, XAPI_VERSION } from "./limits";
import { ingestRateLimitFromConfig, type TokenBuckets } from "./rate-limit";
import { readJsonBody } from "./read-json-body";

export interface StoredStatement {
  index: number;
  id: string;
  seq: number;
  leafHash: string;
  created: boolean;
  /** RFC 6901 pointers whose values were treated as personal: stored as commitments, encrypted elsewhere. */
  personalPointers: string[];
}

export interface IngestResponseBody {
  stored: StoredStatement[];
  treeSize: number;
}

export interface IngestDeps {
  getDb: () => Promise<Db>;
  getPersonalDataKeys: () => Promise<PersonalDataKeys>;
  now?: () => Date;
  /** Requests per API key; default: as configured (lib/server/config.ts), built on the first request. */
  rateLimit?: TokenBuckets;
}

const WWW_AUTHENTICATE = 'Bearer realm="decision-ledger"';

/** The key presented as `Authorization: Bearer <key>` (scheme case-insensitive, RFC 6750 §2.1), or null. */
export function bearerToken(header: string | null): string | null {
  const m = header ? /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header) : null;
  return m ? m[1]! : null;
}

/**
 * POST /api/v1/decisions. Order matters: the API key and its rate limit are checked before the
 * body is read (an anonymous or over-eager client cannot make the server buffer 5 MB), the body is refused as a whole
 * on any problem, and the append itself is one transaction (appendDecisions), so a response
 * other than 200/201 means nothing was stored.
 */
export function createIngestHandler(deps: IngestDeps): (req: Request) => Promise<Response> {
  let rateLimit = deps.rateLimit;
  return async (req) => {
    const requestId = randomUUID();
    const headers = { "x-experience-api-version": XAPI_VERSION };
    try {
      const db = await deps.getDb();

      const secret = bearerToken(req.headers.get("authorization"));
      if (!secret) {
        throw new ApiError(401, "unauthenticated", "Send your ingest API key as Authorization: Bearer <key>", [], {
          headers: { "www-authenticate": WWW_AUTHENTICATE },
        });
      }
      const key = await verifyApiKey(db, secret);
      if (!key) {
        throw new ApiError(401, "unauthenticated", "The API key is unknown or has been revoked", [], {
          headers: { "www-authenticate": `${WWW_AUTHENTICATE}, error="invalid_token"` },
        });
      }
      // Only "ingest" exists today; the check keeps a future read-only scope from writing.
      if ((key.scope as string) !== INGEST_SCOPE) {
        throw new ApiError(403, "insufficient_scope", `The API key's scope "${key.scope}" does not allow appending decisions (needs "${INGEST_SCOPE}")`, [], {
          headers: { "www-authenticate": `${WWW_AUTHENTICATE}, error="insufficient_scope", scope="${INGEST_SCOPE}"` },
        });
      }

      // Per key, before the body is read: a key over its rate costs the server no body buffering.
      rateLimit ??= ingestRateLimitFromConfig();
      const decision = rateLimit.take(key.id);
      if (!decision.ok) {
        throw new ApiError(429, "rate_limited", `This API key is over its rate limit; retry in ${decision.retryAfterSeconds} s. Nothing was stored`, [], {
          headers: { "retry-after": String(decision.retryAfterSeconds) },
        });
      }

      const body = await readJsonBody(req, { maxBytes: INGEST_LIMITS.maxBytes, maxDepth: INGEST_LIMITS.maxDepth, arrayBonus: 1 });
      const items = toStatementList(body);
      const result = await appendDecisions(db, await deps.getPersonalDataKeys(), items, { name: key.owner }, deps.now?.());

      const responseBody: IngestResponseBody = {
        stored: result.records.map((r, index) => ({ index, id: r.id, seq: r.seq, leafHash: r.leafHash, created: r.created, personalPointers: r.personalPointers })),
        treeSize: result.treeSize,
      };
      return Response.json(responseBody, {
        status: result.records.some((r) => r.created) ? 201 : 200,
        headers: { ...headers, "cache-control": "no-store", "x-request-id": requestId },
      });
    } catch (error) {
      return respondToError(error, requestId, headers);
    }
  };
}

function respondToError(error: unknown, requestId: string, headers: Record<string, string>): Response {
  const apiError = toApiError(error);
  return apiError ? errorResponse(apiError, requestId, headers) : internalErrorResponse(error, requestId, headers);
}

/** The refusals the ledger and the database raise, as API errors; null for a real server failure. */
function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (error instanceof LedgerInputError) {
    return new ApiError(400, "invalid_statements", `${error.errors.length} problem(s) in the submitted statements; nothing was stored`, error.errors);
  }
  if (error instanceof LedgerConflictError) {
    return new ApiError(409, "conflict", "A statement id is already stored with different content; nothing was stored", error.errors);
  }
  if (error instanceof DatabaseUnavailableError || isConnectionFailure(error)) {
    console.error("[decision-ledger] ingest: database unavailable:", (error as Error).message);
    return new ApiError(503, "unavailable", "The ledger database cannot be reached; retry later", [], { headers: { "retry-after": "5" } });
  }
  return null;
}

// Connection-level failures of postgres.js / node sockets and "server going away" SQLSTATEs:
// the client should retry, and nothing was committed.
const CONNECTION_FAILURES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT", "57P01", "57P03", "53300"]);

function isConnectionFailure(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_FAILURES.has(code)) return true;
  }
  return false;
}

/** One statement object or a non-empty array of at most MAX_BATCH statements. */
function toStatementList(body: unknown): unknown[] {
  if (Array.isArray(body)) {
    if (body.length === 0) throw new ApiError(400, "invalid_body", "The batch is empty: send at least one statement");
    if (body.length > INGEST_LIMITS.maxStatements) {
      throw new ApiError(
        413,
        "too_many_statements",
        `The batch has ${body.length.toLocaleString("en-US")} statements; at most ${INGEST_LIMITS.maxStatements.toLocaleString("en-US")} are accepted per request`,
      );
    }
    return body;
  }
  if (body !== null && typeof body === "object") return [body];
  throw new ApiError(400, "invalid_body", `The body is ${body === null ? "null" : `a ${typeof body}`}: send a statement object or an array of statements`);
}
