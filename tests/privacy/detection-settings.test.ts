import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { main } from "@/cli/main";
import { migrateDatabase, openDatabase, queryRows, type Database } from "@/db/client";
import { getDecision } from "@/db/queries/decisions";
import { getDetectionSetting, listDetectionSettings } from "@/db/queries/detection-settings";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { DEFAULT_PERSONAL_DATA_DETECTION_CONFIG, PERSONAL_DATA_KINDS } from "@/lib/ledger/personal-data-detection/detection-config";
import { PROFILE_EXAMPLES } from "@/lib/ledger/profile-examples";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import type { ServiceActorWithRole } from "@/lib/services/data-subject-input";
import { updateDetectionSettings } from "@/lib/services/update-detection-settings";
import { ServiceInputError } from "@/lib/services/users";
import { loadPersonalDataKeys } from "@/lib/privacy/personal-data-keys";
import { TEST_KEYS } from "../support/personal-data-keys";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { createPeople, PEOPLE, type Person } from "./erasure-fixture";

const MODERATION = "Community Safety Classifier";
const LOANS = "Loan Underwriting Assistant";
const PHONE = "+44 20 7946 0958";
const US_NATIONAL_PHONE = "(212) 555-0147";
const EMAIL = "ana.silva@example.org";
const EVERY_KIND_BUT_PHONE = PERSONAL_DATA_KINDS.filter((k) => k !== "phone");

/** A profile example of `aiSystem` whose response holds `text`, under a fresh id. */
function statementWith(template: XapiStatement, text: string): XapiStatement {
  const s = structuredClone(template) as XapiStatement;
  s.id = randomUUID();
  s.result = { ...s.result, response: `Contact details left: ${text}` };
  return s;
}
const moderation = (text: string) => statementWith(PROFILE_EXAMPLES.moderationFlagAiOnly, text);
const loans = (text: string) => statementWith(PROFILE_EXAMPLES.loanDenialHumanApproved, text);

async function storedCanonical(db: Database["db"], statement: XapiStatement): Promise<string> {
  await appendDecisions(db, TEST_KEYS, [statement], { name: "detection-test-writer" });
  return (await getDecision(db, statement.id!))!.canonical;
}

async function serviceError(run: Promise<unknown>): Promise<ServiceInputError> {
  const error: unknown = await run.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ServiceInputError);
  return error as ServiceInputError;
}

