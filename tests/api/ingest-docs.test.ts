import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";
import { API_ERROR_CODES } from "@/lib/api/errors";
import { INGEST_LIMITS } from "@/lib/api/limits";
import { validateStatement } from "@/lib/ledger/xapi/validate";
import { randomBytes } from "node:crypto";
import { nodeBytesBackend } from "@/lib/hash/node-sha256";
import { DEFAULT_PERSONAL_DATA_DETECTION_CONFIG } from "@/lib/ledger/personal-data-detection/detection-config";
import { commitStatement, reservedFormErrors } from "@/lib/ledger/xapi/commit-statement";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import { EXT } from "@/lib/ledger/xapi/vocabulary";

const doc = readFileSync(path.resolve(__dirname, "../../docs/ingest-api.md"), "utf8");

function exampleStatement(): XapiStatement {
  const m = /<!-- example: ingest-statement -->\s*```json\n([\s\S]*?)```/.exec(doc);
  expect(m, "example block missing").not.toBeNull();
  return JSON.parse(m![1]!) as XapiStatement;
}

test("the example statement in docs/ingest-api.md is accepted by the validator", () => {
  const result = validateStatement(exampleStatement());
  expect(result.ok ? [] : result.errors).toEqual([]);
});

test("the example answer lists the personal pointers ingest commits in the example statement", () => {
  const answer = /Answer \(`201 Created`[\s\S]*?```json\n([\s\S]*?)```/.exec(doc);
  expect(answer, "answer block missing").not.toBeNull();
  const documented = /"personalPointers": (\[[^\]]*\])/.exec(answer![1]!);
  expect(documented, "personalPointers missing from the answer").not.toBeNull();
  const committed = commitStatement(exampleStatement(), { backend: nodeBytesBackend, random: randomBytes, detection: DEFAULT_PERSONAL_DATA_DETECTION_CONFIG });
  expect(JSON.parse(documented![1]!)).toEqual(committed.personalPointers);
});

test("docs/ingest-api.md names the field and message of every reserved-form refusal", () => {
  const forged = exampleStatement();
  forged.result = { ...forged.result, response: `pd:v1:7d3f1c2a-9b4e-4f6a-8c1d-2e5b7a9f0c3e:${"0".repeat(64)}` };
  forged.context!.extensions = { ...forged.context!.extensions, [EXT.personalDataFormat]: 1 };
  const refusals = reservedFormErrors(forged);
  expect(refusals).toHaveLength(2);
  for (const { pointer, message } of refusals) {
    expect(doc).toContain(message);
    expect(doc).toContain(pointer === "/result/response" ? "`/result/response`" : `\`${pointer}\``);
  }
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
