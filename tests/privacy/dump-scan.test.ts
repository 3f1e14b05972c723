import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import { generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import { getByPointer, parseJsonPointer } from "@/lib/ledger/json-pointer";
import { detectPersonalData } from "@/lib/ledger/personal-data-detection/detect";
import { aiSystemIris, isAiAgent } from "@/lib/ledger/xapi/actor-type";
import { freeTextFields } from "@/lib/ledger/xapi/free-text";
import { personalDataPointers } from "@/lib/ledger/xapi/personal-data";
import type { XapiActor, XapiStatement } from "@/lib/ledger/xapi/types";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { appendLegacyDecisions } from "../support/legacy-ledger";
import { TEST_KEYS } from "../support/personal-data-keys";
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from "../support/test-databases";

const STATEMENT_COUNT = 300;
const WRITER = { name: "dump-scan-writer" };
const NOW = new Date("2026-03-15T12:00:00Z");

/**
 * One personal value to look for in the dump. Long strings are looked for anywhere; short
 * ones and numbers ("SW1", 78) would match unrelated text, so they are looked for as the
 * member they were sent in (`"postcode_area":"SW1"`), which only a leak can produce.
 */
interface PersonalNeedle {
  source: "profile" | "human-agent" | "free-text";
  text: string;
  /** Whether the text ends in a number, which must not continue in the match ("78" in 781). */
  numeric: boolean;
}

const MIN_FREE_STANDING = 6;

function needlesOfValue(source: PersonalNeedle["source"], key: string | null, value: unknown, out: PersonalNeedle[]): void {
  if (Array.isArray(value)) return value.forEach((v) => needlesOfValue(source, null, v, out));
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) needlesOfValue(source, k, v, out);
    return;
  }
  if (typeof value === "string" && value.length >= MIN_FREE_STANDING) out.push({ source, text: value, numeric: false });
  else if ((typeof value === "string" || typeof value === "number") && key !== null)
    out.push({ source, text: `${JSON.stringify(key)}:${JSON.stringify(value)}`, numeric: typeof value === "number" });
}

/** The people in agent positions (the human-agent rule): every identifying value of a non-AI agent. */
function humanAgentNeedles(s: XapiStatement, out: PersonalNeedle[]): void {
  const aiSystems = aiSystemIris(s);
  const visit = (a: XapiActor | undefined) => {
    if (!a) return;
    if (a.objectType === "Group") return (a.member ?? []).forEach(visit);
    if (isAiAgent(a, aiSystems)) return;
    for (const v of [a.name, a.mbox, a.mbox_sha1sum, a.openid]) if (v !== undefined) needlesOfValue("human-agent", "name", v, out);
    // A staff account alone is pseudonymous and stays; next to an e-mail or OpenID it identifies too.
    if (a.account && (a.mbox ?? a.mbox_sha1sum ?? a.openid) !== undefined) needlesOfValue("human-agent", "name", a.account.name, out);
  };
  visit(s.actor);
  visit(s.context?.instructor);
  visit(s.context?.team);
  for (const ca of s.context?.contextAgents ?? []) visit(ca.agent);
  for (const cg of s.context?.contextGroups ?? []) visit(cg.group);
}

/** Every personal value of the statements as sent, by the profile's rules, the human-agent rule and free-text detection. */
function personalNeedles(statements: XapiStatement[]): PersonalNeedle[] {
  const out: PersonalNeedle[] = [];
  for (const s of statements) {
    for (const pointer of personalDataPointers(s)) {
      const path = parseJsonPointer(pointer)!;
      needlesOfValue("profile", path[path.length - 1] ?? null, getByPointer(s, pointer), out);
    }
    humanAgentNeedles(s, out);
    for (const field of freeTextFields(s)) for (const span of detectPersonalData(field.text)) out.push({ source: "free-text", text: span.text, numeric: false });
  }
  const distinct = new Map(out.map((n) => [`${n.numeric}:${n.text.toLowerCase()}`, n]));
  return [...distinct.values()];
}

