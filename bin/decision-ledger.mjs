#!/usr/bin/env node
// Thin launcher: runs the TypeScript command line (cli/main.ts) through tsx, so
// `npx decision-ledger <command>` works from a checkout without a build step.
import { register } from "tsx/esm/api";

await import("./register-server-conditions.mjs");
register();
const { main } = await import("../cli/main.ts");
const code = await main(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
});
process.exitCode = code;
// Database drivers close their sockets on close(); if anything still holds the event loop
// open, do not hang the shell: leave with the command's exit code shortly after.
setTimeout(() => process.exit(code), 2000).unref();
