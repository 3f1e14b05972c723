import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { API_ERROR_CODES, ApiError, errorBody } from "@/lib/api/errors";
import { INGEST_LIMITS } from "@/lib/api/limits";
import { validateStatement } from "@/lib/ledger/xapi/validate";
import { PROFILE_EXAMPLES } from "@/lib/ledger/profile-examples";
import { GET } from "@/app/api/v1/openapi.json/route";
import { ruleFor, type HttpMethod } from "@/lib/auth/route-rules";
import { randomBytes } from "node:crypto";
import { nodeBytesBackend } from "@/lib/hash/node-sha256";
import { DEFAULT_PERSONAL_DATA_DETECTION_CONFIG } from "@/lib/ledger/personal-data-detection/detection-config";
import { commitStatement, reservedFormErrors } from "@/lib/ledger/xapi/commit-statement";
import { EXT } from "@/lib/ledger/xapi/vocabulary";

type Json = Record<string, unknown>;

const ROOT = path.resolve(__dirname, "../..");
const API_DIR = path.join(ROOT, "app", "api", "v1");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** Every route.ts under app/api/v1 as (OpenAPI path, exported HTTP methods). */
function apiRoutes(dir = API_DIR): { path: string; methods: string[] }[] {
  const out: { path: string; methods: string[] }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...apiRoutes(full));
    else if (/^route\.(ts|js)$/.test(entry.name)) {
      const source = readFileSync(full, "utf8");
      const methods = METHODS.filter((m) => new RegExp(`export\\s+(const|async\\s+function|function)\\s+${m}\\b`).test(source));
      const rel = path.relative(path.join(ROOT, "app"), dir).split(path.sep);
      out.push({ path: "/" + rel.map((s) => s.replace(/^\[(?:\.\.\.)?(.+)\]$/, "{$1}")).join("/"), methods });
    }
  }
  return out;
}

async function fetchDocument(): Promise<Json> {
  const res = GET();
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("application/json");
  return JSON.parse(await res.text()) as Json;
}

/** Resolves a local "#/a/b" reference. */
function resolveRef(doc: Json, ref: string): unknown {
  expect(ref.startsWith("#/"), ref).toBe(true);
  return ref
    .slice(2)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce<unknown>((node, token) => (node && typeof node === "object" ? (node as Json)[token] : undefined), doc);
}

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, out));
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

/** Enough of JSON Schema (type, required, properties, additionalProperties:false, items, enum) to check our own bodies. */
function schemaProblems(schema: Json, value: unknown, at = ""): string[] {
  const problems: string[] = [];
  const type = schema.type as string | undefined;
  const actual = Array.isArray(value) ? "array" : value === null ? "null" : Number.isInteger(value) ? "integer" : typeof value;
  if (type && !(type === actual || (type === "number" && actual === "integer"))) return [`${at}: expected ${type}, got ${actual}`];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if (type === "object" && value && typeof value === "object") {
    const props = (schema.properties ?? {}) as Record<string, Json>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in value)) problems.push(`${at}/${r}: required`);
    for (const [k, v] of Object.entries(value)) {
      if (props[k]) problems.push(...schemaProblems(props[k], v, `${at}/${k}`));
      else if (schema.additionalProperties === false) problems.push(`${at}/${k}: not in the schema`);
    }
  }
  if (type === "array" && Array.isArray(value) && schema.items) {
    value.forEach((v, i) => problems.push(...schemaProblems(schema.items as Json, v, `${at}/${i}`)));
  }
  return problems;
}

