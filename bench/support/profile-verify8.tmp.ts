import { sql } from "drizzle-orm";
import { openDatabase, queryRows } from "../../db/client";
import { leafHashText } from "../../lib/ledger/verify/fast-hash";
const url = `postgres://postgres@127.0.0.1:5432/${process.env.DBNAME}`;
const d = await openDatabase({ url });
const db = d.db;
const size = 100000;
const B = Number(process.env.BS ?? 5000);
for (let r = 0; r < 3; r++) {
let t = performance.now();
for (let a = 0; a < size; a += B) {
  const rows = await queryRows<{ canonical: string; id: string }>(db, sql`select seq, id::text as id, canonical from decisions where seq >= ${a} and seq < ${a + B} order by seq, recorded_at`);
  for (const x of rows) leafHashText(x.canonical);
}
console.log("rows+hash", Math.round(size / (performance.now() - t) * 1000));
t = performance.now();
for (let a = 0; a < size; a += B) {
  const [row] = await queryRows<{ seqs: string; ids: string; c: string }>(db, sql`select array_to_string(array_agg(seq order by seq, recorded_at), ',') as seqs, string_agg(id::text, '' order by seq, recorded_at) as ids, string_agg(canonical, E'\\x1e' order by seq, recorded_at) as c from decisions where seq >= ${a} and seq < ${a + B}`);
  const parts = row!.c.split("\x1e");
  for (const p of parts) leafHashText(p);
}
console.log("agg+hash", Math.round(size / (performance.now() - t) * 1000));
t = performance.now();
for (let a = 0; a < size; a += B) {
  await queryRows(db, sql`select seq, sha256(convert_to(canonical, 'UTF8')) as h from decisions where seq >= ${a} and seq < ${a + 5000} order by seq`);
}
console.log("baseline", Math.round(size / (performance.now() - t) * 1000));
}
await d.close();
