import { randomUUID } from "node:crypto";
import { generateDemoStatements } from "../../lib/demo/generate-demo-statements";

/** A run of statements, each under a fresh id, as JSON text ready to send or COPY. */
export interface StatementBatch {
  ids: string[];
  /** Each statement's JSON, its `id` first. */
  docs: string[];
}

/**
 * Demo statements serialised once, without their ids. A cursor hands them out in order under
 * fresh UUIDs, so every cell and every baseline stores the same sequence of statements (same
 * sizes and shapes) as new records, and the client's own CPU per record is one string concat,
 * not a JSON.stringify, while it is being timed.
 */
export class StatementPool {
  private readonly bodies: string[];

  constructor(count: number, seed = "bench-ingest") {
    const statements = generateDemoStatements({ count, now: new Date(), days: 90, seed });
    this.bodies = statements.map(({ id: _id, ...rest }) => JSON.stringify(rest));
    // The concat in `take` replaces the opening brace: an empty object would leave a trailing comma.
    if (this.bodies.some((b) => b.length <= 2)) throw new Error("the demo generator returned an empty statement");
  }

  get size(): number {
    return this.bodies.length;
  }

  /** Mean bytes of a statement's JSON (ids included), for the report. */
  meanBytes(): number {
    const total = this.bodies.reduce((sum, b) => sum + Buffer.byteLength(b, "utf8"), 0);
    return total / this.bodies.length + `"id":"${randomUUID()}",`.length;
  }

  /** A new cursor at the start of the pool (wrapping around at its end). */
  cursor(): (count: number) => StatementBatch {
    let offset = 0;
    return (count) => {
      const ids: string[] = [];
      const docs: string[] = [];
      for (let i = 0; i < count; i++, offset++) {
        const id = randomUUID();
        ids.push(id);
        docs.push(`{"id":"${id}",${this.bodies[offset % this.bodies.length]!.slice(1)}`);
      }
      return { ids, docs };
    };
  }
}
