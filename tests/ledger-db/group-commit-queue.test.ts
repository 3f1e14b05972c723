import { describe, expect, it } from "vitest";
import { GroupCommitQueue, type ItemOutcome } from "@/lib/ledger-store/group-commit";

interface Item {
  name: string;
  weight?: number;
  key?: string;
  /** The group's transaction fails whenever this item is in it. */
  poison?: boolean;
  /** Refused on its own, without failing its group. */
  refused?: boolean;
}

/** A queue whose "transaction" records the groups it was given. */
function recordingQueue(maxWeight = 100) {
  const groups: string[][] = [];
  let release: (() => void) | null = null;
  let gate: Promise<void> | null = null;
  const queue = new GroupCommitQueue<Item, string>({
    commit: async (items) => {
      groups.push(items.map((i) => i.name));
      if (gate) await gate;
      if (items.some((i) => i.poison)) throw new Error(`group with ${items.map((i) => i.name).join(",")} failed`);
      return items.map((i): ItemOutcome<string> => (i.refused ? { ok: false, error: new Error(`${i.name} refused`) } : { ok: true, value: `${i.name} stored` }));
    },
    weight: (i) => i.weight ?? 1,
    maxWeight,
    compatible: (a, b) => (a.key ?? "") === (b.key ?? ""),
  });
  return {
    queue,
    groups,
    hold: () => {
      gate = new Promise<void>((r) => (release = r));
    },
    release: () => {
      gate = null;
      release?.();
    },
  };
}

describe("group commit queue", () => {
  it("sends a lone item at once and the items that arrive meanwhile as one group", async () => {
    const q = recordingQueue();
    q.hold();
    const first = q.queue.submit({ name: "a" });
    const rest = ["b", "c", "d", "e"].map((name) => q.queue.submit({ name }));
    expect(q.groups).toEqual([["a"]]);
    q.release();
    expect(await Promise.all([first, ...rest])).toEqual(["a stored", "b stored", "c stored", "d stored", "e stored"]);
    expect(q.groups).toEqual([["a"], ["b", "c", "d", "e"]]);
  });

  it("resolves an item only after its group's commit finished", async () => {
    const q = recordingQueue();
    q.hold();
    let settled = false;
    const p = q.queue.submit({ name: "a" }).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    q.release();
    await p;
    expect(settled).toBe(true);
  });

  it("caps a group at its weight and keeps incompatible items apart, in order", async () => {
    const q = recordingQueue(10);
    q.hold();
    const all = [
      q.queue.submit({ name: "first" }),
      q.queue.submit({ name: "a", weight: 6 }),
      q.queue.submit({ name: "b", weight: 4 }),
      q.queue.submit({ name: "c", weight: 1 }),
      q.queue.submit({ name: "d", key: "other" }),
      q.queue.submit({ name: "e" }),
    ];
    q.release();
    await Promise.all(all);
    expect(q.groups).toEqual([["first"], ["a", "b"], ["c"], ["d"], ["e"]]);
  });

  it("refuses one item of a group without refusing the others", async () => {
    const q = recordingQueue();
    q.hold();
    const submitted = [q.queue.submit({ name: "a" }), q.queue.submit({ name: "b", refused: true }), q.queue.submit({ name: "c" })];
    q.release();
    const results = await Promise.allSettled(submitted);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(q.groups).toEqual([["a"], ["b", "c"]]);
  });

  it("when a group's transaction fails, retries each item alone so only the culprit is refused", async () => {
    const q = recordingQueue();
    q.hold();
    const first = q.queue.submit({ name: "a" });
    const others = [q.queue.submit({ name: "b" }), q.queue.submit({ name: "bad", poison: true }), q.queue.submit({ name: "c" })];
    q.release();
    const results = await Promise.allSettled([first, ...others]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((results[2] as PromiseRejectedResult).reason.message).toBe("group with bad failed");
    expect(q.groups).toEqual([["a"], ["b", "bad", "c"], ["b"], ["bad"], ["c"]]);
  });

  it("keeps serving after a failure", async () => {
    const q = recordingQueue();
    await expect(q.queue.submit({ name: "bad", poison: true })).rejects.toThrow("failed");
    expect(await q.queue.submit({ name: "next" })).toBe("next stored");
  });
});
