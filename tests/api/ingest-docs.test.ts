import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";
import { API_ERROR_CODES } from "@/lib/api/errors";
import { INGEST_LIMITS } from "@/lib/api/limits";
import { validateStatement } from "@/lib/ledger/xapi/validate";

const doc = readFileSync(path.resolve(__dirname, "../../docs/ingest-api.md"), "utf8");

test("the example statement in docs/ingest-api.md is accepted by the validator", () => {
  const m = /<!-- example: ingest-statement -->\s*```json\n([\s\S]*?)```/.exec(doc);
  expect(m, "example block missing").not.toBeNull();
  const result = validateStatement(JSON.parse(m![1]!));
  expect(result.ok ? [] : result.errors).toEqual([]);
});

test("docs/ingest-api.md states the limits the code enforces and every error code", () => {
  expect(doc).toContain(INGEST_LIMITS.maxBytes.toLocaleString("en-US"));
  expect(doc).toContain(`| ${INGEST_LIMITS.maxStatements.toLocaleString("en-US")} |`);
  expect(doc).toContain(`${INGEST_LIMITS.maxDepth} levels`);
  expect(doc).toContain(`${INGEST_LIMITS.maxStringBytes / 1024} KiB`);
  for (const code of Object.keys(API_ERROR_CODES).filter((c) => !["invalid_parameter", "not_found"].includes(c))) {
    expect(doc, code).toContain(`\`${code}\``);
  }
});
