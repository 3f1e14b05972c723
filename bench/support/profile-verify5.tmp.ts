import { sql } from "drizzle-orm";
import { openDatabase, queryRows } from "../../db/client";
import { verifyLog } from "../../lib/ledger/verify/verify-database";
const url = `postgres://postgres@127.0.0.1:5432/${process.env.DBNAME}`;
const d = await openDatabase({ url });
const size = 100000;
async function baseline() {
  const t = performance.now();
  for (let a = 0; a < size; a += 5000) await queryRows(d.db, sql`select seq, sha256(convert_to(canonical, 'UTF8')) as h from decisions where seq >= ${a} and seq < ${a + 5000} order by seq`);
  return Math.round(size / (performance.now() - t) * 1000);
}
for (const bs of (process.env.SIZES ?? "1000,2000,5000").split(",").map(Number)) {
  const b1 = await baseline();
  const t = performance.now();
  await verifyLog(d.db, { logId: "decisions", verifierKeys: [], batchSize: bs });
  const v = Math.round(size / (performance.now() - t) * 1000);
  const b2 = await baseline();
  console.log(`batch ${bs}: verify ${v}/s, baseline ${b1}/${b2} -> ${Math.round(v / Math.max(b1, b2) * 100)}%`);
}
await d.close();
