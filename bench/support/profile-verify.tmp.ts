import { sql } from "drizzle-orm";
import { openDatabase, queryRows } from "../../db/client";
import { verifyLog } from "../../lib/ledger/verify/verify-database";
const url = `postgres://postgres@127.0.0.1:5432/${process.env.DBNAME}`;
const d = await openDatabase({ url });
const db = d.db;
const size = 100000;
let t = performance.now();
let bytes = 0;
for (let a = 0; a < size; a += 5000) {
  const r = await queryRows<{ canonical: string }>(db, sql`select e.seq as e_seq, e.entry_id, e.leaf_hash, e.chain_hash,
               d.seq as d_seq, case when e.entry_id is distinct from d.id then d.id end as d_id, d.canonical,
               (d.id = e.entry_id) as id_ok, (d.recorded_at = e.recorded_at) as rec_ok
        from (select seq, entry_id, recorded_at, leaf_hash, chain_hash from log_entries
              where log_id = 'decisions' and seq >= ${a} and seq < ${a + 5000}) e
        full join (select seq, id, recorded_at, canonical from decisions where seq >= ${a} and seq < ${a + 5000}) d
          on d.seq = e.seq
        order by coalesce(e.seq, d.seq), d.recorded_at`);
  for (const x of r) bytes += x.canonical.length;
}
console.log("batch query only", Math.round(size / (performance.now() - t) * 1000), "/s", bytes / size, "chars avg");
t = performance.now();
for (let a = 0; a < size; a += 5000) {
  await queryRows(db, sql`select seq, canonical from decisions where seq >= ${a} and seq < ${a + 5000} order by seq`);
}
console.log("canonical only", Math.round(size / (performance.now() - t) * 1000), "/s");
t = performance.now();
for (let a = 0; a < size; a += 5000) {
  await queryRows(db, sql`select seq, sha256(convert_to(canonical, 'UTF8')) as h from decisions where seq >= ${a} and seq < ${a + 5000} order by seq`);
}
console.log("baseline", Math.round(size / (performance.now() - t) * 1000), "/s");
t = performance.now();
const rep = await verifyLog(db, { logId: "decisions", verifierKeys: [] });
console.log("verifyLog", Math.round(size / (performance.now() - t) * 1000), "/s", rep.failureCount);
await d.close();
