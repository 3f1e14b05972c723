import { fstatSync } from "node:fs";
import type { CliContext } from "../command";

/**
 * True when standard input carries data meant for us: a pipe, a redirected file or a
 * socket, but not a terminal and not /dev/null (a character device), so an interactive run
 * or a run with stdin closed never blocks waiting for input.
 */
export function stdinIsPiped(stdin: CliContext["stdin"]): boolean {
  if (stdin.isTTY) return false;
  try {
    const stat = fstatSync(typeof stdin.fd === "number" ? stdin.fd : 0);
    return stat.isFIFO() || stat.isFile() || stat.isSocket();
  } catch {
    return false;
  }
}

/** All of standard input as UTF-8. */
export async function readStdin(stdin: CliContext["stdin"]): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}
