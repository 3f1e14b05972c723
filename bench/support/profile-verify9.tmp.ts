import { sql } from "drizzle-orm";
import { openDatabase, queryRows } from "../../db/client";
import { leafHashText } from "../../lib/ledger/verify/fast-hash";
const url = `postgres://postgres@127.0.0.1:5432/${process.env.DBNAME}`;
const d = await openDatabase({ url });
const db = d.db;
const size = 100000;
const B = 5000;
async function t(name: string, q: (a: number) => any, hash: boolean) {
  const t0 = performance.now();
  for (let a = 0; a < size; a += B) {
    const rows = await queryRows<{ canonical: string }>(db, q(a));
    if (hash) for (const x of rows) leafHashText(x.canonical);
  }
  console.log(name.padEnd(20), Math.round(size / (performance.now() - t0) * 1000));
}
for (let r = 0; r < 3; r++) {
  await t("seq,id,canonical", (a) => sql`select seq, id::text as id, canonical from decisions where seq >= ${a} and seq < ${a + B} order by seq, recorded_at`, false);
  await t("canonical", (a) => sql`select canonical from decisions where seq >= ${a} and seq < ${a + B} order by seq, recorded_at`, false);
  await t("seq::int,canonical", (a) => sql`select seq::int as seq, canonical from decisions where seq >= ${a} and seq < ${a + B} order by seq, recorded_at`, false);
  await t("count(length)", (a) => sql`select sum(length(canonical)) from decisions where seq >= ${a} and seq < ${a + B}`, false);
  await t("baseline", (a) => sql`select seq, sha256(convert_to(canonical, 'UTF8')) as h from decisions where seq >= ${a} and seq < ${a + B} order by seq`, false);
}
await d.close();
