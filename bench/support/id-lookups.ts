/**
 * The question of decisions_id_idx (random UUIDs, the most expensive B-tree to keep at
 * scale): can every lookup by id go through log_entries' unique (log_id, entry_id) index and
 * then the decisions primary key (seq, recorded_at) instead? Both forms of the two id lookups
 * the benchmarks run: getDecision (one id) and the export of hand-picked ids
 * (listSelectedDecisionSeqs in db/queries/evidence-exports.ts, 1,000 ids), each explained and
 * timed on the same ids. The "today" forms MIRROR those functions' WHERE clauses; the
 * "via log_entries" forms are the proposed replacements. log_entries.entry_id equals
 * decisions.id for every record (verify-db checks it), so both forms find the same rows.
 *
 * Migration 0010 dropped decisions_id_idx (the code now uses the log_entries forms), so the
 * comparison builds the index for the "before" forms and drops it again afterwards.
 */
import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { executeSql, queryRows, type Db } from "../../db/client";
import { planReads } from "./index-plans";
import { percentile, timed } from "./stats";

export interface IdLookupForm {
  name: string;
  indexes: string[];
  seqScans: string[];
  p50: number;
  p95: number;
}

const one = {
  today: (id: string) =>
    sql`select d.seq, d.canonical, e.leaf_hash from decisions d
        join log_entries e on e.log_id = 'decisions' and e.seq = d.seq and e.recorded_at = d.recorded_at
        where d.id = ${id}::uuid limit 1`,
  viaLog: (id: string) =>
    sql`select d.seq, d.canonical, e.leaf_hash from log_entries e
        join decisions d on d.seq = e.seq and d.recorded_at = e.recorded_at
        where e.log_id = 'decisions' and e.entry_id = ${id}::uuid limit 1`,
};

const uuidList = (ids: string[]) => sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `);
const many = {
  today: (ids: string[]) => sql`select d.seq from decisions d where d.id in (${uuidList(ids)}) order by d.seq`,
  // An export needs only the positions: log_entries alone answers.
  viaLog: (ids: string[]) => sql`select e.seq from log_entries e where e.log_id = 'decisions' and e.entry_id in (${uuidList(ids)}) order by e.seq`,
};

async function plan(db: Db, parents: Map<string, string>, query: SQL): Promise<{ indexes: string[]; seqScans: string[] }> {
  const rows = await queryRows(db, sql`explain (format json) ${query}`, z.object({ "QUERY PLAN": z.unknown() }));
  return planReads(rows[0]?.["QUERY PLAN"], parents);
}

/** Times `make(arg)` for each arg (after one untimed pass) and explains it for the first. */
async function form<A>(db: Db, parents: Map<string, string>, name: string, args: A[], make: (a: A) => SQL): Promise<IdLookupForm> {
  for (const a of args) await queryRows(db, make(a), z.object({}).passthrough());
  const samples: number[] = [];
  for (const a of args) samples.push((await timed(() => queryRows(db, make(a), z.object({}).passthrough()))).ms);
  samples.sort((x, y) => x - y);
  return { name, ...(await plan(db, parents, make(args[0]!))), p50: percentile(samples, 50), p95: percentile(samples, 95) };
}

/** Both forms of both lookups on random stored ids: 200 single lookups, 10 lists of 1,000 ids. */
export async function compareIdLookups(db: Db, parents: Map<string, string>): Promise<IdLookupForm[]> {
  const ids = (await queryRows(db, sql`select id::text as id from decisions order by random() limit 10000`, z.object({ id: z.string() }))).map((r) => r.id);
  const singles = ids.slice(0, 200);
  const lists = Array.from({ length: 10 }, (_, i) => ids.slice(i * 1000, (i + 1) * 1000)).filter((l) => l.length > 0);
  await executeSql(db, sql`create index decisions_id_idx on decisions (id)`);
  await executeSql(db, sql`analyze decisions`);
  try {
    return [
      await form(db, parents, "one id on decisions_id_idx (before 0010)", singles, one.today),
      await form(db, parents, "one id via log_entries (entry_id → seq, recorded_at), as getDecision", singles, one.viaLog),
      await form(db, parents, "1,000 ids on decisions_id_idx (before 0010)", lists, many.today),
      await form(db, parents, "1,000 ids via log_entries, as the export", lists, many.viaLog),
    ];
  } finally {
    await executeSql(db, sql`drop index decisions_id_idx`);
  }
}
