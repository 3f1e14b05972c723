import "server-only";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows } from "../../../db/client";
import { byteaColumn } from "../../../db/rows/columns";
import { hashLeafText, nodeBinaryBackend, nodeBinaryHasher, type BinHash } from "../../hash/node-sha256";
import type { VerificationFailure } from "../../ledger/verify/report";
import { nextExistingSeq, readContent, readNodesCompleted, readRegistry, type ContentBatchRow, type RegistryBatch, type StoredLevel } from "./batch-reads";
import { ChainAnalyzer, type Position } from "./chain-analyzer";
import { DERIVED_SELECT, derivedColumnDifferences } from "./derived-columns";
import { storedTree, TreeCheck } from "./tree-check";
import { progress, throwIfAborted, type VerifyRun } from "./verify-run";

const DEFAULT_BATCH = 5_000;
const PIPELINE_DEPTH = 3;

interface Batch {
  a: number;
  b: number;
  registry: RegistryBatch;
  content: ContentBatchRow[];
  nodes: Map<number, StoredLevel>;
}

const chainRow = z.object({ chain_hash: byteaColumn });

/**
 * Streams the run's range in seq order through the chain analyzer (content, chain, pairing)
 * and the rebuilt tree (stored nodes, roots at `checkSizes`). Returns both, the analyzer
 * finished but not yet settled: settling needs the signed roots compared first.
 */
export async function streamLog(run: VerifyRun, checkSizes: number[]): Promise<{ analyzer: ChainAnalyzer; tree: TreeCheck }> {
  const { db, logId, range, warnings } = run;
  let startChain: BinHash | null = nodeBinaryHasher.chainGenesis();
  if (range.fromSeq > 0) {
    const rows = await queryRows(db, sql`select chain_hash from log_entries where log_id = ${logId} and seq = ${range.fromSeq - 1}`, chainRow);
    startChain = rows[0] ? nodeBinaryBackend.fromBytes(rows[0].chain_hash) : null;
    if (!startChain) warnings.push(`seq ${range.fromSeq - 1} is missing, so the chain is checked from seq ${range.fromSeq + 1} on`);
  }
  const tree = new TreeCheck(checkSizes);
  tree.restart(await storedTree(db, logId, range.fromSeq, warnings));
  const analyzer = new ChainAnalyzer(startChain, run.findings.report);
  await new LogStream(run, analyzer, tree).run();
  return { analyzer, tree };
}

class LogStream {
  /** The next seq the stream expects; a larger one is a hole. */
  private expect: number;
  private readonly batchSize: number;
  private readonly deep: boolean;

  constructor(
    private readonly verify: VerifyRun,
    private readonly analyzer: ChainAnalyzer,
    private readonly tree: TreeCheck,
  ) {
    this.expect = verify.range.fromSeq;
    this.batchSize = verify.opts.batchSize ?? DEFAULT_BATCH;
    this.deep = verify.opts.checkDerivedColumns === true;
  }

  async run(): Promise<void> {
    const { fromSeq, toSeq, streamEnd } = this.verify.range;
    const total = toSeq - fromSeq + 1;
    // A few batches in flight: Postgres reads ahead (on other connections) while this thread
    // hashes, which is what keeps the verifier close to a bare read of the canonical bytes.
    const queue: Promise<Batch>[] = [];
    let nextStart = fromSeq;
    const fill = () => {
      while (queue.length < PIPELINE_DEPTH && nextStart < streamEnd) {
        queue.push(this.fetch(nextStart));
        nextStart = Math.min(nextStart + this.batchSize, streamEnd);
      }
    };
    fill();
    while (queue.length > 0) {
      const batch = await queue.shift()!;
      if (batch.registry.seqs.length === 0 && batch.content.length === 0 && batch.b < streamEnd) {
        // A hole of a whole batch or more: jump to the next row instead of reading the hole
        // batch by batch (a forged seq far beyond the end must not make this loop for ages).
        const next = (await nextExistingSeq(this.verify.db, this.verify.logId, batch.b)) ?? streamEnd;
        if (next > nextStart) {
          await Promise.allSettled(queue.splice(0));
          nextStart = next;
        }
      }
      fill();
      await this.feed(batch);
      const checked = Math.min(this.expect, toSeq + 1) - fromSeq;
      progress(this.verify.opts, checked, total, this.verify.started);
      throwIfAborted(this.verify.opts.signal, checked);
    }
    if (this.expect < streamEnd) this.analyzer.gap(this.expect, streamEnd);
    this.analyzer.finish();
  }

