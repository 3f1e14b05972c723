import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Sql } from "postgres";
import type { StatementBatch } from "./statement-pool";

/**
 * The ingest benchmark's baselines, written with postgres.js directly (no drizzle, no app):
 *
 *  - COPY: the statements streamed into `(id uuid, doc jsonb)`, no index, no constraint:
 *    what this Postgres can take in at all.
 *  - seed 000's hand-built design ("append-only PostgreSQL with row-level hashing"): an
 *    append-only table whose BEFORE INSERT trigger chains SHA-256 row hashes,
 *    row_hash = sha256(prev row_hash || id || doc), under one transaction-scoped lock so the
 *    chain is one total order, with a gap-free seq assigned under that lock; UPDATE and
 *    DELETE are refused. Rows are inserted in batches, each batch one INSERT of one JSON
 *    parameter.
 */
const DDL = [
  `create table ingest_copy_baseline (id uuid, doc jsonb)`,
  `create table ingest_seed000 (
     seq bigint primary key,
     id uuid not null,
     doc jsonb not null,
     recorded_at timestamptz not null default now(),
     prev_hash bytea,
     row_hash bytea not null
   )`,
  `create function ingest_seed000_chain() returns trigger language plpgsql as $$
   declare
     last_seq bigint;
     last_hash bytea;
   begin
     -- Held to commit: concurrent writers chain one after the other, never on the same predecessor.
     perform pg_advisory_xact_lock(hashtext('ingest_seed000'));
     -- Rows inserted earlier by the same statement are visible to a BEFORE ROW trigger's queries.
     select seq, row_hash into last_seq, last_hash from ingest_seed000 order by seq desc limit 1;
     new.seq := coalesce(last_seq + 1, 0);
     new.prev_hash := last_hash;
     new.row_hash := sha256(coalesce(last_hash, ''::bytea) || convert_to(new.id::text || new.doc::text, 'UTF8'));
     return new;
   end $$`,
  `create trigger ingest_seed000_chain before insert on ingest_seed000 for each row execute function ingest_seed000_chain()`,
  `create function ingest_seed000_refuse() returns trigger language plpgsql as $$
   begin
     raise exception 'ingest_seed000 is append-only';
   end $$`,
  `create trigger ingest_seed000_append_only before update or delete on ingest_seed000 for each statement execute function ingest_seed000_refuse()`,
];

export async function createBaselineTables(pg: Sql): Promise<void> {
  for (const statement of DDL) await pg.unsafe(statement);
}

/** COPY text format: only backslashes need escaping (JSON text has no raw tab or newline). */
function copyChunks(records: StatementBatch, rowsPerChunk = 1_000): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < records.ids.length; i += rowsPerChunk) {
    let chunk = "";
    for (let j = i; j < Math.min(i + rowsPerChunk, records.ids.length); j++) chunk += `${records.ids[j]}\t${records.docs[j]!.replace(/\\/g, "\\\\")}\n`;
    chunks.push(chunk);
  }
  return chunks;
}

/** Seconds to COPY `records` in one stream into the emptied COPY table (the text is prepared before the clock starts). */
export async function copyBaseline(pg: Sql, records: StatementBatch): Promise<number> {
  await pg`truncate ingest_copy_baseline`;
  const chunks = copyChunks(records);
  const start = performance.now();
  const stream = await pg`copy ingest_copy_baseline (id, doc) from stdin`.writable();
  // Resolves on the server's CommandComplete: the COPY has committed.
  await pipeline(Readable.from(chunks), stream);
  return (performance.now() - start) / 1000;
}

/**
 * Seconds to insert `records` into the emptied seed-000 table in batches of `batch`, with
 * `writers` concurrent connections each inserting its next batch (JSON prepared before the clock starts).
 */
export async function seed000Baseline(pg: Sql, records: StatementBatch, batch: number, writers: number): Promise<number> {
  await pg`truncate ingest_seed000`;
  const batches: string[] = [];
  for (let i = 0; i < records.docs.length; i += batch) batches.push(`[${records.docs.slice(i, i + batch).join(",")}]`);
  let nextBatch = 0;
  const writer = async () => {
    for (let b = nextBatch++; b < batches.length; b = nextBatch++) {
      // ::text first: a parameter typed jsonb would be JSON-encoded again by postgres.js (a string scalar).
      await pg`insert into ingest_seed000 (id, doc)
               select (e->>'id')::uuid, e from jsonb_array_elements(${batches[b]!}::text::jsonb) with ordinality as x(e, i) order by i`;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: writers }, writer));
  return (performance.now() - start) / 1000;
}

/** The seed-000 chain must be whole after a run: `count` rows, seq 0..count-1, each hash recomputed over its predecessor's. */
export async function checkSeed000Chain(pg: Sql, count: number): Promise<void> {
  const [row] = await pg<{ n: string; bad: string }[]>`
    select count(*) as n,
           count(*) filter (where seq <> rn - 1 or prev_hash is distinct from lag_hash
                              or row_hash <> sha256(coalesce(lag_hash, ''::bytea) || convert_to(id::text || doc::text, 'UTF8'))) as bad
    from (select *, row_number() over (order by seq) as rn, lag(row_hash) over (order by seq) as lag_hash from ingest_seed000) t`;
  if (Number(row?.n) !== count || Number(row?.bad) !== 0) {
    throw new Error(`the seed-000 baseline chain is broken: ${row?.n} rows (expected ${count}), ${row?.bad} out of order`);
  }
}
