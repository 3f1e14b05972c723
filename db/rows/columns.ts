import { z } from "zod";

// zod schemas for the column types raw SQL returns, shared by every typed read
// (queryRows in db/client.ts). The two drivers differ: postgres.js returns bigint columns as
// strings and bytea as Buffer, PGlite bigint as number (or bigint) and bytea as Uint8Array.

/** A bigint column (seq, counts) as a JS number; refuses values past 2^53. */
export const bigintColumn = z.union([z.number(), z.string(), z.bigint()]).transform((v, ctx) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) {
    ctx.addIssue({ code: "custom", message: `not a safe integer: ${String(v)}` });
    return z.NEVER;
  }
  return n;
});

/** A double precision / numeric column as a number (numeric arrives as a string). */
export const numberColumn = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = Number(v);
  if (Number.isNaN(n)) {
    ctx.addIssue({ code: "custom", message: `not a number: ${String(v)}` });
    return z.NEVER;
  }
  return n;
});

/** A bytea column as a Uint8Array (Buffer is one). */
export const byteaColumn = z.instanceof(Uint8Array);

/** A timestamptz column as a Date (raw SQL may return text). */
export const timestampColumn = z.union([z.date(), z.string()]).transform((v, ctx) => {
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) {
    ctx.addIssue({ code: "custom", message: `not a timestamp: ${String(v)}` });
    return z.NEVER;
  }
  return d;
});
