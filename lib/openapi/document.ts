import "server-only";
import { z } from "zod";
import { API_ERROR_CODES, type ApiErrorCode } from "../api/errors";
import { INGEST_LIMITS, INGEST_SCOPE, XAPI_VERSION } from "../api/limits";
import { ruleFor, type HttpMethod } from "../auth/route-rules";
import { LOG_IDS } from "../ledger/log-id";
import { PROFILE_EXAMPLES } from "../ledger/profile-examples";
import { xapiStatementSchema } from "../ledger/xapi/schema";
import { DASHBOARD_PATHS } from "./dashboard-paths";

/**
 * The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json. Limits, error
 * codes, examples and the statement schema come from the code that enforces them (the
 * statement schema is generated from the same zod schema the ingest path validates with),
 * so the description cannot drift from the behaviour. tests/api/openapi.test.ts checks that
 * every route under app/api/v1 is described.
 */

type Json = Record<string, unknown>;

const PROFILE_DOC = "docs/decision-profile.md";

/** JSON Schema (2020-12, OpenAPI 3.1's dialect) of a statement, generated from the validator's schema. */
function statementSchema(): Json {
  const generated = z.toJSONSchema(xapiStatementSchema, { target: "draft-2020-12", unrepresentable: "any", io: "input" }) as Json;
  delete generated.$schema;
  return {
    ...generated,
    title: "Decision statement (xAPI 2.0)",
    description:
      `One AI decision as an xAPI 2.0 statement following the Decision Ledger profile (${PROFILE_DOC}): ` +
      "who decided (actor; an AI system is an Agent whose account.homePage is listed in the ai-systems context extension), " +
      "what (verb, object), the outcome (result), and the model, inputs by reference, reviewers and personal-data markers (context). " +
      "`id` is optional (a UUID is assigned when absent) but recommended: retrying with the same id is idempotent. " +
      "`stored` and `authority` are set by the ledger (authority = the API key's owner); values sent by the client are replaced. " +
      `Beyond the schema: strings are at most ${INGEST_LIMITS.maxStringBytes} UTF-8 bytes, nesting at most ${INGEST_LIMITS.maxDepth} levels, ` +
      "no U+0000 or lone surrogates, integers within ±(2^53−1), an Agent has exactly one identifier, and object member names are unique.",
  };
}

