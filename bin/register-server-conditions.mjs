// `node --import ./bin/register-server-conditions.mjs …`: installs bin/server-conditions.mjs
// for scripts that run server modules outside Next.js (benchmarks, their child processes).
import { register } from "node:module";

register("./server-conditions.mjs", import.meta.url);