/** Case-insensitive, and JSON members compared without the blank jsonb's text form puts after the colon. */
function normalise(text: string): string {
  return text.toLowerCase().replace(/":\s+/g, '":');
}

function occursIn(corpus: string, needle: PersonalNeedle): boolean {
  const text = needle.text.toLowerCase();
  for (let at = corpus.indexOf(text); at >= 0; at = corpus.indexOf(text, at + 1)) {
    if (!needle.numeric || !/[0-9.e]/.test(corpus[at + text.length] ?? "")) return true;
  }
  return false;
}

const relationRow = z.object({ schema: z.string(), name: z.string(), columns: z.array(z.string()) });
const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Every value of every column of every table, partition and materialised view, as Postgres
 * prints it (column by column: a whole row's text form would double the quotes inside it).
 */
async function dumpEveryTable(db: Db): Promise<{ tables: string[]; values: number; corpus: string }> {
  const relations = await queryRows(
    db,
    sql`select n.nspname as schema, c.relname as name, array_agg(a.attname::text order by a.attnum) as columns
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where c.relkind in ('r', 'p', 'm') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
        group by 1, 2 order by 1, 2`,
    relationRow,
  );
  const parts: string[] = [];
  for (const r of relations) {
    const columns = r.columns.map((c) => `t.${quoteIdent(c)}::text`).join(", ");
    const rows = await queryRows(
      db,
      sql.raw(`select v from ${quoteIdent(r.schema)}.${quoteIdent(r.name)} t cross join lateral unnest(array[${columns}]) v where v is not null`),
      z.object({ v: z.string() }),
    );
    for (const row of rows) parts.push(row.v);
  }
  return { tables: relations.map((r) => `${r.schema}.${r.name}`), values: parts.length, corpus: normalise(parts.join("\n")) };
}

/**
 * The demo writes no identifiers into free text; producers do ("call me on …"). Every tenth
 * statement gets some in its response, so the scan covers what detection commits in place.
 */
function withIdentifiersInFreeText(statements: XapiStatement[]): XapiStatement[] {
  return statements.map((s, i) => {
    if (i % 10 !== 0) return s;
    const note = `Customer wrote from applicant.${i}@mail.example, asked for a call on +44 20 7946 0${String(i).padStart(3, "0")}; refund to GB82WEST12345698765432`;
    return { ...s, result: { ...s.result, response: s.result?.response ? `${s.result.response}. ${note}` : note } };
  });
}

describe.skipIf(TEST_POSTGRES_URL === "off")("a superuser's dump of the database holds no personal value of the demo", () => {
  let committed: TestDatabase;
  let legacy: TestDatabase;
  let statements: XapiStatement[];
  let needles: PersonalNeedle[];

  beforeAll(async () => {
    statements = withIdentifiersInFreeText(generateDemoStatements({ count: STATEMENT_COUNT, now: NOW, days: 30, seed: "dump-scan" }));
    needles = personalNeedles(statements);
    [committed, legacy] = await Promise.all([createTestDatabase("postgres"), createTestDatabase("postgres")]);
    await appendDecisions(committed.db, TEST_KEYS, statements, WRITER, NOW);
    await appendLegacyDecisions(legacy.db, statements, WRITER, NOW);
  });
  afterAll(async () => {
    await Promise.all([committed?.drop(), legacy?.drop()]);
  });

  it("collects the demo's subject refs, staff names and personal features", () => {
    const texts = needles.map((n) => n.text);
    for (const prefix of ["cust-", "user-", "pat-"]) expect(texts.some((t) => t.startsWith(prefix)), prefix).toBe(true);
    for (const name of ["Priya Raman", "Tomás Álvarez", "Sam O'Connor", "Dr. Aisha Khan", "Nurse Maria Rossi"]) expect(texts).toContain(name);
    expect(texts.some((t) => t.startsWith('"postcode_area":'))).toBe(true);
    expect(texts.some((t) => t.startsWith('"heart_rate":'))).toBe(true);
    for (const detected of ["applicant.10@mail.example", "+44 20 7946 0010", "GB82WEST12345698765432"]) expect(texts).toContain(detected);
  });

  it("the same scan finds every one of them in a ledger written by the previous release (plaintext)", async () => {
    const dump = await dumpEveryTable(legacy.db);
    const missed = needles.filter((n) => !occursIn(dump.corpus, n)).map((n) => n.text);
    expect(missed).toEqual([]);
  });

  it("finds none of them in any table of a ledger written through appendDecisions", async () => {
    const [role] = await queryRows(committed.db, sql`select rolsuper from pg_roles where rolname = current_user`, z.object({ rolsuper: z.boolean() }));
    expect(role!.rolsuper).toBe(true);
    const dump = await dumpEveryTable(committed.db);
    for (const table of ["public.decisions", "public.personal_data_openings", "public.personal_data_lookups", "public.personal_data_keys", "public.log_entries"])
      expect(dump.tables).toContain(table);
    expect(dump.tables.some((t) => /^public\.decisions_\d{4}/.test(t)), "the monthly partitions are read too").toBe(true);
    expect(dump.corpus).toContain("pd:v1:");

    const leaked = needles.filter((n) => occursIn(dump.corpus, n)).map((n) => `${n.source}: ${n.text}`);
    const bySource = (["profile", "human-agent", "free-text"] as const).map((source) => `${source} ${needles.filter((n) => n.source === source).length}`);
    console.log(
      `dump scan: ${needles.length} distinct personal values (${bySource.join(", ")}) checked against ` +
        `${dump.values} column values of ${dump.tables.length} tables (${dump.corpus.length} characters)`,
    );
    expect(leaked).toEqual([]);
  });
});
