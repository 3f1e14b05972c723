import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readLogSize } from "@/db/queries/log-entries";
import { decisions } from "@/db/schema";
import { createIngestHandler } from "@/lib/api/ingest";
import { escapePointerToken } from "@/lib/ledger/json-pointer";
import { PROFILE_EXAMPLES } from "@/lib/ledger/profile-examples";
import { PD_ACCOUNT_HOME_PAGE } from "@/lib/ledger/xapi/pd-commitment";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import { EXT, ROLES } from "@/lib/ledger/xapi/vocabulary";
import { createApiKey } from "@/lib/services/api-keys";
import { TEST_KEYS } from "../support/personal-data-keys";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";

const URL_ = "http://ledger.test/api/v1/decisions";
const ext = (iri: string) => `/context/extensions/${escapePointerToken(iri)}`;
const A_COMMITMENT = `pd:v1:${randomUUID()}:${"ab".repeat(32)}`;

interface StoredBody {
  stored: { index: number; id: string; created: boolean; personalPointers: string[] }[];
}
interface ErrorBody {
  error: { code: string; problems: { index: number; pointer: string; message: string }[] };
}

function example(name: keyof typeof PROFILE_EXAMPLES): XapiStatement {
  return { ...structuredClone(PROFILE_EXAMPLES[name]), id: randomUUID() };
}

describe.each(DATABASE_KINDS)("ingest and personal-data commitments (%s)", (kind) => {
  let database: TestDatabase;
  let handler: (req: Request) => Promise<Response>;
  let secret: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    handler = createIngestHandler({ getDb: async () => database.db, getPersonalDataKeys: async () => TEST_KEYS });
    secret = (await createApiKey(database.db, { owner: "loan-underwriting-service", createdBy: "test" })).secret;
  });
  afterAll(async () => {
    await database?.drop();
  });

  const postJson = (value: unknown) =>
    handler(
      new Request(URL_, {
        method: "POST",
        headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
        body: JSON.stringify(value),
      }),
    );

  async function expectRefused(value: unknown): Promise<ErrorBody["error"]["problems"]> {
    const before = await readLogSize(database.db, "decisions");
    const res = await postJson(value);
    const body = (await res.json()) as ErrorBody;
    expect({ status: res.status, code: body.error.code }).toEqual({ status: 400, code: "invalid_statements" });
    expect(await readLogSize(database.db, "decisions")).toBe(before);
    return body.error.problems;
  }

  test("the answer lists, per record, the pointers whose values were committed", async () => {
    const loan = example("loanDenialHumanApproved");
    loan.result = { ...loan.result, response: "Denied; the applicant asked for a call back at jane.doe@example.com" };
    const moderation = example("moderationFlagAiOnly");
    const res = await postJson([loan, moderation]);
    expect(res.status).toBe(201);
    const body = (await res.json()) as StoredBody;
    const features = ext(EXT.inputFeatures);
    expect(body.stored.map((r) => [...r.personalPointers].sort())).toEqual([
      [
        ext(EXT.subject),
        `${features}/age_band`,
        `${features}/postcode_area`,
        "/context/contextAgents/0/agent/name",
        "/result/response",
      ].sort(),
      [`${features}/author_account_age_days`, ext(EXT.subject)],
    ]);

    // What the answer names as committed is really absent from the stored record.
    const [stored] = await database.db.select({ canonical: decisions.canonical }).from(decisions).where(eq(decisions.id, loan.id!));
    for (const plaintext of ["jane.doe@example.com", "Priya Raman", "cust-0012345", '"SW1"'])
      expect(stored!.canonical).not.toContain(plaintext);

    // A retry answers with the same pointers.
    const retry = (await (await postJson([loan])).json()) as StoredBody;
    expect(retry.stored[0]).toMatchObject({ created: false, personalPointers: body.stored[0]!.personalPointers });
  });

  test("a producer-sent commitment string is refused with 400 naming the field, in any letter case", async () => {
    const plain = example("loanDenialHumanApproved");
    plain.result = { ...plain.result, response: `Applicant ${A_COMMITMENT} was denied` };
    const shouted = example("moderationFlagAiOnly");
    shouted.result = { ...shouted.result, response: A_COMMITMENT.toUpperCase() };
    const problems = await expectRefused([plain, shouted]);
    expect(problems.map((p) => ({ index: p.index, pointer: p.pointer }))).toEqual([
      { index: 0, pointer: "/result/response" },
      { index: 1, pointer: "/result/response" },
    ]);
    expect(problems[0]!.message).toMatch(/pd:v1/);
  });

  test("a producer-sent commitment Agent is refused with 400 naming its home page", async () => {
    const s = example("loanDenialHumanApproved");
    s.context!.contextAgents = [
      {
        objectType: "contextAgent",
        agent: { objectType: "Agent", account: { homePage: PD_ACCOUNT_HOME_PAGE, name: `${randomUUID()}:${"cd".repeat(32)}` } },
        relevantTypes: [ROLES.approver],
      },
    ];
    const problems = await expectRefused(s);
    expect(problems.map((p) => p.pointer)).toEqual(["/context/contextAgents/0/agent/account/homePage"]);
  });

  test("a producer setting the personal-data format extension is refused with 400 naming it", async () => {
    const s = example("moderationFlagAiOnly");
    s.context!.extensions = { ...s.context!.extensions, [EXT.personalDataFormat]: 1 };
    const problems = await expectRefused(s);
    expect(problems).toEqual([{ index: 0, pointer: ext(EXT.personalDataFormat), message: expect.stringMatching(/set by the ledger/) }]);
  });
});
