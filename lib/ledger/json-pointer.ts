/**
 * RFC 6901 JSON pointers: how every problem with a JSON value is located, by the
 * canonicaliser (jcs.ts), the storability pre-check (json-value.ts) and statement
 * validation alike, and how personal values are named for masking.
 *
 * Plain TypeScript: runs in the browser too.
 */

/** A problem located by an RFC 6901 JSON pointer into the submitted value ("" is the root). */
export interface FieldError {
  pointer: string;
  message: string;
}

/** One reference token: "~" and "/" are the only characters RFC 6901 escapes. */
export function escapePointerToken(token: string | number): string {
  return String(token).replace(/~/g, "~0").replace(/\//g, "~1");
}

export function toJsonPointer(path: readonly (string | number)[]): string {
  let out = "";
  for (const token of path) out += "/" + escapePointerToken(token);
  return out;
}

/** The unescaped reference tokens of `pointer`, or null when it is not a pointer. */
export function parseJsonPointer(pointer: string): string[] | null {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) return null;
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"));
}

const ARRAY_INDEX_RE = /^(?:0|[1-9]\d*)$/;

/** The array index a token names (RFC 6901: no leading zeros, no "-"), or -1. */
export function arrayIndexOf(token: string | number): number {
  if (typeof token === "number") return token;
  return ARRAY_INDEX_RE.test(token) ? Number(token) : -1;
}

/** The value at `path` (own properties only), or undefined when the path does not resolve. */
export function getAtPath(root: unknown, path: readonly (string | number)[]): unknown {
  let current: unknown = root;
  for (const token of path) {
    if (current === null || typeof current !== "object") return undefined;
    if (Array.isArray(current)) {
      const index = arrayIndexOf(token);
      if (index < 0 || index >= current.length) return undefined;
      current = current[index];
    } else {
      if (!Object.prototype.hasOwnProperty.call(current, token)) return undefined;
      current = (current as Record<string, unknown>)[String(token)];
    }
  }
  return current;
}

/** The value at an RFC 6901 pointer, or undefined when the pointer does not resolve. */
export function getByPointer(root: unknown, pointer: string): unknown {
  const path = parseJsonPointer(pointer);
  return path === null ? undefined : getAtPath(root, path);
}

/**
 * Replaces the value at `path` (which must resolve, and not be the root) in place; false
 * when it does not resolve. The one way masking and committing write into a statement copy.
 */
export function replaceAtPath(root: unknown, path: readonly (string | number)[], value: unknown): boolean {
  if (path.length === 0) return false;
  const parent = getAtPath(root, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const index = arrayIndexOf(last);
    if (index < 0 || index >= parent.length) return false;
    parent[index] = value;
    return true;
  }
  if (parent === null || typeof parent !== "object" || !Object.prototype.hasOwnProperty.call(parent, last)) return false;
  (parent as Record<string, unknown>)[String(last)] = value;
  return true;
}
