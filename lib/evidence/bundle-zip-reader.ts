// Streaming access to a bundle's zip for the offline verifier, in the browser and in Node (no
// node: imports; a Node file source lives in file-bundle-source.ts). The archive is read the
// way fflate's unzipSync reads it, from its central directory (so entry order, names and
// duplicates are what the verifier always saw), but only byte ranges are ever read: one
// entry is inflated as a stream of chunks (fflate Inflate), never held whole.

import { Inflate, strFromU8 } from "fflate";

/** Random access to the bundle's bytes: its size and a stream of any byte range. */
export interface BundleSource {
  readonly size: number;
  /** The bytes [start, end) in order, in chunks of any size (end <= size). */
  read(start: number, end: number): AsyncIterable<Uint8Array>;
}

/** Bytes in memory as a source; `chunkSize` sets the chunks read hands out (tests use tiny ones). */
export function bytesSource(bytes: Uint8Array, chunkSize = 1 << 16): BundleSource {
  return {
    size: bytes.length,
    async *read(start, end) {
      for (let at = start; at < end; at += chunkSize) yield bytes.subarray(at, Math.min(end, at + chunkSize));
    },
  };
}

/** A Blob (a File the user picked in a page) as a source: each range is a slice's stream. */
export function blobSource(blob: Blob): BundleSource {
  return {
    size: blob.size,
    async *read(start, end) {
      if (end <= start) return;
      const reader = blob.slice(start, end).stream().getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      } finally {
        reader.releaseLock();
      }
    },
  };
}

/**
 * Raw DEFLATE decompression of a stream of chunks, injected like the SHA-256 backend:
 * fflate's Inflate by default (runs in a page), Node's native zlib in the CLI (faster, and it
 * makes far less garbage per byte). Throws on corrupt or truncated data.
 */
export type InflateRaw = (compressed: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>;

export const fflateInflateRaw: InflateRaw = async function* (compressed) {
  const out: Uint8Array[] = [];
  const inflate = new Inflate((data) => {
    if (data.length > 0) out.push(data);
  });
  for await (const chunk of compressed) {
    inflate.push(chunk, false);
    while (out.length > 0) yield out.shift()!;
  }
  inflate.push(new Uint8Array(0), true);
  while (out.length > 0) yield out.shift()!;
};

/** A range read whole: for the zip's directory and small entries only. */
async function readRange(source: BundleSource, start: number, end: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source.read(start, Math.min(end, source.size))) parts.push(chunk);
  return concat(parts);
}

/** An entry of the central directory. */
export interface ZipEntry {
  name: string;
  compression: number;
  compressedSize: number;
  size: number;
  /** Where its local header starts. */
  headerOffset: number;
}

// Little-endian reads as fflate does them (out-of-range bytes read as 0).
const b2 = (d: Uint8Array, b: number) => (d[b]! | (d[b + 1]! << 8)) & 0xffff;
const b4 = (d: Uint8Array, b: number) => (d[b]! | (d[b + 1]! << 8) | (d[b + 2]! << 16) | (d[b + 3]! << 24)) >>> 0;
const b8 = (d: Uint8Array, b: number) => b4(d, b) + b4(d, b + 4) * 4294967296;

/** fflate's error for a file that is no zip, so the verifier's message stays what it was. */
const invalidZip = () => new Error("invalid zip data");

const EOCD = 0x06054b50;
/** How far from the end unzipSync looks for the end record (22 bytes and a comment of at most 65,535). */
const EOCD_SEARCH = 65_558;

/** Sizes and offset of a zip64 entry from its extra field (fflate's z64hs). */
function zip64Sizes(d: Uint8Array, b: number, length: number, zip64: boolean, sc: number, su: number, off: number): [number, number, number] {
  const nsc = sc === 0xffffffff ? 1 : 0;
  const nsu = su === 0xffffffff ? 1 : 0;
  const noff = off === 0xffffffff ? 1 : 0;
  if (!zip64 || nsc + nsu + noff === 0) return [sc, su, off];
  for (const end = b + length; b + 4 < end; b += 4 + b2(d, b + 2)) {
    if (b2(d, b) === 1) return [nsc ? b8(d, b + 4 + 8 * nsu) : sc, nsu ? b8(d, b + 4) : su, noff ? b8(d, b + 4 + 8 * (nsu + nsc)) : off];
  }
  throw invalidZip();
}

