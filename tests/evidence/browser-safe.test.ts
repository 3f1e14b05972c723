import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The bundle verifier runs in the browser (/verify-bundle) as well as in node: nothing it
 * imports, directly or through other project files, may need Node.
 */
const ROOT = path.resolve(__dirname, "../..");
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function importsOf(file: string): string[] {
  const source = readFileSync(file, "utf8");
  return [...source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)].filter((m) => !/^\s*import\s+type\s/.test(m[0])).map((m) => m[1]!);
}

function resolveLocal(from: string, spec: string): string | null {
  if (spec.startsWith("@/")) return path.join(ROOT, spec.slice(2)) + ".ts";
  if (spec.startsWith(".")) return path.resolve(path.dirname(from), spec) + ".ts";
  return null;
}

describe("lib/evidence/verify-bundle.ts is browser-safe", () => {
  it.each(["lib/evidence/verify-bundle.ts", "lib/evidence/bundle-format.ts", "lib/evidence/report-html.ts", "lib/evidence/selection.ts"])(
    "%s and everything it imports use no Node built-ins or Buffer",
    (entry) => {
      const seen = new Set<string>();
      const queue = [path.join(ROOT, entry)];
      const packages = new Set<string>();
      while (queue.length > 0) {
        const file = queue.pop()!;
        if (seen.has(file)) continue;
        seen.add(file);
        const source = readFileSync(file, "utf8");
        expect(source, `${path.relative(ROOT, file)} uses Buffer`).not.toMatch(/\bBuffer\./);
        for (const spec of importsOf(file)) {
          expect(BUILTINS.has(spec), `${path.relative(ROOT, file)} imports ${spec}`).toBe(false);
          const local = resolveLocal(file, spec);
          if (local) queue.push(local);
          else packages.add(spec.split("/")[0]!);
        }
      }
      expect(seen.size).toBeGreaterThan(1);
      // Only packages that run in browsers (@noble: @noble/hashes, the portable SHA-256 of lib/hash/browser-sha256.ts).
      for (const p of packages) expect(["fflate", "zod", "nuqs", "@noble"]).toContain(p);
    },
  );
});
