import "server-only";
import type { VerificationFailure } from "../../ledger/verify/report";
import { binHashToHex as hex, nodeBinaryHasher, type BinHash } from "../../hash/node-sha256";

/** Whether `chain` = SHA-256(previous || leaf). */
const chainFollows = (chain: BinHash, previous: BinHash, leaf: BinHash): boolean => chain === nodeBinaryHasher.hashChain(previous, leaf);

/**
 * Walks one log position by position (in seq order) and names what is wrong with the
 * hash chain and the records' content. It is the record-level half of the verifier; the
 * Merkle tree and checkpoint half lives in verify-database.ts.
 *
 * Notation (docs/tamper-evidence.md): at position q the registry holds L (leaf hash) and
 * C (chain hash); the content row hashes to H = SHA-256(0x00 || canonical). A clean log
 * has H = L and C = SHA-256(C(q-1) || L). `x` is the chain value the analyzer believes is
 * authentic just before q; `xPrev` the one before that.
 *
 * A single broken link is ambiguous on its own, so a break at q is kept pending until
 * q+1 shows which chain value the rest of the log builds on:
 *   - q+1 follows SHA-256(x || L(q))  -> only C(q) was altered            -> modified_hash
 *   - q+1 follows x (skips q)          -> q was slipped in                 -> inserted_record
 *   - q+1 follows C(q) and q follows C(q+1) with q+1 following x           -> reordered_records
 *   - q+1 follows C(q) (q itself does not follow x) or nothing at all      -> suspect
 * Suspects are settled at the end (finish), where far-apart swaps are paired and the
 * signed checkpoints tell whether the record itself is authentic.
 */

export interface RegistryRow {
  entryId: string;
  leafHash: BinHash;
  chainHash: BinHash;
}

export interface ContentRow {
  id: string;
  /** H, computed by the verifier from the canonical bytes. */
  leafHash: BinHash;
}

export interface Position {
  seq: number;
  registry: RegistryRow | null;
  content: ContentRow | null;
}

interface Break {
  seq: number;
  id: string;
  /** Authentic chain before the break (non-null: breaks are only judged against a known chain). */
  x: BinHash;
  L: BinHash;
  H: BinHash | null;
  C: BinHash;
}

interface ContentOnly {
  seq: number;
  id: string;
  x: BinHash | null;
  xPrev: BinHash | null;
  H: BinHash;
  /** SHA-256(x || H): what the chain after this position would be had its registry row been removed. */
  E: BinHash | null;
}

type Pending = { kind: "break"; b: Break } | { kind: "content_only"; c: ContentOnly };

interface Suspect extends Break {
  /** What the next position built on: C(q) ("stored"), nothing recognisable ("none"), or there was none ("end"). */
  successor: "stored" | "none" | "end";
}

interface ContentMismatch {
  seq: number;
  id: string;
  H: BinHash;
  L: BinHash;
}

/** Failures that break the positions of the tree (so a checkpoint root mismatch after them is no news). */
export const STRUCTURAL_CLASSES = new Set(["missing_record", "inserted_record", "reordered_records"]);

export interface SettleContext {
  /** Largest signed tree size: a record at or beyond it is not covered by the signed history. */
  signedSize: number;
  /** Largest checkpoint size whose signed root the verifier reproduced: records below it are authentic as fed to the tree. */
  confirmedSize: number;
}

const MAX_TRACKED = 5_000;

export class ChainAnalyzer {
  private x: BinHash | null;
  private xPrev: BinHash | null = null;
  private pending: Pending | null = null;
  /** The previous position when it had a registry row, for the "q+1 skips q" test. */
  private prev: { seq: number; id: string; L: BinHash; C: BinHash } | null = null;
  private readonly suspects: Suspect[] = [];
  private readonly mismatches: ContentMismatch[] = [];
  /** Chain hashes of records found reordered, to recognise the breaks their move causes next to them. */
  private readonly reorderedChains: BinHash[] = [];

  constructor(
    startChain: BinHash | null,
    private readonly report: (failure: VerificationFailure) => void,
  ) {
    this.x = startChain;
  }

