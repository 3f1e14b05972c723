import "server-only";
/**
 * OpenAPI entries of the dashboard's own JSON endpoints (used by its pages; they need a
 * signed-in session, not an API key). Kept apart from the public API in document.ts so the
 * owners of these routes can keep their entries current: tests/api/openapi.test.ts fails when a
 * route under app/api/v1 is not described here or in document.ts. The permission each
 * operation needs is added by document.ts from lib/auth/route-rules.ts (`x-access`).
 */

type Json = Record<string, unknown>;

const SESSION = [{ dashboardSession: [] }];

const uuidParam = (description: string): Json => ({
  name: "id",
  in: "path",
  required: true,
  description,
  schema: { type: "string", format: "uuid" },
});

const dashboardError = (description: string): Json => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/DashboardError" } } },
});

/** 401/403 as answered by the guard (lib/auth/guard.ts withPermission). */
const GUARD_RESPONSES = {
  "401": dashboardError("Not signed in, or the session expired."),
  "403": dashboardError("The role lacks the permission (`missingPermissions` names it)."),
};

const runView: Json = {
  type: "object",
  description:
    "A verification run: id, status (queued, running, passed, failed, interrupted, error), finished, trigger (user or schedule), " +
    "scope (all or range), logIds, progress (recordsChecked, recordsTotal, recordsPerSecond, etaSeconds, checkpointsChecked), " +
    "failureCount and firstFailure, error, and the requested/started/finished/acknowledged times (RFC 3339).",
  required: ["id", "status", "finished"],
  properties: {
    id: { type: "string", format: "uuid" },
    status: { type: "string" },
    finished: { type: "boolean" },
    failureCount: { type: "integer" },
  },
};

const exportView: Json = {
  type: "object",
  description:
    "An evidence export job: id, status, finished, description of the selection, personalData (included or withheld), progress " +
    "(recordsTotal, recordsDone), fileSize, manifestSha256, error, requestedAt, finishedAt, fileName, and downloadUrl once the bundle is ready.",
  required: ["id", "status", "finished"],
  properties: {
    id: { type: "string", format: "uuid" },
    status: { type: "string" },
    finished: { type: "boolean" },
    downloadUrl: { type: ["string", "null"] },
  },
};

