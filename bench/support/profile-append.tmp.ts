import { openDatabase } from "../../db/client";
import { generateDemoStatements } from "../../lib/demo/generate-demo-statements";
import { appendDecisions } from "../../lib/ledger/store/append-decisions";
const url = `postgres://postgres@127.0.0.1:5432/${process.env.DBNAME}`;
const d = await openDatabase({ url });
const pool = generateDemoStatements({ count: 10000, now: new Date(), days: 90, seed: 7 }).map((s) => ({ ...s, id: crypto.randomUUID() }));
const t = performance.now();
for (let i = 0; i < pool.length; i += 1000) {
  const t1 = performance.now();
  await appendDecisions(d.db, pool.slice(i, i + 1000), { name: "prof" });
  console.log("batch", Math.round(performance.now() - t1), "ms");
}
console.log("append", Math.round(pool.length / (performance.now() - t) * 1000), "/s");
await d.close();