  /** Feeds one position; returns the leaf hash the Merkle tree should use for it (null: none known). */
  position(p: Position): BinHash | null {
    const { seq, registry: r, content: c } = p;
    if (!r) {
      // Content without a registry row: settled by the next position (see resolveContentOnly).
      this.settlePending(null);
      const H = c!.leafHash;
      const E = this.x ? nodeBinaryHasher.hashChain(this.x, H) : null;
      this.pending = { kind: "content_only", c: { seq, id: c!.id, x: this.x, xPrev: this.xPrev, H, E } };
      this.xPrev = this.x;
      this.x = E;
      this.prev = null;
      return H;
    }
    const L = r.leafHash;
    const C = r.chainHash;
    const H = c ? c.leafHash : null;
    if (!c) {
      this.report({
        class: "missing_record",
        seq,
        statementId: r.entryId,
        message: `seq ${seq}: the registry entry is there but the record's content row was removed`,
      });
    }
    const consumed = this.settlePending({ seq, id: r.entryId, L, H, C });
    let leaf: BinHash = L;
    if (!consumed) leaf = this.link(seq, r.entryId, L, H, C);
    else if (H && H !== L) this.contentMismatch(seq, r.entryId, H, L);
    this.prev = { seq, id: r.entryId, L, C };
    return leaf;
  }

  /** Positions [fromSeq, toSeq) are absent from both the registry and the content table. */
  gap(fromSeq: number, toSeqExclusive: number): void {
    this.settlePending(null);
    const n = toSeqExclusive - fromSeq;
    this.report({
      class: "missing_record",
      seq: fromSeq,
      toSeq: toSeqExclusive - 1,
      message:
        n === 1
          ? `seq ${fromSeq} is missing: the record and its registry entry were removed`
          : `seqs ${fromSeq}-${toSeqExclusive - 1} are missing (${n} records): removed with their registry entries`,
    });
    // The chain cannot be followed across the hole: the next record is accepted as a new start.
    this.x = null;
    this.xPrev = null;
    this.prev = null;
  }

  /** End of the stream: a pending break has no successor. */
  finish(): void {
    this.settlePending(null);
  }

  /** Chain hash just after the last position fed, when known (for tests and range hand-over). */
  get currentChain(): BinHash | null {
    return this.pending ? null : this.x;
  }

  // ---------------------------------------------------------------------------------

  /** Judges position q against the authentic chain x; returns the leaf the tree should use. */
  private link(seq: number, id: string, L: BinHash, H: BinHash | null, C: BinHash): BinHash {
    const x = this.x;
    if (!x) {
      // Start of the stream after a gap (or an unverifiable predecessor): nothing to compare the
      // chain with, so C is taken as given. A content mismatch can only be reported as such.
      if (H && H !== L) this.contentMismatch(seq, id, H, L);
      this.xPrev = null;
      this.x = C;
      return L;
    }
    if (chainFollows(C, x, L)) {
      if (H && H !== L) this.contentMismatch(seq, id, H, L);
      this.advance(C);
      return L;
    }
    if (H && H !== L && chainFollows(C, x, H)) {
      // The chain was built on the content's real hash: the leaf_hash column was altered.
      this.report({
        class: "modified_hash",
        seq,
        statementId: id,
        message: `seq ${seq}: the stored leaf hash was altered (the record's content and the hash chain still agree with each other)`,
        expected: hex(H),
        actual: hex(L),
      });
      this.advance(C);
      return H;
    }
    if (this.prev && this.xPrev && chainFollows(C, this.xPrev, L)) {
      // q builds on the chain before q-1, although q-1 itself linked fine: q-1 was slipped in.
      this.report({
        class: "inserted_record",
        seq: this.prev.seq,
        statementId: this.prev.id,
        message: `seq ${this.prev.seq}: record inserted into the log: the next record's chain hash skips it and continues from seq ${this.prev.seq - 1}`,
      });
      this.x = C;
      return H ?? L;
    }
    this.pending = { kind: "break", b: { seq, id, x, L, H, C } };
    return H ?? L;
  }

  private advance(chain: BinHash): void {
    this.xPrev = this.x;
    this.x = chain;
  }