function errorResponse(description: string, codes: ApiErrorCode[], extraHeaders: Json = {}): Json {
  return {
    description: `${description} Codes: ${codes.map((c) => `\`${c}\``).join(", ")}.`,
    headers: { "X-Request-Id": { $ref: "#/components/headers/RequestId" }, ...extraHeaders },
    content: {
      "application/json": {
        schema: { $ref: "#/components/schemas/Error" },
        examples: Object.fromEntries(codes.map((code) => [code, { summary: API_ERROR_CODES[code], value: ERROR_EXAMPLES[code] }])),
      },
    },
  };
}

const exampleError = (status: number, code: ApiErrorCode, message: string, extra: Json = {}) => ({
  error: { status, code, message, problems: [], requestId: "3f1c2a9e-8d7b-4e6f-9a1b-2c3d4e5f6a7b", ...extra },
});

const ERROR_EXAMPLES: Record<ApiErrorCode, Json> = {
  unauthenticated: exampleError(401, "unauthenticated", "The API key is unknown or has been revoked"),
  insufficient_scope: exampleError(403, "insufficient_scope", 'The API key\'s scope "read" does not allow appending decisions (needs "ingest")'),
  unsupported_media_type: exampleError(415, "unsupported_media_type", 'Content-Type "text/plain" is not accepted: send application/json'),
  payload_too_large: exampleError(413, "payload_too_large", "The body is larger than 5,242,880 bytes; split the batch into smaller requests"),
  too_many_statements: exampleError(413, "too_many_statements", "The batch has 1,200 statements; at most 1,000 are accepted per request"),
  invalid_encoding: exampleError(400, "invalid_encoding", "the body is not valid UTF-8: malformed byte sequence at byte offset 57", {
    location: { line: 3, column: 12, byteOffset: 57 },
  }),
  invalid_json: exampleError(400, "invalid_json", 'Invalid JSON at line 4, column 3 (byte offset 61): trailing comma before "}"', {
    location: { line: 4, column: 3, byteOffset: 61 },
  }),
  duplicate_key: exampleError(400, "duplicate_key", 'Invalid JSON at line 1, column 52 (byte offset 51): duplicate member name "verb" in the same object', {
    location: { line: 1, column: 52, byteOffset: 51 },
  }),
  too_deep: exampleError(400, "too_deep", "Invalid JSON at line 1, column 33 (byte offset 32): objects and arrays are nested deeper than 32 levels", {
    location: { line: 1, column: 33, byteOffset: 32 },
  }),
  invalid_body: exampleError(400, "invalid_body", "The batch is empty: send at least one statement"),
  invalid_statements: {
    error: {
      status: 400,
      code: "invalid_statements",
      message: "4 problem(s) in the submitted statements; nothing was stored",
      problems: [
        { index: 0, pointer: "/timestamp", message: "must be an RFC 3339 date-time with an offset (Z or ±hh:mm), e.g. 2025-02-13T14:23:17.234Z" },
        { index: 1, pointer: "/result/response", message: "holds a personal-data commitment form (pd:v1:…) that only the ledger writes" },
        {
          index: 2,
          pointer: "/context/extensions/https:~1~1decision-ledger.dev~1xapi~1ext~1personal-data-format",
          message: "is set by the ledger at ingest; leave it out",
        },
        { index: 3, pointer: "/id", message: "duplicate id 0b6a5e8e-3c1f-4d7a-9e2b-5f8c1d2e3a4b in this batch (also at index 1)" },
      ],
      requestId: "3f1c2a9e-8d7b-4e6f-9a1b-2c3d4e5f6a7b",
    },
  },
  invalid_parameter: exampleError(400, "invalid_parameter", "Query parameter log: log must be one of: decisions, access"),
  conflict: {
    error: {
      status: 409,
      code: "conflict",
      message: "A statement id is already stored with different content; nothing was stored",
      problems: [{ index: 0, pointer: "/id", message: "id ca5711cc-ea3f-46f7-a748-d315cbe1bb8e is already stored (sequence 1041) with different content" }],
      requestId: "3f1c2a9e-8d7b-4e6f-9a1b-2c3d4e5f6a7b",
    },
  },
  not_found: exampleError(404, "not_found", "No checkpoint of the decisions log has been signed yet"),
  unavailable: exampleError(503, "unavailable", "The ledger database cannot be reached; retry later"),
  rate_limited: exampleError(429, "rate_limited", "This API key is over its rate limit; retry in 1 s. Nothing was stored"),
  internal_error: exampleError(500, "internal_error", "The server could not complete the request. Quote request id 3f1c2a9e-8d7b-4e6f-9a1b-2c3d4e5f6a7b when reporting it."),
};

const XAPI_HEADER = { "X-Experience-API-Version": { $ref: "#/components/headers/XapiVersion" } };

/**
 * Adds `x-access` to every operation: who may call it, straight from lib/auth/route-rules.ts
 * (a permission of lib/auth/permissions.ts, "api_key" or "public"), so the description and the
 * enforced rule are one.
 */
function withAccess(paths: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(
    Object.entries(paths).map(([openApiPath, item]) => {
      const pattern = openApiPath.replace(/\{([^}]+)\}/g, "[$1]");
      const ops = Object.entries(item).map(([method, op]) => {
        const access = ruleFor(pattern, method.toUpperCase() as HttpMethod);
        return [method, access ? { ...(op as Json), "x-access": access } : op];
      });
      return [openApiPath, Object.fromEntries(ops)];
    }),
  );
}

/** POST /api/v1/decisions: the ingest API (API key). */
function ingestPaths(): Record<string, Json> {
  const maxMb = INGEST_LIMITS.maxBytes / (1024 * 1024);
  return {
    "/api/v1/decisions": {
      post: {
        tags: ["Ingest"],
        operationId: "appendDecisions",
        summary: "Append one decision statement or a batch",
        description:
          `Send one statement object or an array of 1 to ${INGEST_LIMITS.maxStatements} statements, at most ${maxMb} MiB ` +
          `(${INGEST_LIMITS.maxBytes} bytes) of UTF-8 JSON. A batch is atomic: if any statement is invalid, or an id is already ` +
          "stored with different content, nothing is stored. Retrying a statement with the same id and the same content is " +
          "safe: it is answered with the stored record (`created: false`). Statements are appended in the order sent.\n\n" +
          "Personal values (the profile's personal fields, human agents, identifiers detected in free text) are replaced by " +
          "salted commitments before hashing and stored encrypted apart from the log; each answer entry lists them in " +
          "`personalPointers`. Commitments are written by the ledger only: a statement containing the commitment form " +
          "(`pd:v1:…`, or an account with home page `https://decision-ledger.dev/xapi/pd/v1`) or the format extension " +
          "`https://decision-ledger.dev/xapi/ext/personal-data-format` is refused with 400 `invalid_statements`, naming the field. " +
          "See docs/privacy.md.\n\n" +
          `The API key needs the \`${INGEST_SCOPE}\` scope; its owner becomes each statement's xAPI \`authority\`.`,
        security: [{ ingestApiKey: [] }],
        parameters: [
          {
            name: "Content-Type",
            in: "header",
            required: true,
            description: "Must be application/json; a charset other than utf-8 is refused (415).",
            schema: { type: "string", examples: ["application/json", "application/json; charset=utf-8"] },
          },
        ],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                oneOf: [
                  { $ref: "#/components/schemas/Statement" },
                  { type: "array", minItems: 1, maxItems: INGEST_LIMITS.maxStatements, items: { $ref: "#/components/schemas/Statement" } },
                ],
              },
              examples: {
                single: { summary: "One statement (AI decision approved by a human)", value: PROFILE_EXAMPLES.loanDenialHumanApproved },
                batch: {
                  summary: "A batch of statements",
                  value: [PROFILE_EXAMPLES.moderationFlagAiOnly, PROFILE_EXAMPLES.clinicalTriageAiAssisted],
                },
              },
            },
          },
        },
        responses: {
          "201": {
            description: "At least one statement was newly appended. `stored` lists every submitted statement in order.",
            headers: { ...XAPI_HEADER, "X-Request-Id": { $ref: "#/components/headers/RequestId" } },
            content: { "application/json": { schema: { $ref: "#/components/schemas/IngestResult" } } },
          },
          "200": {
            description: "Every statement was already stored with the same content (an idempotent retry); nothing new was appended.",
            headers: { ...XAPI_HEADER, "X-Request-Id": { $ref: "#/components/headers/RequestId" } },
            content: { "application/json": { schema: { $ref: "#/components/schemas/IngestResult" } } },
          },
          "400": errorResponse(
            "The body or a statement is invalid (including a commitment form or the personal-data format extension sent by the producer); nothing was stored.",
            ["invalid_encoding", "invalid_json", "duplicate_key", "too_deep", "invalid_body", "invalid_statements"],
            XAPI_HEADER,
          ),
          "401": errorResponse("No API key, or an unknown or revoked one.", ["unauthenticated"], {
            ...XAPI_HEADER,
            "WWW-Authenticate": { description: 'Bearer realm="decision-ledger" (with error="invalid_token" for a bad key).', schema: { type: "string" } },
          }),
          "403": errorResponse("The key's scope does not allow appending.", ["insufficient_scope"], XAPI_HEADER),
          "409": errorResponse("An id is already stored with different content; nothing was stored.", ["conflict"], XAPI_HEADER),
          "413": errorResponse("Too many bytes or too many statements; split the batch.", ["payload_too_large", "too_many_statements"], XAPI_HEADER),
          "415": errorResponse("Not a UTF-8 JSON body.", ["unsupported_media_type"], XAPI_HEADER),
          "429": errorResponse(
            "The API key sent more requests than its rate limit (INGEST_RATE_LIMIT_PER_SECOND, INGEST_RATE_LIMIT_BURST; requests, not statements, per app instance); nothing was stored.",
            ["rate_limited"],
            { ...XAPI_HEADER, "Retry-After": { description: "Seconds until the key may send again.", schema: { type: "integer" } } },
          ),
          "500": errorResponse("Unexpected server error; nothing about it is revealed but the request id.", ["internal_error"], XAPI_HEADER),
          "503": errorResponse("The database is unreachable; retry later.", ["unavailable"], {
            ...XAPI_HEADER,
            "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer" } },
          }),
        },
      },
    },
  };
}

