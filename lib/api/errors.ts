import "server-only";
/**
 * The one error shape of the public HTTP API (documented in the OpenAPI document):
 *
 *   { "error": { "status": 400, "code": "invalid_statements", "message": "…",
 *                "problems": [{ "index": 0, "pointer": "/verb/id", "message": "…" }],
 *                "requestId": "…", "location"?: { "line", "column", "byteOffset" } } }
 *
 * `problems` is always present (empty when the problem is not about one statement);
 * `index` is the position in the submitted batch, 0 for a single statement.
 */

export interface ApiProblem {
  index: number;
  /** RFC 6901 JSON pointer into the statement at `index` ("" is the statement itself). */
  pointer: string;
  message: string;
}

/** Where in the request body a syntax problem is: 1-based line and column, 0-based byte offset. */
export interface BodyLocation {
  line: number;
  column: number;
  byteOffset: number;
}

/** Every error code the API answers with, and what a client should do about it. */
export const API_ERROR_CODES = {
  unauthenticated: "401: no API key, or the key is unknown or revoked. Send Authorization: Bearer <key>.",
  insufficient_scope: "403: the API key is valid but its scope does not allow this request.",
  unsupported_media_type: "415: send Content-Type: application/json (charset, if given, must be utf-8).",
  payload_too_large: "413: the body is larger than the byte limit. Split the batch.",
  too_many_statements: "413: the batch has more statements than the per-request limit. Split the batch.",
  invalid_encoding: "400: the body is not valid UTF-8; `location.byteOffset` names the first bad byte.",
  invalid_json: "400: the body is not valid JSON; `location` names where parsing stopped.",
  duplicate_key: "400: an object has the same member name twice (I-JSON, RFC 7493); `location` names the second.",
  too_deep: "400: objects and arrays are nested deeper than the limit.",
  invalid_body: "400: the body must be one statement object or a non-empty array of statements.",
  invalid_statements: "400: one or more statements are invalid; `problems` names each by batch index and JSON pointer. Nothing was stored.",
  invalid_parameter: "400: a query parameter is invalid; the message names it.",
  conflict: "409: a statement id is already stored with different content. Nothing was stored.",
  rate_limited: "429: the API key is over its rate limit. Retry after Retry-After seconds; nothing was stored.",
  not_found: "404: nothing to return yet (e.g. no checkpoint has been signed).",
  unavailable: "503: the database cannot be reached. Retry later.",
  internal_error: "500: an unexpected server error. Quote the requestId when reporting it.",
} as const;
export type ApiErrorCode = keyof typeof API_ERROR_CODES;

/** A refusal that is the client's to fix (4xx) or a known server condition (503). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly problems: ApiProblem[] = [],
    readonly extra: { location?: BodyLocation; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function errorBody(error: ApiError, requestId: string) {
  return {
    error: {
      status: error.status,
      code: error.code,
      message: error.message,
      problems: error.problems,
      requestId,
      ...(error.extra.location ? { location: error.extra.location } : {}),
    },
  };
}

export function errorResponse(error: ApiError, requestId: string, headers: Record<string, string> = {}): Response {
  return Response.json(errorBody(error, requestId), {
    status: error.status,
    headers: { "cache-control": "no-store", "x-request-id": requestId, ...headers, ...error.extra.headers },
  });
}

/**
 * A failure the client cannot fix. Logged with the request id; the response carries only
 * the id, never the message or stack (they may name tables, paths or secrets).
 */
export function internalErrorResponse(error: unknown, requestId: string, headers: Record<string, string> = {}): Response {
  console.error(`[decision-ledger] request ${requestId} failed:`, error);
  return errorResponse(
    new ApiError(500, "internal_error", `The server could not complete the request. Quote request id ${requestId} when reporting it.`),
    requestId,
    headers,
  );
}