  /**
   * Settles the pending position (q-1) with the help of position q (`next`, null when there
   * is none or it has no registry row). Returns true when q was settled along with it.
   */
  private settlePending(next: { seq: number; id: string; L: BinHash; H: BinHash | null; C: BinHash } | null): boolean {
    const pending = this.pending;
    if (!pending) return false;
    this.pending = null;
    if (pending.kind === "content_only") {
      this.settleContentOnly(pending.c, next);
      return false;
    }
    const b = pending.b;
    if (!next) {
      this.suspect(b, "end");
      this.x = b.C;
      this.xPrev = null;
      return false;
    }
    // (a) Adjacent swap: q follows the chain before q-1, and q-1 follows q.
    if (chainFollows(next.C, b.x, next.L) && chainFollows(b.C, next.C, b.L)) {
      this.reordered(b.seq, b.id, next.seq, next.id, "they follow each other's place in the hash chain");
      this.reorderedChains.push(b.C, next.C);
      if (b.H && b.H !== b.L) this.contentMismatch(b.seq, b.id, b.H, b.L);
      this.xPrev = next.C;
      this.x = b.C;
      return true;
    }
    // (b) q follows what C(q-1) should have been: only the chain hash of q-1 was altered.
    const eL = nodeBinaryHasher.hashChain(b.x, b.L);
    const eH = b.H && b.H !== b.L ? nodeBinaryHasher.hashChain(b.x, b.H) : null;
    for (const [expected, leafAltered] of [
      [eL, false],
      [eH, true],
    ] as const) {
      if (expected && chainFollows(next.C, expected, next.L)) {
        this.report({
          class: "modified_hash",
          seq: b.seq,
          statementId: b.id,
          message: leafAltered
            ? `seq ${b.seq}: the stored leaf hash and chain hash were altered (the record's content still fits the chain)`
            : `seq ${b.seq}: the stored chain hash was altered (the next record's chain still continues from the correct value)`,
          expected: hex(expected),
          actual: hex(b.C),
        });
        if (!leafAltered && b.H && b.H !== b.L) this.contentMismatch(b.seq, b.id, b.H, b.L);
        this.xPrev = b.x;
        this.x = expected;
        return false;
      }
    }
    // (c) q continues from the chain before q-1: q-1 was slipped in (with a chain hash that does not follow).
    if (chainFollows(next.C, b.x, next.L)) {
      this.report({
        class: "inserted_record",
        seq: b.seq,
        statementId: b.id,
        message: `seq ${b.seq}: record inserted into the log: its chain hash does not follow seq ${b.seq - 1} and the next record skips it`,
      });
      this.x = b.x;
      return false;
    }
    // (d)/(e) Settled at the end with the whole picture.
    this.suspect(b, chainFollows(next.C, b.C, next.L) ? "stored" : "none");
    this.xPrev = b.x;
    this.x = b.C;
    return false;
  }

  private settleContentOnly(c: ContentOnly, next: { seq: number; L: BinHash; C: BinHash } | null): void {
    if (next && c.E && chainFollows(next.C, c.E, next.L)) {
      // The chain still runs through this content: only its registry entry was deleted.
      this.report({
        class: "missing_record",
        seq: c.seq,
        statementId: c.id,
        message: `seq ${c.seq}: the registry entry (leaf and chain hash) was removed; the content row is still there and fits the chain`,
      });
      return; // x = E already
    }
    if (next && c.x && chainFollows(next.C, c.x, next.L)) {
      this.report({
        class: "inserted_record",
        seq: c.seq,
        statementId: c.id,
        message: `seq ${c.seq}: a content row without a registry entry; the hash chain does not include it`,
      });
      this.x = c.x;
      this.xPrev = c.xPrev;
      return;
    }
    this.report({
      class: "inserted_record",
      seq: c.seq,
      statementId: c.id,
      message: `seq ${c.seq}: a content row without a registry entry`,
    });
    this.x = null;
    this.xPrev = null;
  }

  private contentMismatch(seq: number, id: string, H: BinHash, L: BinHash): void {
    if (this.mismatches.length < MAX_TRACKED) this.mismatches.push({ seq, id, H, L });
    else this.reportModified({ seq, id, H, L });
  }

  private reportModified(m: ContentMismatch): void {
    this.report({
      class: "modified_record",
      seq: m.seq,
      statementId: m.id,
      message: `seq ${m.seq}: the record's content was changed: it no longer matches the leaf hash recorded when it was written`,
      expected: hex(m.L),
      actual: hex(m.H),
    });
  }