/** The published verifier material (public): the verifier key and the latest checkpoints. */
function verificationPaths(): Record<string, Json> {
  return {
    "/api/v1/verifier-key": {
      get: {
        tags: ["Verification"],
        operationId: "getVerifierKey",
        summary: "The checkpoint verifier key",
        description:
          "The C2SP signed-note verifier key (`<name>+<key id>+<base64(0x01 || Ed25519 public key)>`) that signs this deployment's " +
          "checkpoints. Public; its URL is stable. Keep a copy: checkpoints fetched later must verify with it.",
        security: [],
        responses: {
          "200": {
            description: "The verifier key, one line.",
            headers: { "X-Request-Id": { $ref: "#/components/headers/RequestId" } },
            content: {
              "text/plain": {
                schema: { type: "string" },
                example: "decision-ledger.local+1a2b3c4d+AYXcR4ok3fYwzkIFz9hTLfsCXcjvHnDoUNIlIuCnEGVa\n",
              },
            },
          },
          "500": errorResponse("Unexpected server error.", ["internal_error"]),
        },
      },
    },
    "/api/v1/checkpoints/latest": {
      get: {
        tags: ["Verification"],
        operationId: "getLatestCheckpoint",
        summary: "The latest signed checkpoint of a log",
        description:
          "The most recent C2SP tlog-checkpoint of the log in a signed note, exactly as signed: origin line (`<origin>/<log>`), " +
          "tree size, base64 root hash, a blank line, then signature lines. Verify it with the verifier key; check that a later " +
          "checkpoint is consistent with one you kept. Public.",
        security: [],
        parameters: [
          {
            name: "log",
            in: "query",
            required: false,
            description: "Which log: `decisions` (the ingest API's records, default) or `access` (the dashboard's access log).",
            schema: { type: "string", enum: [...LOG_IDS], default: "decisions" },
          },
        ],
        responses: {
          "200": {
            description: "The signed checkpoint note.",
            headers: {
              "X-Request-Id": { $ref: "#/components/headers/RequestId" },
              "X-Log": { description: "The log of this checkpoint.", schema: { type: "string", enum: [...LOG_IDS] } },
              "X-Tree-Size": { description: "Number of records the checkpoint covers.", schema: { type: "integer", minimum: 1 } },
              "X-Checkpoint-Created-At": { description: "When it was signed (RFC 3339).", schema: { type: "string", format: "date-time" } },
            },
            content: {
              "text/plain": {
                schema: { type: "string" },
                example:
                  "decision-ledger.local/decisions\n20000\nq1tH0mZVQm6m0v5v5wqf3XHk6s0Yc3aJ0W9FvVdJb9A=\n\n— decision-ledger.local GisxPE9Qk2wR...\n",
              },
            },
          },
          "400": errorResponse("The log parameter is not one of the logs.", ["invalid_parameter"]),
          "404": errorResponse("No checkpoint of this log has been signed yet.", ["not_found"]),
          "500": errorResponse("Unexpected server error.", ["internal_error"]),
        },
      },
    },
  };
}

