import { sql } from "drizzle-orm";
import { openDatabase, queryRows } from "../../db/client";
const url = `postgres://postgres@127.0.0.1:5432/${process.env.DBNAME}`;
const d = await openDatabase({ url });
const db = d.db;
const size = 100000;
async function time(name: string, q: (a: number, b: number) => any) {
  const t = performance.now();
  for (let a = 0; a < size; a += 5000) await queryRows(db, q(a, a + 5000));
  console.log(name.padEnd(30), Math.round(size / (performance.now() - t) * 1000), "/s");
}
for (let r = 0; r < 2; r++) {
await time("registry rows", (a, b) => sql`select seq, entry_id::text as entry_id, recorded_at::text as recorded_at, leaf_hash, chain_hash from log_entries where log_id = 'decisions' and seq >= ${a} and seq < ${b} order by seq`);
await time("registry agg", (a, b) => sql`select array_agg(seq order by seq) as seqs, string_agg(leaf_hash || chain_hash, ''::bytea order by seq) as h from log_entries where log_id = 'decisions' and seq >= ${a} and seq < ${b}`);
await time("registry agg text seqs", (a, b) => sql`select array_to_string(array_agg(seq order by seq), ',') as seqs, string_agg(leaf_hash || chain_hash, ''::bytea order by seq) as h from log_entries where log_id = 'decisions' and seq >= ${a} and seq < ${b}`);
await time("content rows", (a, b) => sql`select seq, id::text as id, recorded_at::text as recorded_at, canonical from decisions where seq >= ${a} and seq < ${b} order by seq, recorded_at`);
await time("content joined flags", (a, b) => sql`select d.seq, d.id::text as id, d.canonical, (e.entry_id = d.id) as id_ok, (e.recorded_at = d.recorded_at) as rec_ok from decisions d left join log_entries e on e.log_id = 'decisions' and e.seq = d.seq where d.seq >= ${a} and d.seq < ${b} order by d.seq, d.recorded_at`);
await time("nodes rows", (a, b) => sql`select level, idx, hash from merkle_nodes where log_id = 'decisions' and level >= 1 and idx >= (${a}::bigint >> level) and idx < (${b}::bigint >> level)`);
await time("nodes agg", (a, b) => sql`select level, min(idx) as lo, count(*) as n, string_agg(hash, ''::bytea order by idx) as h from merkle_nodes where log_id = 'decisions' and level >= 1 and idx >= (${a}::bigint >> level) and idx < (${b}::bigint >> level) group by level`);
await time("baseline", (a, b) => sql`select seq, sha256(convert_to(canonical, 'UTF8')) as h from decisions where seq >= ${a} and seq < ${b} order by seq`);
}
const plan = await queryRows(db, sql`explain select d.seq, d.id::text as id, d.canonical, (e.entry_id = d.id) as id_ok, (e.recorded_at = d.recorded_at) as rec_ok from decisions d left join log_entries e on e.log_id = 'decisions' and e.seq = d.seq where d.seq >= 5000 and d.seq < 10000 order by d.seq, d.recorded_at`);
console.log(plan.map((p: any) => p["QUERY PLAN"]).join("\n"));
await d.close();