  private suspect(b: Break, successor: Suspect["successor"]): void {
    this.suspects.push({ ...b, successor });
    if (this.suspects.length > MAX_TRACKED) this.reportSuspect(this.suspects.shift()!, { signedSize: 0, confirmedSize: 0 });
  }

  private reordered(seqA: number, idA: string, seqB: number, idB: string, why: string): void {
    this.report({
      class: "reordered_records",
      seq: seqA,
      statementId: idA,
      relatedSeq: seqB,
      relatedStatementId: idB,
      message: `seqs ${seqA} and ${seqB} were swapped: ${why}`,
    });
  }

  /**
   * Names what is left once the whole log was read: content swaps (two records whose
   * content hashes are each other's leaf hashes), far-apart row swaps (each record follows
   * the chain before the other's position), the breaks those moves cause next to them, and
   * lone breaks, judged by whether a signed checkpoint vouches for the record.
   */
  settle(ctx: SettleContext): void {
    // Content swaps.
    const byLeaf = new Map<string, ContentMismatch>();
    for (const m of this.mismatches) byLeaf.set(m.L, m);
    const paired = new Set<ContentMismatch>();
    for (const m of this.mismatches) {
      if (paired.has(m)) continue;
      const partner = byLeaf.get(m.H);
      if (partner && partner !== m && !paired.has(partner) && partner.H === m.L) {
        paired.add(m);
        paired.add(partner);
        const [a, b] = m.seq < partner.seq ? [m, partner] : [partner, m];
        this.reordered(a.seq, a.id, b.seq, b.id, "each one's content is the content the other was written with");
      } else {
        this.reportModified(m);
      }
    }
    // Row swaps far apart.
    const done = new Set<Suspect>();
    for (let i = 0; i < this.suspects.length; i++) {
      const a = this.suspects[i]!;
      if (done.has(a)) continue;
      for (let j = i + 1; j < this.suspects.length; j++) {
        const b = this.suspects[j]!;
        if (done.has(b)) continue;
        if (chainFollows(b.C, a.x, b.L) && chainFollows(a.C, b.x, a.L)) {
          done.add(a);
          done.add(b);
          this.reorderedChains.push(a.C, b.C);
          this.reordered(a.seq, a.id, b.seq, b.id, "each one's chain hash follows the record before the other's place");
          // The records right after each moved one now follow the other's chain: that is
          // the same swap seen from its neighbours, not a second one (mark them before they
          // could be paired with each other).
          for (const s of this.suspects) {
            if (!done.has(s) && (chainFollows(s.C, a.C, s.L) || chainFollows(s.C, b.C, s.L))) done.add(s);
          }
          break;
        }
      }
    }
    for (const s of this.suspects) {
      if (done.has(s)) continue;
      // The record after a moved one follows the moved record's chain: explained by the swap.
      if (this.reorderedChains.some((moved) => chainFollows(s.C, moved, s.L))) continue;
      this.reportSuspect(s, ctx);
    }
    this.suspects.length = 0;
    this.mismatches.length = 0;
  }

  private reportSuspect(s: Suspect, ctx: SettleContext): void {
    if (s.seq >= ctx.signedSize) {
      this.report({
        class: "inserted_record",
        seq: s.seq,
        statementId: s.id,
        message: `seq ${s.seq}: record not written by the ledger: its chain hash does not follow seq ${s.seq - 1} and no signed checkpoint covers it`,
        expected: hex(nodeBinaryHasher.hashChain(s.x, s.L)),
        actual: hex(s.C),
      });
    } else if (s.seq < ctx.confirmedSize) {
      this.report({
        class: "modified_hash",
        seq: s.seq,
        statementId: s.id,
        message: `seq ${s.seq}: the stored chain hash was altered (the record itself is confirmed by a signed checkpoint)`,
        expected: hex(nodeBinaryHasher.hashChain(s.x, s.L)),
        actual: hex(s.C),
      });
    } else {
      this.report({
        class: "modified_record",
        seq: s.seq,
        statementId: s.id,
        message:
          `seq ${s.seq}: the record no longer fits the hash chain: its content and leaf hash were changed together` +
          (s.successor === "stored" ? " (or records before it were removed and the later ones renumbered)" : ""),
        expected: hex(nodeBinaryHasher.hashChain(s.x, s.L)),
        actual: hex(s.C),
      });
    }
  }
}
