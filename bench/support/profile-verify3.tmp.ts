import { sql } from "drizzle-orm";
import { openDatabase, queryRows } from "../../db/client";
import { leafHashText } from "../../lib/ledger/verify/fast-hash";
import { hash } from "node:crypto";
const url = `postgres://postgres@127.0.0.1:5432/${process.env.DBNAME}`;
const d = await openDatabase({ url });
const db = d.db;
const size = 100000;
const pre = Buffer.from([0]);
for (let round = 0; round < 2; round++) {
let t = performance.now();
for (let a = 0; a < size; a += 5000) {
  const rows = await queryRows<{canonical: string}>(db, sql`select seq, id::text, recorded_at::text, canonical from decisions where seq >= ${a} and seq < ${a + 5000} order by seq`);
  for (const r of rows) leafHashText(r.canonical);
}
console.log("content text + hash", Math.round(size / (performance.now() - t) * 1000), "/s");
t = performance.now();
for (let a = 0; a < size; a += 5000) {
  const rows = await queryRows<{c: Uint8Array}>(db, sql`select seq, id::text, recorded_at::text, '\\x00'::bytea || convert_to(canonical, 'UTF8') as c from decisions where seq >= ${a} and seq < ${a + 5000} order by seq`);
  for (const r of rows) hash("sha256", r.c, "buffer");
}
console.log("content bytea + hash", Math.round(size / (performance.now() - t) * 1000), "/s");
}
await d.close();