describe("GET /api/v1/openapi.json", () => {
  test("is an OpenAPI 3.1 document whose references all resolve", async () => {
    const doc = await fetchDocument();
    expect(doc.openapi).toBe("3.1.0");
    expect((doc.info as Json).title).toBeTruthy();
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of new Set(refs)) expect(resolveRef(doc, ref), `unresolved ${ref}`).toBeDefined();
  });

  test("describes every route under app/api/v1 with the methods it exports, and nothing else", async () => {
    const doc = await fetchDocument();
    const paths = doc.paths as Record<string, Json>;
    const routes = apiRoutes();
    expect(routes.map((r) => r.path)).toContain("/api/v1/decisions");
    for (const route of routes) {
      expect(route.methods.length, `${route.path} exports no handler`).toBeGreaterThan(0);
      const item = paths[route.path];
      expect(item, `${route.path} is not in the OpenAPI document`).toBeDefined();
      expect(Object.keys(item!).map((m) => m.toUpperCase()).sort(), route.path).toEqual([...route.methods].sort());
      for (const method of route.methods) {
        const op = item![method.toLowerCase()] as Json;
        expect(op.summary, `${method} ${route.path} summary`).toBeTruthy();
        expect(Object.keys(op.responses as Json).length, `${method} ${route.path} responses`).toBeGreaterThan(0);
      }
    }
    expect(Object.keys(paths).sort()).toEqual(routes.map((r) => r.path).sort());
  });

  test("every operation states who may call it, as lib/auth/route-rules.ts enforces it", async () => {
    const doc = await fetchDocument();
    for (const [openApiPath, item] of Object.entries(doc.paths as Record<string, Json>)) {
      const pattern = openApiPath.replace(/\{([^}]+)\}/g, "[$1]");
      for (const [method, op] of Object.entries(item) as [string, Json][]) {
        const access = ruleFor(pattern, method.toUpperCase() as HttpMethod);
        expect(access, `${method} ${openApiPath} has no route rule`).not.toBeNull();
        expect(op["x-access"], `${method} ${openApiPath}`).toBe(access);
        const security = op.security as Record<string, unknown>[];
        const schemes = security.flatMap((s) => Object.keys(s));
        if (access === "public") expect(schemes, `${method} ${openApiPath}`).toEqual([]);
        else if (access === "api_key") expect(schemes).toEqual(["ingestApiKey"]);
        else expect(schemes, `${method} ${openApiPath}`).toEqual(["dashboardSession"]);
      }
    }
  });

  test("the ingest operation documents the bearer key, both body forms, every status and the limits", async () => {
    const doc = await fetchDocument();
    const op = (doc.paths as Record<string, Json>)["/api/v1/decisions"]!.post as Json;
    expect(op.security).toEqual([{ ingestApiKey: [] }]);
    const schemes = (doc.components as Json).securitySchemes as Record<string, Json>;
    expect(schemes.ingestApiKey).toMatchObject({ type: "http", scheme: "bearer" });
    expect(Object.keys(op.responses as Json).sort()).toEqual(["200", "201", "400", "401", "403", "409", "413", "415", "429", "500", "503"]);
    const body = ((op.requestBody as Json).content as Record<string, Json>)["application/json"]!;
    const oneOf = (body.schema as Json).oneOf as Json[];
    expect(oneOf[0]).toEqual({ $ref: "#/components/schemas/Statement" });
    expect(oneOf[1]).toMatchObject({ type: "array", maxItems: INGEST_LIMITS.maxStatements });
    expect(op.description).toContain(String(INGEST_LIMITS.maxBytes));
  });

  test("the statement schema is generated from the validator and its examples are valid statements", async () => {
    const doc = await fetchDocument();
    const statement = ((doc.components as Json).schemas as Record<string, Json>).Statement!;
    expect(statement.required).toEqual(expect.arrayContaining(["actor", "verb", "object", "timestamp"]));
    expect(statement.description).toContain("docs/decision-profile.md");
    const op = (doc.paths as Record<string, Json>)["/api/v1/decisions"]!.post as Json;
    const examples = (((op.requestBody as Json).content as Record<string, Json>)["application/json"]!.examples ?? {}) as Record<string, Json>;
    const all = [examples.single!.value, ...(examples.batch!.value as unknown[])];
    for (const example of all) expect(validateStatement(example).ok).toBe(true);
    expect(all).toContainEqual(PROFILE_EXAMPLES.loanDenialHumanApproved);
  });

  test("the documented error shape matches what the API sends, for every error code", async () => {
    const doc = await fetchDocument();
    const schemas = (doc.components as Json).schemas as Record<string, Json>;
    const errorSchema = schemas.Error!;
    const codeEnum = (((errorSchema.properties as Json).error as Json).properties as Record<string, Json>).code!.enum;
    expect(codeEnum).toEqual(Object.keys(API_ERROR_CODES));
    const sent = errorBody(
      new ApiError(400, "invalid_json", "x", [{ index: 0, pointer: "/a", message: "m" }], { location: { line: 1, column: 2, byteOffset: 1 } }),
      "3f1c2a9e-8d7b-4e6f-9a1b-2c3d4e5f6a7b",
    );
    expect(schemaProblems(errorSchema, sent)).toEqual([]);
    // Every documented example conforms too, and every code is used by some response.
    const used = new Set<string>();
    for (const item of Object.values(doc.paths as Record<string, Json>)) {
      for (const op of Object.values(item) as Json[]) {
        for (const response of Object.values(op.responses as Record<string, Json>)) {
          const examples = ((response.content as Record<string, Json> | undefined)?.["application/json"]?.examples ?? {}) as Record<string, Json>;
          for (const [code, ex] of Object.entries(examples)) {
            if (!(code in API_ERROR_CODES)) continue;
            used.add(code);
            expect(schemaProblems(errorSchema, ex.value), code).toEqual([]);
          }
        }
      }
    }
    expect([...used].sort()).toEqual(Object.keys(API_ERROR_CODES).sort());
  });

  test("the ingest answer documents personalPointers, and its example lists what ingest commits in that statement", async () => {
    const doc = await fetchDocument();
    const result = ((doc.components as Json).schemas as Record<string, Json>).IngestResult!;
    const item = ((result.properties as Json).stored as Json).items as Json;
    expect(item.required).toContain("personalPointers");
    expect((item.properties as Json).personalPointers).toMatchObject({ type: "array", items: { type: "string" } });
    const example = (result.example as { stored: { id: string; personalPointers: string[] }[] }).stored[0]!;
    expect(example.id).toBe(PROFILE_EXAMPLES.loanDenialHumanApproved.id);
    const committed = commitStatement(PROFILE_EXAMPLES.loanDenialHumanApproved, {
      backend: nodeBytesBackend,
      random: randomBytes,
      detection: DEFAULT_PERSONAL_DATA_DETECTION_CONFIG,
    });
    expect(example.personalPointers).toEqual(committed.personalPointers);
    expect(schemaProblems(result, result.example)).toEqual([]);
  });

  test("the invalid_statements example shows the refusals of reserved forms with the messages ingest sends", async () => {
    const doc = await fetchDocument();
    const op = (doc.paths as Record<string, Json>)["/api/v1/decisions"]!.post as Json;
    const examples = ((op.responses as Record<string, Json>)["400"]!.content as Record<string, Json>)["application/json"]!.examples as Record<string, Json>;
    const problems = ((examples.invalid_statements!.value as Json).error as Json).problems as { pointer: string; message: string }[];
    const forged = structuredClone(PROFILE_EXAMPLES.moderationFlagAiOnly);
    forged.result = { ...forged.result, response: `pd:v1:7d3f1c2a-9b4e-4f6a-8c1d-2e5b7a9f0c3e:${"0".repeat(64)}` };
    forged.context!.extensions = { ...forged.context!.extensions, [EXT.personalDataFormat]: 1 };
    for (const refusal of reservedFormErrors(forged)) expect(problems).toContainEqual(expect.objectContaining(refusal));
    expect(op.description).toContain("personalPointers");
  });
});
