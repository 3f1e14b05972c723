import { sql } from "drizzle-orm";
import { openDatabase, queryRows } from "../../db/client";
import { verifyLog } from "../../lib/ledger/verify/verify-database";
const url = `postgres://postgres@127.0.0.1:5432/${process.env.DBNAME}`;
const d = await openDatabase({ url });
const size = 100000;
async function baseline() {
  const t = performance.now();
  for (let a = 0; a < size; a += 5000) await queryRows(d.db, sql`select seq, sha256(convert_to(canonical, 'UTF8')) as h from decisions where seq >= ${a} and seq < ${a + 5000} order by seq`);
  return size / (performance.now() - t) * 1000;
}
const bs = Number(process.env.BS ?? 5000);
const ratios: number[] = [];
for (let r = 0; r < Number(process.env.ROUNDS ?? 5); r++) {
  const b = await baseline();
  const t = performance.now();
  await verifyLog(d.db, { logId: "decisions", verifierKeys: [], batchSize: bs });
  const v = size / (performance.now() - t) * 1000;
  ratios.push(v / b);
  console.log(`verify ${Math.round(v)}/s baseline ${Math.round(b)}/s ratio ${Math.round(v / b * 100)}%`);
}
ratios.sort((a, b) => a - b);
console.log(`bs ${bs} median ratio ${Math.round(ratios[Math.floor(ratios.length / 2)]! * 100)}%`);
await d.close();
