import { existsSync } from "node:fs";
import path from "node:path";

/**
 * The project's shared/testvectors/<name>: shared/ sits beside the checkout (CI clones the
 * repository next to a copy of it); TEST_VECTORS_DIR overrides. Missing vectors are an
 * error, never a skip: every vector must pass.
 */
export function testVectorsDir(name: "jcs" | "rfc9162"): string {
  const candidates = [
    process.env.TEST_VECTORS_DIR,
    path.resolve(__dirname, "../../../shared/testvectors"),
    "/work/shared/testvectors",
  ].filter((d): d is string => Boolean(d));
  const found = candidates.map((d) => path.join(d, name)).find((d) => existsSync(d));
  if (!found) throw new Error(`test vectors "${name}" not found in ${candidates.join(", ")} (set TEST_VECTORS_DIR)`);
  return found;
}
