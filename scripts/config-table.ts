// Prints the README's configuration table from lib/server/config.ts, so the two cannot drift.
import { CONFIG_DOCS } from "../lib/server/config";

console.log("| Variable | Meaning |\n| --- | --- |");
for (const [name, doc] of Object.entries(CONFIG_DOCS)) console.log(`| \`${name}\` | ${doc} |`);
