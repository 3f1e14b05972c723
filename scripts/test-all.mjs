#!/usr/bin/env node
// The one test command (README Quick start, CI): type check, lint, unit and database tests
// (on PGlite and on the Postgres server), production build, end-to-end tests in Chromium.
// Ends with one line "N passed, N failed" counting every test that ran (vitest and Playwright
// tests only; a failed gate step counts as one failure).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";

const results = { passed: 0, failed: 0, skipped: 0 };
const summary = [];
mkdirSync("test-results", { recursive: true });

function run(label, command, args, env = {}) {
  const started = Date.now();
  console.log(`\n=== ${label}: ${command} ${args.join(" ")}`);
  const r = spawnSync(command, args, { stdio: "inherit", env: { ...process.env, ...env } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return { ok: r.status === 0, seconds };
}

// Gate steps (type check, lint, build) are not tests: they count nothing when they pass and
// one failure when they fail, so a red gate can never hide behind a green count.
function gate(label, command, args, env) {
  const { ok, seconds } = run(label, command, args, env);
  if (!ok) results.failed++;
  summary.push(`${ok ? "ok  " : "FAIL"} ${label} (${seconds}s)`);
  return ok;
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

const only = process.argv.slice(2);
const want = (step) => only.length === 0 || only.includes(step);

if (want("typecheck")) gate("type check", "npx", ["tsc", "--noEmit"]);
if (want("lint")) gate("lint", "npx", ["eslint", "--max-warnings=0", "."]);

if (want("unit")) {
  rmSync("test-results/vitest.json", { force: true });
  const { ok, seconds } = run("unit and database tests (PGlite + Postgres)", "npx", [
    "vitest", "run", "--reporter=default", "--reporter=json", "--outputFile.json=test-results/vitest.json",
  ]);
  const report = readJson("test-results/vitest.json");
  if (report) {
    results.passed += report.numPassedTests ?? 0;
    results.failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
    results.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    // A suite that failed to load has no tests to count: count it as a failure.
    const brokenSuites = (report.testResults ?? []).filter((s) => s.status === "failed" && (s.assertionResults ?? []).length === 0).length;
    results.failed += brokenSuites;
    if (!ok && (report.numFailedTests ?? 0) === 0 && brokenSuites === 0) results.failed++;
  } else {
    results.failed++;
  }
  summary.push(`${ok ? "ok  " : "FAIL"} vitest (${seconds}s)`);
}

if (want("e2e")) {
  const built = gate("production build", "npx", ["next", "build"]);
  if (built) {
    rmSync("test-results/playwright.json", { force: true });
    const { ok, seconds } = run("end-to-end tests (Chromium)", "npx", ["playwright", "test"], {
      PLAYWRIGHT_JSON_OUTPUT_NAME: "test-results/playwright.json",
    });
    const report = readJson("test-results/playwright.json");
    if (report?.stats) {
      results.passed += (report.stats.expected ?? 0) + (report.stats.flaky ?? 0);
      results.failed += report.stats.unexpected ?? 0;
      results.skipped += report.stats.skipped ?? 0;
      if (!ok && (report.stats.unexpected ?? 0) === 0) results.failed++;
    } else {
      results.failed++;
    }
    summary.push(`${ok ? "ok  " : "FAIL"} playwright (${seconds}s)`);
  }
}

console.log("\n" + summary.join("\n"));
if (!existsSync("test-results")) mkdirSync("test-results");
console.log(`${results.passed} passed, ${results.failed} failed` + (results.skipped ? `, ${results.skipped} skipped` : ""));
process.exit(results.failed > 0 ? 1 : 0);
