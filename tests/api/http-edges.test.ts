/**
 * HTTP edges answered before any route runs (lib/server/http-client-error.mjs) and OPTIONS
 * on every API route (lib/api/allow.ts). The malformed requests are sent byte-exact over raw
 * sockets to a plain http.Server with the handler installed, then, when a production build
 * exists, to the real entry (scripts/server.mjs).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { allowHeader, optionsHandler } from "@/lib/api/allow";
import { CLIENT_ERROR_CODES, installClientErrorHandler, MAX_HEADER_BYTES, trackResponses } from "@/lib/server/http-client-error.mjs";

const ROOT = path.resolve(__dirname, "../..");

interface RawAnswer {
  /** The socket error the client saw (ECONNRESET, EPIPE), or null. */
  error: string | null;
  text: string;
}

/** Sends `chunks` (written `gapMs` apart) and collects everything until the server closes. */
function sendRaw(port: number, chunks: string[], gapMs = 0): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    let error: string | null = null;
    socket.on("data", (d) => received.push(d));
    socket.on("error", (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    socket.on("close", () => resolve({ error, text: Buffer.concat(received).toString("utf8") }));
    let i = 0;
    const next = () => {
      if (i >= chunks.length || socket.destroyed) return;
      socket.write(chunks[i++]!);
      setTimeout(next, gapMs);
    };
    next();
  });
}

interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits a byte stream of HTTP/1.1 responses (each with Content-Length) into responses. */
function parseResponses(text: string): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    expect(end, `not an HTTP response: ${JSON.stringify(rest.slice(0, 80))}`).toBeGreaterThan(0);
    const [statusLine, ...lines] = rest.slice(0, end).split("\r\n");
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
    const length = Number(headers["content-length"] ?? 0);
    out.push({ status: Number(statusLine!.split(" ")[1]), headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

/** The answer must be exactly one JSON error of the API's shape, on a closed connection, read without a reset. */
function expectJsonError(answer: RawAnswer, status: number, code: string): string {
  expect(answer.error, "the client saw a reset instead of the answer").toBeNull();
  const responses = parseResponses(answer.text);
  expect(responses.map((r) => r.status)).toEqual([status]);
  const [r] = responses;
  expect(r!.headers["content-type"]).toBe("application/json");
  expect(r!.headers.connection).toBe("close");
  const body = JSON.parse(r!.body) as { error: { status: number; code: string; message: string; problems: unknown[]; requestId: string } };
  expect(body.error).toEqual({ status, code, message: expect.any(String), problems: [], requestId: r!.headers["x-request-id"] });
  expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(code in CLIENT_ERROR_CODES).toBe(true);
  return body.error.message;
}

const CASES: { name: string; request: string; status: number; code: string; message: RegExp }[] = [
  {
    name: "a 64 KiB header",
    request: `GET /api/v1/openapi.json HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(64 * 1024)}\r\n\r\n`,
    status: 431,
    code: "request_header_fields_too_large",
    message: /16,384 bytes/,
  },
  {
    name: "Content-Length with Transfer-Encoding",
    request: "POST /api/v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    status: 400,
    code: "bad_request",
    message: /Transfer-Encoding can't be present with Content-Length/,
  },
  {
    name: "Transfer-Encoding, then Content-Length",
    request: "POST /api/v1/decisions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    status: 400,
    code: "bad_request",
    message: /Content-Length can't be present with Transfer-Encoding/,
  },
  {
    name: "a negative Content-Length",
    request: "POST /api/v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}",
    status: 400,
    code: "bad_request",
    message: /Content-Length/,
  },
  {
    name: "two different Content-Lengths",
    request: "POST /api/v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    status: 400,
    code: "bad_request",
    message: /Malformed HTTP request/,
  },
  {
    name: "a chunk extension over the limit",
    request: `POST /api/v1/decisions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=${"x".repeat(20 * 1024)}\r\n{}\r\n0\r\n\r\n`,
    status: 413,
    code: "payload_too_large",
    message: /chunk extension/,
  },
  {
    name: "an invalid chunk size",
    request: "POST /api/v1/decisions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    status: 400,
    code: "bad_request",
    message: /chunk size/i,
  },
  {
    name: "a control character in a header value",
    request: "GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n",
    status: 400,
    code: "bad_request",
    message: /header value/i,
  },
  { name: "bytes that are not HTTP", request: "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\r\n\r\n", status: 400, code: "bad_request", message: /Malformed HTTP request/ },
];

describe("malformed requests on a plain http.Server with the handler", () => {
  let server: http.Server;
  let port: number;
  const logged: string[] = [];

  beforeAll(async () => {
    // The app stands in for Next: it reads the body and answers after a delay, like a route.
    server = http.createServer(
      { requestTimeout: 400, headersTimeout: 300, connectionsCheckingInterval: 50 },
      trackResponses((req, res) => {
        req.resume();
        req.on("end", () => setTimeout(() => res.end(JSON.stringify({ ok: true, url: req.url })), 30));
      }),
    );
    installClientErrorHandler(server, { drainMs: 500, log: (line) => logged.push(line) });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test("the header limit is Node's default of 16 KiB, stated explicitly and enforced", async () => {
    expect(MAX_HEADER_BYTES).toBe(16 * 1024);
    const header = (bytes: number) => `GET /fits HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: ${"a".repeat(bytes)}\r\n\r\n`;
    const fits = parseResponses((await sendRaw(port, [header(MAX_HEADER_BYTES - 1024)])).text);
    expect(fits.map((r) => r.status)).toEqual([200]);
    expectJsonError(await sendRaw(port, [header(MAX_HEADER_BYTES + 1024)]), 431, "request_header_fields_too_large");
  });

  test.each(CASES)("$name: $status $code as JSON, then close", async ({ request, status, code, message }) => {
    const text = expectJsonError(await sendRaw(port, [request]), status, code);
    expect(text).toMatch(message);
    // Operators can find the refusal by the id the client quotes.
    expect(logged.some((line) => line.includes(`${status} ${code}`))).toBe(true);
  });

  test("a client still sending its oversized header reads the whole answer (drained, not reset)", async () => {
    const head = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ";
    const pieces = Array.from({ length: 40 }, () => "a".repeat(4096)); // 160 KiB, sent in pieces after the refusal
    const answer = await sendRaw(port, [head, ...pieces, "\r\n\r\n"], 2);
    expectJsonError(answer, 431, "request_header_fields_too_large");
  });

  test("Content-Length smaller than the body: the declared request is answered, then the rest is refused as JSON, in order", async () => {
    const answer = await sendRaw(port, ["POST /first HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}garbage after the body\r\n\r\n"]);
    expect(answer.error).toBeNull();
    const responses = parseResponses(answer.text);
    expect(responses.map((r) => r.status)).toEqual([200, 400]);
    expect(JSON.parse(responses[0]!.body)).toEqual({ ok: true, url: "/first" });
    expect(JSON.parse(responses[1]!.body).error).toMatchObject({ status: 400, code: "bad_request" });
    expect(responses[1]!.headers.connection).toBe("close");
  });

  test("headers that never finish: 408 as JSON", async () => {
    const answer = await sendRaw(port, ["GET / HTTP/1.1\r\nHost: x\r\n"]);
    expectJsonError(answer, 408, "request_timeout");
  });

  test("a well-formed request is untouched", async () => {
    const answer = await sendRaw(port, ["GET /fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
    expect(parseResponses(answer.text).map((r) => [r.status, r.body])).toEqual([[200, JSON.stringify({ ok: true, url: "/fine" })]]);
  });

  test("without the handler, Node answers the same request with no body (why the handler exists)", async () => {
    const bare = http.createServer((_req, res) => res.end());
    await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
    try {
      const answer = await sendRaw((bare.address() as net.AddressInfo).port, [CASES[1]!.request]);
      const [r] = parseResponses(answer.text);
      expect(r!.status).toBe(400);
      expect(r!.body).toBe("");
    } finally {
      await new Promise<void>((resolve) => bare.close(() => resolve()));
    }
  });
});

describe("OPTIONS on the API routes", () => {
  test("Allow lists the handler's methods, HEAD with GET, and OPTIONS", async () => {
    expect(allowHeader(["POST"])).toBe("OPTIONS, POST");
    expect(allowHeader(["GET", "POST"])).toBe("GET, HEAD, OPTIONS, POST");
    const handler = () => new Response();
    const res = optionsHandler({ GET: handler, POST: undefined })();
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect(await res.text()).toBe("");
  });

  /** Every route.ts under app/api/v1 with the methods it exports and its OPTIONS line. */
  function apiRoutes(dir = path.join(ROOT, "app", "api", "v1")): { file: string; methods: string[]; options: string | null }[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return apiRoutes(full);
      if (entry.name !== "route.ts") return [];
      const source = readFileSync(full, "utf8");
      const methods = ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => new RegExp(`export\\s+(const|async\\s+function|function)\\s+${m}\\b`).test(source));
      const options = /export const OPTIONS = optionsHandler\(\{ ([A-Z, ]+) \}\);/.exec(source)?.[1] ?? null;
      return [{ file: path.relative(ROOT, full), methods, options }];
    });
  }

  test("every route under app/api/v1 answers OPTIONS from its own handlers", () => {
    const routes = apiRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(10);
    for (const route of routes) expect(route.options?.split(", "), route.file).toEqual(route.methods);
  });
});

// ---- the real entry -----------------------------------------------------------------

const DIST_DIR = process.env.NEXT_DIST_DIR ?? ".next";
const HAS_BUILD = existsSync(path.join(ROOT, DIST_DIR, "BUILD_ID"));
if (!HAS_BUILD) console.warn(`[http-edges] skipping the real-server checks: no production build in ${DIST_DIR}/ (build with \`NEXT_DIST_DIR=${DIST_DIR} npx next build\`).`);

describe.skipIf(!HAS_BUILD)(`scripts/server.mjs serving ${DIST_DIR}`, () => {
  let child: ChildProcess;
  let port: number;
  let dataDir: string;
  let output = "";

  beforeAll(async () => {
    port = 3400 + Math.floor(Math.random() * 500);
    dataDir = mkdtempSync(path.join(os.tmpdir(), "dl-http-edges-"));
    child = spawn(process.execPath, [path.join(ROOT, "scripts", "server.mjs"), "--port", String(port)], {
      cwd: ROOT,
      env: { ...process.env, NEXT_DIST_DIR: DIST_DIR, DATA_DIR: dataDir, DATABASE_URL: "", NEXTAUTH_URL: `http://localhost:${port}`, NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        const failed = child.exitCode !== null;
        if (!failed && !output.includes("[decision-ledger] ready on")) return;
        clearInterval(check);
        if (failed) reject(new Error(`the server exited: ${output}`));
        else resolve();
      }, 100);
    });
  }, 120_000);
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("serves the app, answers OPTIONS with Allow", async () => {
    const doc = await fetch(`http://127.0.0.1:${port}/api/v1/openapi.json`);
    expect(doc.status).toBe(200);
    const options = await fetch(`http://127.0.0.1:${port}/api/v1/decisions`, { method: "OPTIONS" });
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("OPTIONS, POST");
    const runs = await fetch(`http://127.0.0.1:${port}/api/v1/integrity/runs`, { method: "OPTIONS" });
    expect(runs.headers.get("allow")).toBe("GET, HEAD, OPTIONS, POST");
  });

  test.each(CASES.slice(0, 4))("$name: $status $code as JSON", async ({ request, status, code }) => {
    expectJsonError(await sendRaw(port, [request]), status, code);
  });

  test("SIGTERM stops it with exit code 143", async () => {
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(143);
  }, 30_000);
});
