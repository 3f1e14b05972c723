import { createElement, type ComponentProps } from "react";
import { renderToString } from "react-dom/server";
import { useQueryStates } from "nuqs";
import { NuqsTestingAdapter } from "nuqs/adapters/testing";
import { describe, expect, test } from "vitest";
import { decodeCursor, decisionsSearchParams, encodeCursor, loadDecisionsSearchParams, resolveDecisionQuery, serializeDecisionsSearchParams, type DecisionsSearchParams } from "@/lib/search-params/decisions";
import { describeFiltersForLog } from "@/lib/filters/decision-filters";

/** Parses a query string the way the client does: the real useQueryStates hook, rendered once. */
function parseOnClient(query: string): DecisionsSearchParams {
  let captured: DecisionsSearchParams | undefined;
  function Probe() {
    const [values] = useQueryStates(decisionsSearchParams);
    captured = values as DecisionsSearchParams;
    return null;
  }
  // children go as the third argument (react/no-children-prop); the props type still lists them.
  const props = { searchParams: query } as ComponentProps<typeof NuqsTestingAdapter>;
  renderToString(createElement(NuqsTestingAdapter, props, createElement(Probe)));
  if (!captured) throw new Error("the probe did not render");
  return captured;
}

const URLS = [
  "",
  "?range=24h",
  "?range=90d&actor=ai,human_approved_ai&verb=denied&version=3.2.0&entity=LA-2025-0007734",
  "?from=2026-03-01T00:00:00.000Z&to=2026-03-08T00:00:00.000Z&q=debt%20-approved&confMin=0.2&confMax=0.9",
  "?entity=LA-&entityMatch=prefix&entityType=loan-application&system=Loan%20Underwriting%20Assistant,Comma%2C%20System",
  "?sort=confidence&dir=asc&size=25&hide=latency,session",
  "?review=approved,overridden&session=ea53870f-d772-42d4-8115-c4f043b66317&outcome=denied",
  // Invalid values fall back to defaults (never an error).
  "?range=2y&actor=robot,ai&sort=name&dir=sideways&size=7&confMin=abc&from=yesterday&cursor=!!!",
];

describe("decision explorer URL state", () => {
  test.each(URLS)("server and client parse %s identically", (query) => {
    const server = loadDecisionsSearchParams(new URLSearchParams(query));
    const client = parseOnClient(query);
    expect(client).toEqual(server);
  });

  test("the client probe really reads the URL", () => {
    const client = parseOnClient(URLS[2]!);
    expect(client.actor).toEqual(["ai", "human_approved_ai"]);
    expect(client.range).toBe("90d");
    expect(client.entity).toBe("LA-2025-0007734");
  });

  test("invalid values become defaults or null", () => {
    const p = loadDecisionsSearchParams(new URLSearchParams(URLS[URLS.length - 1]!));
    expect(p.range).toBe("7d");
    expect(p.actor).toEqual(["ai"]);
    expect(p.sort).toBe("occurredAt");
    expect(p.dir).toBe("desc");
    expect(p.size).toBe(50);
    expect(p.confMin).toBeNull();
    expect(p.from).toBeNull();
    expect(p.cursor).toBeNull();
  });

  test.each(URLS.slice(0, -1))("serialize(parse(%s)) round-trips", (query) => {
    const parsed = loadDecisionsSearchParams(new URLSearchParams(query));
    const again = loadDecisionsSearchParams(new URLSearchParams(serializeDecisionsSearchParams(parsed)));
    expect(again).toEqual(parsed);
  });

  test("cursors round-trip, and any malformed cursor is null", () => {
    const c = { dir: "after", sort: "occurredAt", value: "2026-03-01T10:00:00.123456Z", seq: 42 } as const;
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    const n = { dir: "before", sort: "confidence", value: 0.125, seq: 0 } as const;
    expect(decodeCursor(encodeCursor(n))).toEqual(n);
    const p = loadDecisionsSearchParams(new URLSearchParams(`?cursor=${encodeCursor(c)}`));
    expect(p.cursor).toEqual(c);
    for (const bad of ["", "abc", encodeCursor({ ...c, value: "yesterday" }), encodeCursor({ ...c, seq: -1 }), encodeCursor({ ...n, value: "0.1" as unknown as number })]) {
      expect(decodeCursor(bad), bad).toBeNull();
    }
  });

  test("resolving: presets, swapped ranges, clamped confidence, notices", () => {
    const now = new Date("2026-03-20T12:00:00.000Z");
    const preset = resolveDecisionQuery(loadDecisionsSearchParams(new URLSearchParams("?range=24h")), now);
    expect(preset.filters.from).toEqual(new Date("2026-03-19T12:00:00.000Z"));
    expect(preset.filters.to).toBeNull();
    expect(preset.window).toEqual({ kind: "preset", preset: "24h" });
    expect(preset.notices).toEqual([]);

    const swapped = resolveDecisionQuery(
      loadDecisionsSearchParams(new URLSearchParams("?range=24h&from=2026-03-10T00:00:00Z&to=2026-03-01T00:00:00Z&confMin=1.5&confMax=-1")),
      now,
    );
    expect(swapped.window).toEqual({ kind: "custom" });
    expect(swapped.filters.from).toEqual(new Date("2026-03-01T00:00:00Z"));
    expect(swapped.filters.to).toEqual(new Date("2026-03-10T00:00:00Z"));
    expect(swapped.filters.confidenceMin).toBe(0);
    expect(swapped.filters.confidenceMax).toBe(1);
    expect(swapped.notices.length).toBe(4);

    const cursor = encodeCursor({ dir: "after", sort: "confidence", value: 0.5, seq: 1 });
    const mismatched = resolveDecisionQuery(loadDecisionsSearchParams(new URLSearchParams(`?cursor=${cursor}`)), now);
    expect(mismatched.cursor).toBeNull();
    const matched = resolveDecisionQuery(loadDecisionsSearchParams(new URLSearchParams(`?sort=confidence&cursor=${cursor}`)), now);
    expect(matched.cursor).toMatchObject({ value: 0.5 });
  });

  test("the access-log description names only the filters that are set", () => {
    const now = new Date("2026-03-20T12:00:00.000Z");
    const q = resolveDecisionQuery(loadDecisionsSearchParams(new URLSearchParams("?verb=denied&entity=LA-1")), now);
    expect(describeFiltersForLog(q.filters)).toEqual({
      from: "2026-03-13T12:00:00.000Z",
      entityId: "LA-1",
      entityMatch: "exact",
      verbs: ["denied"],
    });
  });
});