/** This description itself. */
function metaPaths(): Record<string, Json> {
  return {
    "/api/v1/openapi.json": {
      get: {
        tags: ["Meta"],
        operationId: "getOpenApiDocument",
        summary: "This OpenAPI document",
        security: [],
        responses: {
          "200": { description: "The OpenAPI 3.1 description of /api/v1.", content: { "application/json": { schema: { type: "object" } } } },
        },
      },
    },
  };
}

/** The two ways in: an ingest API key, or the dashboard session. */
function securitySchemes(): Json {
  return {
    ingestApiKey: {
      type: "http",
      scheme: "bearer",
      description:
        `An ingest API key (\`dl_live_…\`) with the \`${INGEST_SCOPE}\` scope, created by an administrator on the Admin → API keys page ` +
        "or with `npx decision-ledger create-api-key --owner <system>`. Send it as `Authorization: Bearer <key>`.",
    },
    dashboardSession: {
      type: "apiKey",
      in: "cookie",
      name: "next-auth.session-token",
      description:
        "The dashboard's sign-in session (`__Secure-next-auth.session-token` over HTTPS). The role's permissions decide " +
        "what each operation allows (`x-access`).",
    },
  };
}

function dashboardErrorSchema(): Json {
  return {
    type: "object",
    description: "Error answer of the dashboard endpoints and of the sign-in guard.",
    required: ["error", "message"],
    properties: {
      error: { type: "string", description: "Short code, e.g. unauthenticated, forbidden, not_found, invalid_request." },
      message: { type: "string" },
      missingPermissions: { type: "array", items: { type: "string" } },
      fields: { type: "object", additionalProperties: { type: "array", items: { type: "string" } } },
    },
  };
}

