import { readdirSync } from "node:fs";
import path from "node:path";
import { routePatternOf } from "../../lib/auth/route-rules";

const ENTRY = /^(page|route)\.(tsx|ts|jsx|js|mdx)$/;

export interface AppRoute {
  pattern: string;
  kind: "page" | "route";
  file: string;
}

/** Every page and route handler under app/ (what the server will answer). */
export function appRoutes(root = process.cwd()): AppRoute[] {
  const found: AppRoute[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (ENTRY.test(entry.name)) {
        const file = path.relative(root, full).split(path.sep).join("/");
        found.push({ pattern: routePatternOf(file), kind: entry.name.startsWith("page.") ? "page" : "route", file });
      }
    }
  };
  walk(path.join(root, "app"));
  return found;
}
