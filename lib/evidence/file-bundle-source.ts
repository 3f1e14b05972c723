// A bundle on disk as the verifier's BundleSource (Node only: the CLI and tests). Each range
// is a read stream of its own, so the verifier's memory does not grow with the file.

import { createReadStream, statSync } from "node:fs";
import { Readable, pipeline } from "node:stream";
import { createInflateRaw } from "node:zlib";
import type { BundleSource, InflateRaw } from "./bundle-zip-reader";

/**
 * The file's size is taken now; ranges are read with fs.createReadStream in 16 KB chunks:
 * with 64 KB ones the verifier of a 100,000-record bundle peaked ~40 MB higher (more of the
 * read buffers wait for a collection; docs/benchmarks.md, Evidence).
 */
export function fileBundleSource(path: string, chunkSize = 16 * 1024): BundleSource {
  const size = statSync(path).size;
  return {
    size,
    async *read(start, end) {
      if (end <= start) return;
      // createReadStream's end is inclusive.
      for await (const chunk of createReadStream(path, { start, end: end - 1, highWaterMark: chunkSize })) yield chunk as Buffer;
    },
  };
}

/** Node's zlib as the verifier's InflateRaw; an error on either side ends the stream with it. */
export const nodeInflateRaw: InflateRaw = (compressed) => {
  const inflate = createInflateRaw({ chunkSize: 64 * 1024 });
  pipeline(Readable.from(compressed, { objectMode: false }), inflate, () => {});
  return inflate;
};