/** The answer of POST /api/v1/decisions. */
function ingestResultSchema(): Json {
  return {
    type: "object",
    required: ["stored", "treeSize"],
    additionalProperties: false,
    properties: {
      stored: {
        type: "array",
        description: "One entry per submitted statement, in the order sent.",
        items: {
          type: "object",
          required: ["index", "id", "seq", "leafHash", "created", "personalPointers"],
          additionalProperties: false,
          properties: {
            index: { type: "integer", minimum: 0, description: "Position in the submitted batch (0 for a single statement)." },
            id: { type: "string", format: "uuid", description: "The statement id (the submitted one, lower-cased, or the one assigned)." },
            seq: { type: "integer", minimum: 0, description: "Sequence number in the decisions log (= Merkle leaf index)." },
            leafHash: {
              type: "string",
              pattern: "^[0-9a-f]{64}$",
              description: "Hex SHA-256(0x00 || RFC 8785 canonical statement as stored), the RFC 9162 leaf hash.",
            },
            created: { type: "boolean", description: "false when this id was already stored with the same content." },
            personalPointers: {
              type: "array",
              items: { type: "string" },
              description:
                "RFC 6901 pointers (into the statement as sent) whose values were treated as personal data: stored as salted " +
                "commitments in the hashed record, the values encrypted apart from the log (docs/privacy.md).",
            },
          },
        },
      },
      treeSize: { type: "integer", minimum: 1, description: "Size of the decisions log after this request." },
    },
    example: {
      stored: [
        {
          index: 0,
          id: "ca5711cc-ea3f-46f7-a748-d315cbe1bb8e",
          seq: 1041,
          leafHash: "9f2c…",
          created: true,
          personalPointers: [
            "/context/extensions/https:~1~1decision-ledger.dev~1xapi~1ext~1subject",
            "/context/extensions/https:~1~1decision-ledger.dev~1xapi~1ext~1input-features/age_band",
            "/context/extensions/https:~1~1decision-ledger.dev~1xapi~1ext~1input-features/postcode_area",
            "/context/contextAgents/0/agent/name",
          ],
        },
      ],
      treeSize: 1042,
    },
  };
}

