import { openDatabase } from "../../db/client";
import { verifyLog } from "../../lib/ledger/verify/verify-database";
const url = `postgres://postgres@127.0.0.1:5432/${process.env.DBNAME}`;
const d = await openDatabase({ url });
for (let i = 0; i < 2; i++) {
const t = performance.now();
const rep = await verifyLog(d.db, { logId: "decisions", verifierKeys: [] });
console.log("verifyLog", Math.round(100000 / (performance.now() - t) * 1000), "/s", rep.failureCount);
}
await d.close();
