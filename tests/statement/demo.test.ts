import { describe, expect, it } from "vitest";
import { DEMO_AI_SYSTEMS, formatRfc3339, generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import type { ActorType } from "@/lib/ledger/xapi/actor-type";
import { deriveDecisionColumns, type DecisionColumns } from "@/lib/ledger/xapi/derived-columns";
import { personalDataPointers } from "@/lib/ledger/xapi/personal-data";
import { parseRfc3339 } from "@/lib/ledger/xapi/syntax";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import { validateStatement } from "@/lib/ledger/xapi/validate";
import { EXT } from "@/lib/ledger/xapi/vocabulary";

const NOW = new Date("2025-06-30T12:00:00.000Z");
const DAY = 86_400_000;
const statements = generateDemoStatements({ count: 20_000, now: NOW, days: 90, seed: 42 });
const columns: DecisionColumns[] = statements.map(deriveDecisionColumns);

function share(predicate: (c: DecisionColumns, i: number) => boolean): number {
  let n = 0;
  columns.forEach((c, i) => (predicate(c, i) ? n++ : 0));
  return n / columns.length;
}

describe("generateDemoStatements", () => {
  it("returns exactly `count` statements with unique ids and no server fields", () => {
    expect(statements).toHaveLength(20_000);
    expect(new Set(statements.map((s) => s.id)).size).toBe(20_000);
    for (const s of statements) {
      expect(s.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(s.stored).toBeUndefined();
      expect(s.authority).toBeUndefined();
    }
    expect(generateDemoStatements({ count: 0, now: NOW, seed: 1 })).toEqual([]);
    expect(generateDemoStatements({ count: 7, now: NOW, seed: 1 })).toHaveLength(7);
  });

  it("is deterministic for a seed and differs between seeds", () => {
    const a = generateDemoStatements({ count: 500, now: NOW, days: 90, seed: "demo" });
    const b = generateDemoStatements({ count: 500, now: NOW, days: 90, seed: "demo" });
    const c = generateDemoStatements({ count: 500, now: NOW, days: 90, seed: "other" });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(c));
  });

  it("every statement passes validateStatement (5,000 checked after a JSON round trip)", () => {
    const failures: string[] = [];
    for (const s of statements.slice(0, 5_000)) {
      const r = validateStatement(JSON.parse(JSON.stringify(s)));
      if (!r.ok) failures.push(`${s.id}: ${JSON.stringify(r.errors)}`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });

  it("spreads the newest decisions over time instead of piling them onto the seed instant", () => {
    const newest = Math.max(...columns.map((c) => c.occurredAt.getTime()));
    expect(newest).toBeLessThanOrEqual(NOW.getTime());
    // 20,000 over 90 days is ~9 an hour: no single instant should hold more than a session's worth.
    const atNewest = columns.filter((c) => c.occurredAt.getTime() === newest).length;
    expect(atNewest).toBeLessThanOrEqual(3);
    const lastHour = columns.filter((c) => c.occurredAt.getTime() > NOW.getTime() - 3_600_000);
    expect(lastHour.filter((c) => c.verb === "overrode").length).toBeLessThan(lastHour.length / 2 + 1);
  });

  it("has all four actor types in roughly the intended mix (60/20/12/8 %)", () => {
    const types: ActorType[] = ["ai", "human_approved_ai", "ai_assisted_human", "human"];
    const target = { ai: 0.6, human_approved_ai: 0.2, ai_assisted_human: 0.12, human: 0.08 };
    for (const t of types) expect(share((c) => c.actorType === t), t).toBeGreaterThan(target[t] - 0.04);
    for (const t of types) expect(share((c) => c.actorType === t), t).toBeLessThan(target[t] + 0.04);
  });

  it("has human overrides (~3%), errors (~1%) and low-confidence cases", () => {
    expect(share((c) => c.humanReview === "overridden")).toBeGreaterThan(0.02);
    expect(share((c) => c.humanReview === "overridden")).toBeLessThan(0.045);
    expect(share((c) => c.errorState)).toBeGreaterThan(0.005);
    expect(share((c) => c.errorState)).toBeLessThan(0.02);
    for (const [i, c] of columns.entries()) {
      if (!c.errorState) continue;
      const err = statements[i]!.context!.extensions![EXT.error] as { code: string; message: string };
      expect(err.message.length).toBeGreaterThan(0);
      expect(c.confidence).toBeNull();
      expect(["referred", "flagged", "escalated"]).toContain(c.verb);
    }
    // Low confidence decided by the AI alone: the cases a compliance reviewer looks for.
    expect(share((c) => c.actorType === "ai" && c.confidence !== null && c.confidence < 0.6)).toBeGreaterThan(0.01);
    const confident = columns.filter((c) => c.actorType === "ai" && c.confidence !== null).map((c) => c.confidence!);
    confident.sort((a, b) => a - b);
    expect(confident[Math.floor(confident.length / 2)]).toBeGreaterThan(0.85); // median: mostly confident
    // Overrides reference the AI's earlier record when there is one, and change the outcome.
    const overrides = statements.filter((s) => s.verb.id.endsWith("/overrode"));
    const byId = new Map(statements.map((s) => [s.id, s]));
    const withRef = overrides.filter((s) => s.context?.statement);
    expect(withRef.length).toBeGreaterThan(0);
    for (const o of withRef) {
      const original = byId.get(o.context!.statement!.id)!;
      expect(original, "override must point at a generated statement").toBeDefined();
      expect(deriveDecisionColumns(original).entityId).toBe(deriveDecisionColumns(o).entityId);
      expect(parseRfc3339(original.timestamp)!).toBeLessThanOrEqual(parseRfc3339(o.timestamp)!);
    }
    for (const o of overrides) expect(o.result!.extensions![EXT.outcome]).not.toBe(o.result!.extensions![EXT.aiOutcome]);
  });

  it("covers three systems with their verbs and entity types, staffed by a handful of named people", () => {
    const verbsBySystem = new Map<string, Set<string>>();
    const entitiesBySystem = new Map<string, Set<string>>();
    for (const c of columns) {
      const key = c.aiSystem ?? "(human)";
      if (!verbsBySystem.has(key)) verbsBySystem.set(key, new Set());
      if (!entitiesBySystem.has(key)) entitiesBySystem.set(key, new Set());
      verbsBySystem.get(key)!.add(c.verb);
      entitiesBySystem.get(key)!.add(c.entityType!);
    }
    const loans = DEMO_AI_SYSTEMS.loans.name;
    const moderation = DEMO_AI_SYSTEMS.moderation.name;
    const triage = DEMO_AI_SYSTEMS.triage.name;
    expect([...verbsBySystem.get(loans)!]).toEqual(expect.arrayContaining(["approved", "denied", "referred", "overrode"]));
    expect([...verbsBySystem.get(moderation)!]).toEqual(expect.arrayContaining(["flagged", "removed", "allowed", "overrode"]));
    expect([...verbsBySystem.get(triage)!]).toEqual(expect.arrayContaining(["triaged", "overrode"]));
    expect([...entitiesBySystem.get(loans)!]).toEqual(["loan-application"]);
    expect([...entitiesBySystem.get(moderation)!].sort()).toEqual(["comment", "post"]);
    expect([...entitiesBySystem.get(triage)!]).toEqual(["patient-encounter"]);
    const urgency = new Set(columns.filter((c) => c.aiSystem === triage && c.verb === "triaged").map((c) => c.outcome));
    expect([...urgency].sort()).toEqual(["emergent", "immediate", "less-urgent", "non-urgent", "urgent"]);
    const reviewers = new Set(columns.map((c) => c.reviewerName).filter((n) => n !== null));
    expect(reviewers.size).toBeGreaterThanOrEqual(4);
    expect(reviewers.size).toBeLessThanOrEqual(15);
  });

  it("rolls credit-risk 3.1.0 over to 3.2.0 between days 30 and 40", () => {
    const firstDay = Math.floor(NOW.getTime() / DAY) * DAY - 89 * DAY;
    const newShare = (from: number, to: number) => {
      const inWindow = columns.filter((c) => {
        const d = (c.occurredAt.getTime() - firstDay) / DAY;
        return c.modelName === "credit-risk" && d >= from && d < to;
      });
      return inWindow.filter((c) => c.modelVersion === "3.2.0").length / inWindow.length;
    };
    expect(newShare(10, 29)).toBe(0);
    expect(newShare(33, 37)).toBeGreaterThan(0.2);
    expect(newShare(33, 37)).toBeLessThan(0.8);
    expect(newShare(41, 90)).toBe(1);
    const versions = (model: string) => new Set(columns.filter((c) => c.modelName === model).map((c) => c.modelVersion));
    expect(versions("credit-risk").size).toBeGreaterThanOrEqual(2);
    expect(versions("toxicity-classifier").size).toBeGreaterThanOrEqual(2);
    expect(versions("triage-assist").size).toBeGreaterThanOrEqual(2);
  });

  it("spreads timestamps over the window with daily and weekly rhythm, sorted, with offsets", () => {
    const times = statements.map((s) => parseRfc3339(s.timestamp)!);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    expect(times[0]!).toBeGreaterThanOrEqual(NOW.getTime() - 90 * DAY);
    expect(times[times.length - 1]!).toBeLessThanOrEqual(NOW.getTime());
    const plusOne = statements.filter((s) => s.timestamp.endsWith("+01:00")).length / statements.length;
    const zulu = statements.filter((s) => s.timestamp.endsWith("Z")).length / statements.length;
    expect(zulu).toBeGreaterThan(0.7);
    expect(plusOne).toBeGreaterThan(0.05);
    expect(zulu + plusOne).toBe(1);
    // Loans: office hours and weekdays dominate.
    const loanTimes = columns.filter((c) => c.modelName === "credit-risk").map((c) => c.occurredAt);
    const officeHours = loanTimes.filter((d) => d.getUTCHours() >= 8 && d.getUTCHours() < 18).length / loanTimes.length;
    const weekend = loanTimes.filter((d) => d.getUTCDay() === 0 || d.getUTCDay() === 6).length / loanTimes.length;
    expect(officeHours).toBeGreaterThan(0.7);
    expect(weekend).toBeLessThan(0.15);
  });

  it("groups decisions into sessions and repeats entities and subjects", () => {
    const sessions = new Map<string, number>();
    for (const c of columns) if (c.sessionId) sessions.set(c.sessionId, (sessions.get(c.sessionId) ?? 0) + 1);
    expect([...sessions.values()].filter((n) => n >= 3).length).toBeGreaterThan(100);
    const entities = new Map<string, number>();
    for (const c of columns) entities.set(c.entityId!, (entities.get(c.entityId!) ?? 0) + 1);
    expect([...entities.values()].filter((n) => n > 1).length).toBeGreaterThan(100);
    const applicants = new Map<string, number>();
    for (const s of statements) {
      const ref = (s.context!.extensions![EXT.subject] as { ref: string }).ref;
      if (ref.startsWith("cust-")) applicants.set(ref, (applicants.get(ref) ?? 0) + 1);
    }
    expect(Math.max(...applicants.values())).toBeGreaterThanOrEqual(3);
  });

  it("carries latency and token usage for AI work, none for purely human decisions", () => {
    for (const [i, c] of columns.entries()) {
      const ext = statements[i]!.context!.extensions!;
      if (c.actorType === "human") {
        expect(c.latencyMs).toBeNull();
        expect(c.aiSystem).toBeNull();
        expect(ext[EXT.tokenUsage]).toBeUndefined();
      } else if (!statements[i]!.context!.statement && !c.errorState) {
        expect(c.latencyMs).toBeGreaterThan(0);
        const tokens = ext[EXT.tokenUsage] as { input: number; output: number; total: number };
        expect(tokens.total).toBe(tokens.input + tokens.output);
      }
    }
  });

  it("keeps personal data to references and hashes, all of it marked personal", () => {
    const text = JSON.stringify(statements.slice(0, 2_000));
    expect(text).not.toMatch(/mailto:|@[a-z0-9-]+\.(?:com|org|net|example)\b/i);
    for (const s of statements.slice(0, 2_000)) {
      const subject = s.context!.extensions![EXT.subject] as Record<string, string>;
      for (const [key, value] of Object.entries(subject)) {
        if (key === "ref") expect(value).toMatch(/^(?:cust-\d{7}|user-\d{6}|pat-\d{8})$/);
        else expect(value, key).toMatch(/^[0-9a-f]{64}$/);
      }
      const pointers = personalDataPointers(s);
      expect(pointers[0]).toBe(`/context/extensions/${EXT.subject.replace(/\//g, "~1")}`);
      expect(pointers.length).toBeGreaterThan(1); // personal features too
    }
    // The same applicant always has the same email hash.
    const hashes = new Map<string, string>();
    for (const s of statements) {
      const subject = s.context!.extensions![EXT.subject] as { ref: string; emailSha256?: string };
      if (!subject.emailSha256) continue;
      expect(hashes.get(subject.ref) ?? subject.emailSha256).toBe(subject.emailSha256);
      hashes.set(subject.ref, subject.emailSha256);
    }
  });

  it("is fast: 20,000 statements well under a second", () => {
    generateDemoStatements({ count: 2_000, now: NOW, seed: "warm-up" });
    // CPU time, best of two: wall time on a shared CI machine measures the neighbours.
    const cpuMs: number[] = [];
    let generated: XapiStatement[] = [];
    for (let i = 0; i < 2; i++) {
      const start = process.cpuUsage();
      generated = generateDemoStatements({ count: 20_000, now: NOW, seed: i });
      const used = process.cpuUsage(start);
      cpuMs.push((used.user + used.system) / 1000);
    }
    expect(generated).toHaveLength(20_000);
    expect(Math.min(...cpuMs)).toBeLessThan(1000);
  });
});

describe("formatRfc3339", () => {
  it("matches Date#toISOString for Z and writes local time for offsets", () => {
    for (const t of [0, 951_782_400_000, 1_709_251_199_999, 1_740_904_865_118, 4_102_444_800_000])
      expect(formatRfc3339(t)).toBe(new Date(t).toISOString());
    expect(formatRfc3339(Date.UTC(2025, 2, 2, 8, 41, 5, 118), 60)).toBe("2025-03-02T09:41:05.118+01:00");
    expect(formatRfc3339(Date.UTC(2025, 0, 1, 0, 30), 60)).toBe("2025-01-01T01:30:00.000+01:00");
    expect(parseRfc3339(formatRfc3339(1_740_904_865_118, -330))).toBe(1_740_904_865_118);
  });
});
