import { sql } from "drizzle-orm";
import { openDatabase, queryRows } from "../../db/client";
const url = `postgres://postgres@127.0.0.1:5432/${process.env.DBNAME}`;
const d = await openDatabase({ url });
const db = d.db;
const size = 100000;
for (let round = 0; round < 2; round++) {
let t = performance.now();
for (let a = 0; a < size; a += 5000) {
  await queryRows(db, sql`select seq, entry_id::text, recorded_at::text, leaf_hash, chain_hash from log_entries where log_id = 'decisions' and seq >= ${a} and seq < ${a + 5000} order by seq`);
}
console.log("registry", Math.round(size / (performance.now() - t) * 1000), "/s");
t = performance.now();
for (let a = 0; a < size; a += 5000) {
  await queryRows(db, sql`select seq, id::text, recorded_at::text, canonical from decisions where seq >= ${a} and seq < ${a + 5000} order by seq`);
}
console.log("content", Math.round(size / (performance.now() - t) * 1000), "/s");
t = performance.now();
for (let a = 0; a < size; a += 5000) {
  await Promise.all([queryRows(db, sql`select seq, entry_id::text, recorded_at::text, leaf_hash, chain_hash from log_entries where log_id = 'decisions' and seq >= ${a} and seq < ${a + 5000} order by seq`),
  queryRows(db, sql`select seq, id::text, recorded_at::text, canonical from decisions where seq >= ${a} and seq < ${a + 5000} order by seq`)]);
}
console.log("both parallel", Math.round(size / (performance.now() - t) * 1000), "/s");
t = performance.now();
for (let a = 0; a < size; a += 5000) {
  await queryRows(db, sql`select seq, sha256(convert_to(canonical, 'UTF8')) as h from decisions where seq >= ${a} and seq < ${a + 5000} order by seq`);
}
console.log("baseline", Math.round(size / (performance.now() - t) * 1000), "/s");
}
const plan = await queryRows(db, sql`explain analyze select e.seq as e_seq, e.entry_id, e.leaf_hash, e.chain_hash,
               d.seq as d_seq, case when e.entry_id is distinct from d.id then d.id end as d_id, d.canonical,
               (d.id = e.entry_id) as id_ok, (d.recorded_at = e.recorded_at) as rec_ok
        from (select seq, entry_id, recorded_at, leaf_hash, chain_hash from log_entries
              where log_id = 'decisions' and seq >= 50000 and seq < 55000) e
        full join (select seq, id, recorded_at, canonical from decisions where seq >= 50000 and seq < 55000) d
          on d.seq = e.seq
        order by coalesce(e.seq, d.seq), d.recorded_at`);
console.log(plan.map((p: any) => p["QUERY PLAN"]).join("\n"));
await d.close();