  private fetch(a: number): Promise<Batch> {
    const { db, logId, range } = this.verify;
    const b = Math.min(a + this.batchSize, range.streamEnd);
    return Promise.all([
      readRegistry(db, logId, a, b),
      readContent(db, logId, a, b, this.deep ? DERIVED_SELECT[logId] : undefined),
      readNodesCompleted(db, logId, a, b),
    ]).then(([registry, content, nodes]) => ({ a, b, registry, content, nodes }));
  }

  /**
   * Merges the batch's two seq-ordered streams, one registry entry at most per seq and the
   * content rows (normally one) ordered by seq then recorded_at, into positions.
   */
  private async feed(batch: Batch): Promise<void> {
    this.tree.useStoredNodes(batch.nodes);
    const { registry, content } = batch;
    const { seqs, hashes, ids } = registry;
    const report = this.verify.findings.report;
    let i = 0;
    let j = 0;
    while (i < seqs.length || j < content.length) {
      const rs = i < seqs.length ? seqs[i]! : Infinity;
      const cs = j < content.length ? content[j]!.seq : Infinity;
      const seq = Math.min(rs, cs);
      let reg: Position["registry"] = null;
      if (rs === seq) {
        reg = { entryId: ids.slice(i * 36, i * 36 + 36), leafHash: hashes.slice(i * 64, i * 64 + 32), chainHash: hashes.slice(i * 64 + 32, i * 64 + 64) };
        i++;
      }
      const start = j;
      while (j < content.length && content[j]!.seq === seq) j++;
      if (seq > this.expect) await this.restartAfterGap(seq);
      const position = toPosition(seq, reg, j - start === 1 ? content[start]! : content.slice(start, j), report);
      if (this.deep && reg && j - start === 1 && position.content!.leafHash === reg.leafHash) {
        checkColumns(this.verify, seq, reg.entryId, content[start]!);
      }
      this.tree.addLeaf(this.analyzer.position(position));
      this.expect = seq + 1;
    }
  }

  private async restartAfterGap(seq: number): Promise<void> {
    this.analyzer.gap(this.expect, seq);
    // Carry on past the hole with the stored nodes, so later checkpoints can still be checked.
    this.tree.restart(await storedTree(this.verify.db, this.verify.logId, seq, this.verify.warnings));
  }
}

const leafHashOfContent = (c: ContentBatchRow): BinHash =>
  typeof c.canonical === "string" ? hashLeafText(c.canonical) : nodeBinaryHasher.hashLeaf(c.canonical);

function toPosition(seq: number, registry: Position["registry"], contents: ContentBatchRow | ContentBatchRow[], report: (f: VerificationFailure) => void): Position {
  if (!Array.isArray(contents)) return { seq, registry, content: { id: contents.id, leafHash: leafHashOfContent(contents) } };
  if (contents.length === 0) return { seq, registry, content: null };
  // Several content rows for one seq (possible on the partitioned table): the one the
  // registry describes is the record; the others were added.
  const hashed = contents.map((c) => ({ c, H: leafHashOfContent(c) }));
  const pick =
    hashed.find((h) => registry && h.c.id === registry.entryId && h.H === registry.leafHash) ??
    hashed.find((h) => registry && h.c.id === registry.entryId) ??
    hashed[0]!;
  for (const h of hashed) {
    if (h === pick) continue;
    report({
      class: "inserted_record",
      seq,
      statementId: h.c.id,
      message: `seq ${seq}: an extra content row duplicates this position (statement ${h.c.id})`,
    });
  }
  return { seq, registry, content: { id: pick.c.id, leafHash: pick.H } };
}

/** The deep check of one authentic record (its canonical text matches its leaf hash). */
function checkColumns(run: VerifyRun, seq: number, statementId: string, row: ContentBatchRow): void {
  const canonical = typeof row.canonical === "string" ? row.canonical : Buffer.from(row.canonical).toString("utf8");
  const differences = derivedColumnDifferences(run.logId, canonical, row);
  if (differences.length === 0) return;
  // Column names only, never values: these columns can hold personal data (actor names),
  // and reports end up on the Integrity page and in the access log.
  run.findings.report({
    class: "modified_record",
    seq,
    statementId,
    message:
      `seq ${seq}: the searchable column(s) ${differences.map((d) => d.column).join(", ")} no longer match the record's signed content; ` +
      "lists and filters show the altered values, the record's detail page and exports the signed ones",
  });
}