/** Every /api/v1 error answer: one shape whatever the code. */
function errorSchema(): Json {
  return {
    type: "object",
    required: ["error"],
    additionalProperties: false,
    properties: {
      error: {
        type: "object",
        required: ["status", "code", "message", "problems", "requestId"],
        additionalProperties: false,
        properties: {
          status: { type: "integer", description: "The HTTP status, repeated." },
          code: {
            type: "string",
            enum: Object.keys(API_ERROR_CODES),
            description: Object.entries(API_ERROR_CODES)
              .map(([code, meaning]) => `- \`${code}\`: ${meaning}`)
              .join("\n"),
          },
          message: { type: "string", description: "What is wrong and what to do, for people." },
          problems: {
            type: "array",
            description: "Problems with individual statements (empty when the problem is with the request as a whole).",
            items: {
              type: "object",
              required: ["index", "pointer", "message"],
              additionalProperties: false,
              properties: {
                index: { type: "integer", minimum: 0, description: "Position in the batch; 0 for a single statement." },
                pointer: { type: "string", description: 'RFC 6901 JSON pointer into that statement ("" = the statement itself).' },
                message: { type: "string" },
              },
            },
          },
          requestId: { type: "string", format: "uuid" },
          location: {
            type: "object",
            description: "For encoding and JSON syntax errors: where in the body.",
            required: ["line", "column", "byteOffset"],
            additionalProperties: false,
            properties: {
              line: { type: "integer", minimum: 1 },
              column: { type: "integer", minimum: 1 },
              byteOffset: { type: "integer", minimum: 0 },
            },
          },
        },
      },
    },
  };
}

export function buildOpenApiDocument(): Json {
  return {
    openapi: "3.1.0",
    info: {
      title: "Decision Ledger API",
      version: "1.0.0",
      summary: "Append AI decision records to a tamper-evident ledger and fetch the material to verify it.",
      description:
        "AI systems append decision records (xAPI statements) with an ingest API key. Every record is canonicalised (RFC 8785), " +
        "hashed into an append-only hash chain and an RFC 9162 Merkle tree, and covered by signed checkpoints (C2SP tlog-checkpoint) " +
        "that anyone can fetch and check with the published verifier key.\n\n" +
        "Errors always have the same shape (`Error`): a machine-readable `code`, a message for people, and `problems` naming each " +
        "invalid statement by its batch index and an RFC 6901 JSON pointer.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    servers: [{ url: "/", description: "This deployment" }],
    tags: [
      { name: "Ingest", description: "Append decision records (API key)." },
      { name: "Verification", description: "Published verifier material (public)." },
      { name: "Meta", description: "This description." },
      { name: "Dashboard", description: "JSON endpoints of the dashboard itself (signed-in session; `x-access` names the permission)." },
    ],
    paths: withAccess({ ...ingestPaths(), ...verificationPaths(), ...metaPaths(), ...DASHBOARD_PATHS }),
    components: {
      securitySchemes: securitySchemes(),
      responses: {
        InvalidParameter: errorResponse("A path or query parameter is invalid.", ["invalid_parameter"]),
        NotFound: errorResponse("Nothing with this id.", ["not_found"]),
      },
      headers: {
        XapiVersion: { description: "The xAPI version of the response.", schema: { type: "string", const: XAPI_VERSION } },
        RequestId: { description: "Identifies the request in the server log; quote it when reporting a problem.", schema: { type: "string", format: "uuid" } },
      },
      schemas: {
        Statement: statementSchema(),
        DashboardError: dashboardErrorSchema(),
        IngestResult: ingestResultSchema(),
        Error: errorSchema(),
      },
    },
  };
}
