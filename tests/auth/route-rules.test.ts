import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { PERMISSIONS } from "@/lib/auth/permissions";
import { ROUTE_RULES, routePatternOf, ruleEntries, type RouteAccess } from "@/lib/auth/route-rules";

const ROOT = path.resolve(__dirname, "../..");
const APP = path.join(ROOT, "app");
const ENTRY = /^(page|route)\.(tsx|ts|jsx|js|mdx)$/;

/** Every page and route handler file under app/, relative to the repository root. */
function appEntries(dir = APP): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...appEntries(full));
    else if (ENTRY.test(entry.name)) found.push(path.relative(ROOT, full).split(path.sep).join("/"));
  }
  return found;
}

const SPECIAL: readonly string[] = ["public", "authenticated", "api_key"];
const isPermission = (a: string): a is keyof typeof PERMISSIONS => Object.hasOwn(PERMISSIONS, a);

describe("route pattern of a file", () => {
  test("drops route groups, slots and the file name", () => {
    expect(routePatternOf("app/(dashboard)/decisions/[id]/page.tsx")).toBe("/decisions/[id]");
    expect(routePatternOf("app/page.tsx")).toBe("/");
    expect(routePatternOf("app/api/v1/decisions/route.ts")).toBe("/api/v1/decisions");
    expect(routePatternOf("app/(dashboard)/@modal/(x)/admin/page.tsx")).toBe("/admin");
    expect(routePatternOf("app/api/auth/[...nextauth]/route.ts")).toBe("/api/auth/[...nextauth]");
  });
});

describe("ROUTE_RULES covers the app", () => {
  const files = appEntries();

  test("the walk finds the app's pages and routes", () => {
    expect(files).toContain("app/sign-in/page.tsx");
    expect(files).toContain("app/api/auth/[...nextauth]/route.ts");
  });

  test("every page.tsx and route.ts has a rule", () => {
    const missing = files.filter((f) => ROUTE_RULES[routePatternOf(f)] === undefined).map((f) => `${routePatternOf(f)}  (${f})`);
    expect(missing, `Add these to ROUTE_RULES in lib/auth/route-rules.ts:\n${missing.join("\n")}`).toEqual([]);
  });

  test("every rule names a route that exists (no stale rules)", () => {
    const patterns = new Set(files.map(routePatternOf));
    const stale = Object.keys(ROUTE_RULES).filter((p) => !patterns.has(p));
    expect(stale, "Rules without a page.tsx/route.ts").toEqual([]);
  });

  test("every rule is a permission of the catalogue or public/authenticated/api_key", () => {
    for (const [pattern, rule] of Object.entries(ROUTE_RULES)) {
      const entries = ruleEntries(rule);
      expect(entries.length, pattern).toBeGreaterThan(0);
      for (const { method, access } of entries) {
        expect(SPECIAL.includes(access) || isPermission(access), `${pattern} ${method}: "${access}" is not in the catalogue`).toBe(true);
        expect(["GET", "POST", "PUT", "PATCH", "DELETE"]).toContain(method);
      }
    }
  });

  test("route handlers' methods match their rule; pages are GET-only", () => {
    for (const file of files) {
      const pattern = routePatternOf(file);
      const rule = ROUTE_RULES[pattern];
      if (rule === undefined) continue;
      const source = readFileSync(path.join(ROOT, file), "utf8");
      if (/\/page\.\w+$/.test(file)) {
        expect(typeof rule === "string" || Object.keys(rule).join() === "GET", `${pattern}: a page has one rule`).toBe(true);
        continue;
      }
      if (typeof rule === "string") continue;
      for (const method of Object.keys(rule)) {
        expect(new RegExp(`\\b(function|const|as)\\s+${method}\\b`).test(source), `${pattern}: rule for ${method} but the route does not export it`).toBe(true);
      }
    }
  });

  test("pages and routes call the guard with the permission of their rule", () => {
    const problems: string[] = [];
    for (const file of files) {
      const pattern = routePatternOf(file);
      const rule = ROUTE_RULES[pattern];
      if (rule === undefined) continue;
      const source = readFileSync(path.join(ROOT, file), "utf8");
      for (const { method, access } of ruleEntries(rule)) {
        if (access === "public") continue;
        const check: Record<Exclude<RouteAccess, "public">, RegExp> = {
          authenticated: /\b(requireSignedIn|getSessionUser|withPermission|requirePagePermission)\b/,
          api_key: /api[ _-]?key|ingest/i,
        } as Record<string, RegExp>;
        if (isPermission(access)) {
          const guarded = /\b(requirePagePermission|withPermission|requireActionPermission)\b/.test(source) && source.includes(`"${access}"`);
          if (!guarded) problems.push(`${pattern} ${method}: does not call the guard with "${access}"`);
        } else if (!check[access as "authenticated" | "api_key"]!.test(source)) {
          problems.push(`${pattern} ${method}: no ${access} check found`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