export const DASHBOARD_PATHS: Record<string, Json> = {
  "/api/v1/decisions/{id}/proof": {
    get: {
      tags: ["Dashboard"],
      operationId: "getDecisionProof",
      summary: "Inclusion proof of one decision into the latest checkpoint",
      description:
        "What the browser needs to check one record itself: its sequence number, leaf and chain hashes, an RFC 9162 inclusion " +
        "proof into the latest signed checkpoint of the decisions log, that signed note, the verifier key and the expected origin. " +
        "Clients must take tree size and root from the note after verifying its signature, not from the unsigned fields.",
      security: SESSION,
      parameters: [uuidParam("The decision (statement) id.")],
      responses: {
        "200": {
          description: "The proof material. `checkpoint` and `proof` are null while no checkpoint covers the record yet (`covered: false`).",
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["id", "seq", "leafHash", "chainHash", "checkpoint", "proof", "covered", "verifierKey", "origin"],
                properties: {
                  id: { type: "string", format: "uuid" },
                  seq: { type: "integer" },
                  leafHash: { type: "string" },
                  chainHash: { type: "string" },
                  checkpoint: {
                    type: ["object", "null"],
                    properties: {
                      treeSize: { type: "integer" },
                      rootHash: { type: "string" },
                      signedNote: { type: "string" },
                      createdAt: { type: "string", format: "date-time" },
                    },
                  },
                  proof: { type: ["array", "null"], items: { type: "string" } },
                  covered: { type: "boolean" },
                  verifierKey: { type: "string" },
                  origin: { type: "string" },
                  checkpointIntervalSeconds: { type: "integer" },
                },
              },
            },
          },
        },
        "400": { $ref: "#/components/responses/InvalidParameter" },
        ...GUARD_RESPONSES,
        "404": { $ref: "#/components/responses/NotFound" },
      },
    },
  },
  "/api/v1/integrity/runs": {
    get: {
      tags: ["Dashboard"],
      operationId: "listVerificationRuns",
      summary: "Latest verification runs, newest first",
      security: SESSION,
      parameters: [{ name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } }],
      responses: {
        "200": {
          description: "The runs.",
          content: { "application/json": { schema: { type: "object", required: ["runs"], properties: { runs: { type: "array", items: runView } } } } },
        },
        ...GUARD_RESPONSES,
      },
    },
    post: {
      tags: ["Dashboard"],
      operationId: "startVerification",
      summary: "Start a verification of the ledger in the background",
      description: "Poll /api/v1/integrity/runs/{id} for progress. A run already queued or running for the same scope is returned instead (`created: false`).",
      security: SESSION,
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: {
              oneOf: [
                { type: "object", required: ["scope"], properties: { scope: { const: "all" } } },
                {
                  type: "object",
                  required: ["scope", "from", "to"],
                  properties: { scope: { const: "range" }, from: { type: "string", format: "date-time" }, to: { type: "string", format: "date-time" } },
                },
              ],
            },
          },
        },
      },
      responses: {
        "202": {
          description: "The run (queued).",
          content: { "application/json": { schema: { type: "object", required: ["created", "run"], properties: { created: { type: "boolean" }, run: runView } } } },
        },
        "400": dashboardError("The body is not JSON or not a valid request (`fields` names the problems)."),
        ...GUARD_RESPONSES,
      },
    },
  },
  "/api/v1/integrity/runs/{id}": {
    get: {
      tags: ["Dashboard"],
      operationId: "getVerificationRun",
      summary: "Progress and outcome of one verification run",
      security: SESSION,
      parameters: [uuidParam("The run id.")],
      responses: {
        "200": { description: "The run.", content: { "application/json": { schema: runView } } },
        ...GUARD_RESPONSES,
        "404": dashboardError("No run with this id."),
      },
    },
  },
  "/api/v1/evidence/exports": {
    get: {
      tags: ["Dashboard"],
      operationId: "listEvidenceExports",
      summary: "The signed-in user's evidence exports, newest first",
      security: SESSION,
      responses: {
        "200": {
          description: "The exports (at most 20).",
          content: { "application/json": { schema: { type: "object", required: ["exports"], properties: { exports: { type: "array", items: exportView } } } } },
        },
        ...GUARD_RESPONSES,
      },
    },
    post: {
      tags: ["Dashboard"],
      operationId: "startEvidenceExport",
      summary: "Start an evidence export (.zip bundle) in the background",
      description:
        "Either the decisions list's query string (the same filters) or explicit ids. Personal data is left out unless includePersonalData is true " +
        "and a reason is given (needs evidence.export_personal_data). Poll /api/v1/evidence/exports/{id}, then download.",
      security: SESSION,
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: {
              allOf: [
                {
                  oneOf: [
                    { type: "object", required: ["query"], properties: { query: { type: "string", description: "The decisions list query string." } } },
                    { type: "object", required: ["ids"], properties: { ids: { type: "array", items: { type: "string", format: "uuid" } } } },
                  ],
                },
                {
                  type: "object",
                  properties: {
                    includePersonalData: {
                      type: "boolean",
                      default: false,
                      description: "Include the values behind the records' personal-data commitments (openings). Needs evidence.export_personal_data.",
                    },
                    reason: {
                      type: "string",
                      minLength: 10,
                      maxLength: 500,
                      description: "Why personal data is included; required with includePersonalData, written to the manifest and the access log.",
                    },
                  },
                },
              ],
            },
          },
        },
      },
      responses: {
        "202": {
          description: "The export (queued).",
          content: { "application/json": { schema: { type: "object", required: ["export"], properties: { export: exportView } } } },
        },
        "400": dashboardError("The body is not JSON, not a valid selection, or includePersonalData without a reason of at least 10 characters."),
        ...GUARD_RESPONSES,
        "403": dashboardError("The role lacks evidence.export, or includePersonalData was asked for without evidence.export_personal_data."),
      },
    },
  },
  "/api/v1/evidence/exports/{id}": {
    get: {
      tags: ["Dashboard"],
      operationId: "getEvidenceExport",
      summary: "Progress of one of the user's exports",
      description: "Someone else's export is answered as not found.",
      security: SESSION,
      parameters: [uuidParam("The export id.")],
      responses: {
        "200": { description: "The export.", content: { "application/json": { schema: exportView } } },
        ...GUARD_RESPONSES,
        "404": dashboardError("No export with this id (for this user)."),
      },
    },
  },
  "/api/v1/evidence/exports/{id}/download": {
    get: {
      tags: ["Dashboard"],
      operationId: "downloadEvidenceExport",
      summary: "Download a finished evidence bundle",
      description: "Only for the person who exported it; each download is written to the access log. Check the bundle with `decision-ledger verify`.",
      security: SESSION,
      parameters: [uuidParam("The export id.")],
      responses: {
        "200": { description: "The bundle.", content: { "application/zip": { schema: { type: "string", contentMediaType: "application/zip" } } } },
        ...GUARD_RESPONSES,
        "404": dashboardError("No export with this id (for this user)."),
        "409": dashboardError("The export is not finished yet."),
      },
    },
  },
};
