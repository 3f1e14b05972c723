import { existsSync } from "node:fs";
import path from "node:path";

/**
 * The vendored test vectors in tests/vectors/<name> (see tests/vectors/README.md for their
 * sources and licences), resolved from this file so any checkout can run them. Missing
 * vectors are an error, never a skip: every vector must pass.
 */
export function testVectorsDir(name: "jcs" | "rfc9162"): string {
  const dir = path.resolve(__dirname, "../vectors", name);
  if (!existsSync(dir)) throw new Error(`test vectors "${name}" not found at ${dir} (see tests/vectors/README.md)`);
  return dir;
}
