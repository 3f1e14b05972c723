import { sql } from "drizzle-orm";
import { openDatabase, queryRows } from "../../db/client";
import { readInclusionProof } from "../../lib/ledger/store/merkle-store";
import { percentile } from "./stats";
const url = `postgres://postgres@127.0.0.1:5432/${process.env.DBNAME}`;
const d = await openDatabase({ url });
const size = Number(process.env.SIZE ?? 100000);
for (let r = 0; r < 3; r++) {
  const lat: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const idx = Math.floor(Math.random() * size);
    const t = performance.now();
    await readInclusionProof(d.db, "decisions", idx, size);
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  console.log("p50", percentile(lat, 50).toFixed(2), "p95", percentile(lat, 95).toFixed(2), "p99", percentile(lat, 99).toFixed(2));
}
const lat2: number[] = [];
for (let i = 0; i < 1000; i++) { const t = performance.now(); await queryRows(d.db, sql`select 1`); lat2.push(performance.now() - t); }
lat2.sort((a, b) => a - b);
console.log("select 1: p50", percentile(lat2, 50).toFixed(2), "p95", percentile(lat2, 95).toFixed(2), "p99", percentile(lat2, 99).toFixed(2));
const plan = await queryRows(d.db, sql`explain analyze select n.level, n.idx, n.hash from merkle_nodes n
          join unnest(array[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]::smallint[], array[5,3,1,7,3,1,0,0,1,2,3,1,0,0,1,0]::bigint[]) as want(level, idx)
            on n.level = want.level and n.idx = want.idx
          where n.log_id = 'decisions'`);
console.log(plan.map((p: any) => p["QUERY PLAN"]).join("\n"));
await d.close();
