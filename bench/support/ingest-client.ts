import { z } from "zod";
import { percentile } from "./stats";
import type { StatementBatch } from "./statement-pool";

/** One cell of the matrix: `clients` loops, each with one request in flight, until a bound is reached. */
export interface CellSpec {
  batch: number;
  clients: number;
  /** No request is started that would take the cell past this many records. */
  maxRecords: number;
  /** No request is started after this many seconds (those in flight finish and count). */
  maxSeconds: number;
}

export interface CellResult extends CellSpec {
  requests: number;
  records: number;
  seconds: number;
  rate: number;
  p50Ms: number;
  p99Ms: number;
}

/** Any answer but the expected one: the bench stops with it (the body says what the server refused). */
export class IngestFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IngestFailure";
  }
}

const responseSchema = z.object({
  stored: z.array(z.object({ id: z.string(), seq: z.number().int(), created: z.boolean() })),
  treeSize: z.number().int(),
});

/**
 * What an acknowledgement must say: 201, one stored entry per statement sent, in order, each
 * newly created, and a tree that already contains every one of them (treeSize > seq).
 */
function checkAcknowledgement(status: number, text: string, ids: string[]): void {
  const fail = (why: string) => {
    throw new IngestFailure(`POST /api/v1/decisions with ${ids.length} statement(s): ${why}. Response ${status}: ${text.slice(0, 2000)}`);
  };
  if (status !== 201) fail("expected 201");
  let body: z.infer<typeof responseSchema>;
  try {
    body = responseSchema.parse(JSON.parse(text));
  } catch (error) {
    return fail(`unexpected body (${(error as Error).message.slice(0, 200)})`);
  }
  if (body.stored.length !== ids.length) fail(`${body.stored.length} stored entries`);
  body.stored.forEach((s, i) => {
    if (s.id !== ids[i] || !s.created) fail(`entry ${i} is ${s.id} (created ${s.created}), expected new record ${ids[i]}`);
    if (s.seq >= body.treeSize) fail(`entry ${i} has seq ${s.seq} outside the acknowledged tree of ${body.treeSize}`);
  });
}

export interface IngestTarget {
  url: string;
  apiKey: string;
}

/** Sends one batch (a single statement as an object, as a client of one would) and checks the answer; resolves with its latency. */
export async function postBatch(target: IngestTarget, batch: StatementBatch): Promise<number> {
  const body = batch.docs.length === 1 ? batch.docs[0]! : `[${batch.docs.join(",")}]`;
  const start = performance.now();
  const res = await fetch(`${target.url}/api/v1/decisions`, {
    method: "POST",
    headers: { authorization: `Bearer ${target.apiKey}`, "content-type": "application/json" },
    body,
  });
  const text = await res.text();
  const ms = performance.now() - start;
  checkAcknowledgement(res.status, text, batch.ids);
  return ms;
}

/**
 * Runs one cell: `clients` concurrent loops over keep-alive connections (Node's fetch), each
 * sending its next batch when the previous one is acknowledged. Every acknowledged id is
 * pushed to `acknowledged` (checked against the database at the end).
 */
export async function runCell(target: IngestTarget, next: (count: number) => StatementBatch, spec: CellSpec, acknowledged: string[]): Promise<CellResult> {
  const latencies: number[] = [];
  let issued = 0;
  const start = performance.now();
  const deadline = start + spec.maxSeconds * 1000;
  const client = async () => {
    while (issued + spec.batch <= spec.maxRecords && performance.now() < deadline) {
      issued += spec.batch;
      const batch = next(spec.batch);
      latencies.push(await postBatch(target, batch));
      acknowledged.push(...batch.ids);
    }
  };
  await Promise.all(Array.from({ length: spec.clients }, client));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const records = latencies.length * spec.batch;
  return { ...spec, requests: latencies.length, records, seconds, rate: records / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}