describe.each(DATABASE_KINDS)("personal-data detection settings per AI system (%s)", (kind) => {
  let database: TestDatabase;
  let people: Record<Person, ServiceActorWithRole>;
  const set = (actor: ServiceActorWithRole, request: unknown) => updateDetectionSettings(database.db, { request, actor });

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    people = await createPeople(database.db);
    await appendDecisions(database.db, TEST_KEYS, [moderation("nothing"), loans("nothing")], { name: "detection-test-writer" });
  });
  afterAll(async () => {
    await database?.drop();
  });

  test("known AI systems are listed with every recogniser until configured", async () => {
    const listed = await listDetectionSettings(database.db);
    expect(listed.map((s) => s.aiSystem)).toEqual([MODERATION, LOANS].sort());
    for (const s of listed) expect(s).toMatchObject({ source: "default", config: DEFAULT_PERSONAL_DATA_DETECTION_CONFIG, updatedBy: null });
  });

  test("roles without personal_data.configure and invalid settings are refused, naming the field; nothing is stored", async () => {
    for (const actor of [people.officer, people.auditor]) {
      const refused = await serviceError(set(actor, { aiSystem: MODERATION, kinds: ["email"] }));
      expect(refused.message).toMatch(/may not configure personal-data detection/);
    }
    const badKind = await serviceError(set(people.ada, { aiSystem: MODERATION, kinds: ["email", "fax"] }));
    expect(badKind.status).toBe(400);
    expect(Object.keys(badKind.fieldErrors)).toEqual(["kinds.1"]);
    const badRegion = await serviceError(set(people.ada, { aiSystem: MODERATION, kinds: ["phone"], phoneRegions: ["XX"] }));
    expect(Object.keys(badRegion.fieldErrors)).toEqual(["phoneRegions.0"]);
    const noSystem = await serviceError(set(people.ada, { aiSystem: " ", kinds: ["phone"] }));
    expect(Object.keys(noSystem.fieldErrors)).toEqual(["aiSystem"]);
    const unknownField = await serviceError(set(people.ada, { aiSystem: MODERATION, kinds: ["phone"], recognisers: [] }));
    expect(unknownField.status).toBe(400);
    expect(await getDetectionSetting(database.db, { aiSystem: MODERATION })).toMatchObject({ source: "default" });
  });

  test("turning the phone recogniser off for one AI system leaves its next statements' phone numbers in plaintext, and only its", async () => {
    expect(await storedCanonical(database.db, moderation(PHONE))).not.toContain(PHONE);

    const updated = await set(people.ada, { aiSystem: MODERATION, kinds: EVERY_KIND_BUT_PHONE });
    expect(updated).toMatchObject({ aiSystem: MODERATION, source: "configured", updatedBy: PEOPLE.ada.email, config: { kinds: EVERY_KIND_BUT_PHONE } });

    const after = await storedCanonical(database.db, moderation(`${PHONE} or ${EMAIL}`));
    expect(after).toContain(PHONE);
    expect(after).not.toContain(EMAIL);
    // The other system keeps every recogniser.
    expect(await storedCanonical(database.db, loans(PHONE))).not.toContain(PHONE);
  });

  test("phone regions decide which national formats are read", async () => {
    await set(people.ada, { aiSystem: LOANS, kinds: ["phone"], phoneRegions: ["NL"] });
    expect(await storedCanonical(database.db, loans(US_NATIONAL_PHONE))).toContain(US_NATIONAL_PHONE);
    await set(people.ada, { aiSystem: LOANS, kinds: ["phone"], phoneRegions: ["NL", "US"] });
    expect(await storedCanonical(database.db, loans(US_NATIONAL_PHONE))).not.toContain(US_NATIONAL_PHONE);
  });

  test("every change is in the access log with the settings before and after", async () => {
    const rows = await queryRows(
      database.db,
      sql`select target, event from access_events where action = 'personal_data.detection_update' order by seq`,
      z.object({ target: z.string(), event: z.object({ user: z.object({ email: z.string().nullable() }), details: z.record(z.string(), z.unknown()) }) }),
    );
    expect(rows.map((r) => r.target)).toEqual([MODERATION, LOANS, LOANS]);
    expect(rows.every((r) => r.event.user.email === PEOPLE.ada.email)).toBe(true);
    expect(rows[1]!.event.details).toEqual({
      aiSystem: LOANS,
      before: { source: "default", kinds: [...PERSONAL_DATA_KINDS], phoneRegions: [...DEFAULT_PERSONAL_DATA_DETECTION_CONFIG.phoneRegions] },
      after: { kinds: ["phone"], phoneRegions: ["NL"] },
    });
    expect(rows[2]!.event.details).toMatchObject({ before: { source: "configured", phoneRegions: ["NL"] }, after: { phoneRegions: ["NL", "US"] } });
  });
});

describe("decision-ledger detection", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "dl-detection-cli-"));
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    LEDGER_ORIGIN: "detection-cli.test",
    PERSONAL_DATA_KEK: randomBytes(32).toString("hex"),
    PERSONAL_DATA_INDEX_KEY: randomBytes(32).toString("hex"),
  };

  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const code = await main(args, { env, stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, stdin: process.stdin });
    return { code, stdout, stderr };
  }

  beforeAll(async () => {
    const database = await openDatabase({ dataDir: path.join(dataDir, "pglite") });
    try {
      await migrateDatabase(database);
      await createPeople(database.db);
      await appendDecisions(database.db, loadPersonalDataKeys(env), [moderation("nothing")], { name: "detection-cli-writer" });
    } finally {
      await database.close();
    }
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  test("set and list", async () => {
    const listed = await cli("detection", "list");
    expect(listed).toMatchObject({ code: 0 });
    expect(listed.stdout).toContain(`${MODERATION}  (default: every recogniser)`);

    const setting = await cli("detection", "set", "--ai-system", MODERATION, "--kinds", "email,phone", "--phone-regions", "NL,GB", "--as", PEOPLE.ada.email, "--json");
    expect(setting.code).toBe(0);
    expect(JSON.parse(setting.stdout)).toMatchObject({ aiSystem: MODERATION, source: "configured", config: { kinds: ["email", "phone"], phoneRegions: ["NL", "GB"] } });
    expect((await cli("detection", "list")).stdout).toContain("kinds: email, phone\n    phone regions: NL, GB");
  });

  test("refusals: a role without the permission, an unknown kind, a missing --as", async () => {
    const officer = await cli("detection", "set", "--ai-system", MODERATION, "--kinds", "email", "--as", PEOPLE.officer.email);
    expect(officer.code).toBe(1);
    expect(officer.stderr).toMatch(/may not configure personal-data detection/);
    const badKind = await cli("detection", "set", "--ai-system", MODERATION, "--kinds", "email,fax", "--as", PEOPLE.ada.email);
    expect(badKind.code).toBe(1);
    expect(badKind.stderr).toContain("kinds.1");
    expect((await cli("detection", "set", "--ai-system", MODERATION, "--kinds", "email")).stderr).toContain("--as is required");
  });
});