/** A zip archive on a BundleSource: its directory read at open, its entries streamed on demand. */
export class ZipReader {
  private constructor(
    private readonly source: BundleSource,
    private readonly inflateRaw: InflateRaw,
    /** Every entry, in directory order, duplicates included. */
    readonly entries: readonly ZipEntry[],
  ) {}

  /** Reads the central directory; throws (fflate's messages) when the source is no zip. */
  static async open(source: BundleSource, inflateRaw: InflateRaw = fflateInflateRaw): Promise<ZipReader> {
    // 20 bytes more than the search: the zip64 locator sits just before the end record.
    const tailStart = Math.max(0, source.size - EOCD_SEARCH - 21);
    const tail = await readRange(source, tailStart, source.size);
    let e = tail.length - 22;
    if (e < 0) throw invalidZip();
    for (; b4(tail, e) !== EOCD; --e) if (tailStart + e === 0 || source.size - (tailStart + e) > EOCD_SEARCH) throw invalidZip();
    let count = b2(tail, e + 8);
    if (count === 0) return new ZipReader(source, inflateRaw, []);
    let offset = b4(tail, e + 16);
    let directoryEnd = tailStart + e;
    let zip64 = e >= 20 && b4(tail, e - 20) === 0x07064b50;
    if (zip64) {
      const at = b4(tail, e - 12);
      const record = await readRange(source, at, at + 56);
      zip64 = b4(record, 0) === 0x06064b50;
      if (zip64) {
        count = b4(record, 32);
        offset = b4(record, 48);
        directoryEnd = at;
      }
    }
    if (offset > directoryEnd) throw invalidZip();
    const d = await readRange(source, offset, directoryEnd);
    const entries: ZipEntry[] = [];
    for (let i = 0, o = 0; i < count; i++) {
      const nameLength = b2(d, o + 28);
      const extraLength = b2(d, o + 30);
      const name = strFromU8(d.subarray(o + 46, o + 46 + nameLength), !(b2(d, o + 8) & 2048));
      const extraStart = o + 46 + nameLength;
      const [compressedSize, size, headerOffset] = zip64Sizes(d, extraStart, extraLength, zip64, b4(d, o + 20), b4(d, o + 24), b4(d, o + 42));
      entries.push({ name, compression: b2(d, o + 10), compressedSize, size, headerOffset });
      o = extraStart + extraLength + b2(d, o + 32);
    }
    return new ZipReader(source, inflateRaw, entries);
  }

  /** The entry of that name; the last one when the name repeats (as unzipSync's result has it). */
  entry(name: string): ZipEntry | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]!.name === name) return this.entries[i];
    return undefined;
  }

  /** An entry's content, inflated chunk by chunk; throws on corrupt or truncated data. */
  async *chunks(entry: ZipEntry): AsyncGenerator<Uint8Array> {
    const header = await readRange(this.source, entry.headerOffset, entry.headerOffset + 30);
    const start = entry.headerOffset + 30 + b2(header, 26) + b2(header, 28);
    const end = start + entry.compressedSize;
    if (end > this.source.size) throw new Error("unexpected EOF");
    if (entry.compression === 0) {
      yield* this.source.read(start, end);
      return;
    }
    if (entry.compression !== 8) throw new Error(`unknown compression type ${entry.compression}`);
    yield* this.inflateRaw(this.source.read(start, end));
  }

  /** An entry's content whole (small files only). */
  async readAll(entry: ZipEntry): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const chunk of this.chunks(entry)) parts.push(chunk);
    return concat(parts);
  }
}

/** A line of a JSONL entry, without its newline, and its number (from 1). */
export interface EntryLine {
  line: Uint8Array;
  number: number;
}

/**
 * Splits a stream of chunks at 0x0A into the lines of each chunk; a line that spans chunks is
 * joined (so a boundary inside a line or a multi-byte character changes nothing). Same lines
 * as splitting the whole file: a last line without newline counts, an empty last one does not.
 */
export async function* lineBatches(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<EntryLine[]> {
  /** The start of a line that began in earlier chunks. */
  let carry: Uint8Array[] = [];
  let number = 1;
  for await (const chunk of chunks) {
    const batch: EntryLine[] = [];
    let start = 0;
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, start)) {
      let line = chunk.subarray(start, i);
      if (carry.length > 0) {
        line = concat([...carry, line]);
        carry = [];
      }
      batch.push({ line, number: number++ });
      start = i + 1;
    }
    if (start < chunk.length) carry.push(chunk.subarray(start));
    if (batch.length > 0) yield batch;
  }
  const last = concat(carry);
  if (last.length > 0) yield [{ line: last, number }];
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
