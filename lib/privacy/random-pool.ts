import "server-only";
import { randomFillSync } from "node:crypto";
import type { RandomBytes } from "../ledger/xapi/pd-commitment";

/**
 * A RandomBytes source that fills a buffer from the CSPRNG once and hands out consecutive,
 * never reused slices of it: committing a statement takes two random draws per personal
 * value, and one call into OpenSSL per draw cost a tenth of the commitment work. Slices are
 * views of the pool; pd-commitment.ts copies what it keeps, and a drawn slice is never handed
 * out again (the pool is refilled, not rewound over bytes still in use).
 */
export function pooledRandomBytes(poolSize = 16_384): RandomBytes {
  let pool = randomFillSync(new Uint8Array(poolSize));
  let offset = 0;
  return (length) => {
    if (length > poolSize) return randomFillSync(new Uint8Array(length));
    if (offset + length > pool.length) {
      pool = randomFillSync(new Uint8Array(poolSize));
      offset = 0;
    }
    const slice = pool.subarray(offset, offset + length);
    offset += length;
    return slice;
  };
}
