/**
 * Deterministic decision statements for the explorer tests: the four profile examples,
 * varied in time (with ties), entity, model version, confidence, latency, session and
 * reason text. Expected results are computed from deriveDecisionColumns (the same rule the
 * ledger stores), independently of the SQL under test.
 */
import { deriveDecisionColumns, type DecisionColumns } from "@/lib/ledger/xapi/derived-columns";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import { EXT } from "@/lib/ledger/xapi/vocabulary";
import { PROFILE_EXAMPLES } from "@/lib/ledger/profile-examples";

export const FIXTURE_COUNT = 240;
/** Anchor of the fixture timeline; tests pass it as `now`. */
export const FIXTURE_NOW = new Date("2026-03-20T12:00:00.000Z");
export const SESSIONS = [
  "11111111-1111-4111-8111-111111111111",
  "22222222-2222-4222-8222-222222222222",
  "33333333-3333-4333-8333-333333333333",
];
/** A word that only appears in the reason of some fixtures. */
export const RARE_WORD = "zeppelin";

export interface Fixture {
  statement: XapiStatement;
  columns: DecisionColumns;
}

function fixtureId(i: number): string {
  return `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
}

export function buildFixtures(count = FIXTURE_COUNT): Fixture[] {
  const templates = Object.values(PROFILE_EXAMPLES);
  const out: Fixture[] = [];
  for (let i = 0; i < count; i++) {
    const s = structuredClone(templates[i % templates.length]!) as XapiStatement;
    s.id = fixtureId(i);
    // Groups of three share a timestamp: ties are broken by seq.
    s.timestamp = new Date(FIXTURE_NOW.getTime() - 5 * 60_000 - Math.floor(i / 3) * 61 * 60_000).toISOString();
    const ext = s.context!.extensions!;
    const obj = s.object as { id: string; definition: { extensions: Record<string, { type: string; id: string }> } };
    const entity = obj.definition.extensions[EXT.entity]!;
    entity.id = `${entity.type === "loan-application" ? "LA" : entity.type === "post" ? "P" : "ENC"}-${String(i % 7).padStart(3, "0")}`;
    obj.id = `https://example.test/${entity.type}/${entity.id}`;
    const model = ext[EXT.model] as { version: string };
    model.version = i % 5 === 0 ? "3.1.0" : i % 5 === 1 ? "3.2.0" : model.version;
    if (i % 11 === 0) delete s.result!.score;
    else s.result!.score = { scaled: ((i * 37) % 100) / 100 };
    if (i % 13 === 0) delete ext[EXT.latencyMs];
    else ext[EXT.latencyMs] = (i * 53) % 2000;
    if (s.context!.registration !== undefined || i % 2 === 0) s.context!.registration = SESSIONS[i % SESSIONS.length]!;
    if (i % 10 === 0) s.result!.response = `${s.result!.response} (${RARE_WORD} review requested)`;
    out.push({ statement: s, columns: deriveDecisionColumns(s) });
  }
  return out;
}
