// Answers requests that Node's HTTP parser refuses before any route runs (a header block
// over the limit, Content-Length with Transfer-Encoding, a negative or non-numeric
// Content-Length, bytes that are not HTTP, a request that takes too long) with the API's
// JSON error shape instead of Node's bare "HTTP/1.1 400 Bad Request" and an immediate
// destroy. Destroying a socket whose receive buffer still holds the client's unread bytes
// makes the kernel send RST, and most clients then report "connection reset" without ever
// reading the answer: so we answer, half-close, and read (and discard) what the client is
// still sending for a short while before closing. Plain JavaScript: scripts/server.mjs loads
// it without a build step. docs/security.md "HTTP framing, header size and malformed requests".
import { randomUUID } from "node:crypto";

/** Node's default, stated so the limit is visible and tested (`node --max-http-header-size` changes the default). */
export const MAX_HEADER_BYTES = 16 * 1024;

/** How long a refused connection is drained before it is closed regardless. */
export const DRAIN_MS = 2000;

/**
 * Codes of answers given before routing, with what the client should do. The body has the
 * shape of lib/api/errors.ts (`{ error: { status, code, message, problems, requestId } }`).
 */
export const CLIENT_ERROR_CODES = {
  request_header_fields_too_large: "431: the request line and headers together exceed 16 KiB. Send fewer or shorter headers (cookies, tokens).",
  payload_too_large: "413: a chunk extension of the chunked body is too long.",
  request_timeout: "408: the request (headers or body) did not arrive in time.",
  bad_request: "400: the request is not valid HTTP/1.1 framing (e.g. Content-Length with Transfer-Encoding, an invalid Content-Length, a malformed request line or header).",
};

/** Node's parser error codes that are not a plain 400. */
const SPECIAL = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: "request_header_fields_too_large",
    message: `The request headers are larger than ${MAX_HEADER_BYTES.toLocaleString("en-US")} bytes`,
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, code: "payload_too_large", message: "A chunk extension of the request body is too long" },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: "request_timeout", message: "The request did not arrive in time" },
};

/** The status, code and message for a parser error (an Error with Node's `code` and llhttp's `reason`). */
export function describeClientError(error) {
  const code = error && typeof error.code === "string" ? error.code : "";
  const special = SPECIAL[code];
  if (special) return special;
  // llhttp's reasons are fixed English phrases ("Transfer-Encoding can't be present with
  // Content-Length", "Invalid character in Content-Length"), never the client's bytes.
  const reason = error && typeof error.reason === "string" && /^[\x20-\x7e]{1,200}$/.test(error.reason) ? error.reason : "not valid HTTP/1.1";
  return { status: 400, code: "bad_request", message: `Malformed HTTP request: ${reason}` };
}

/** The full HTTP/1.1 response, as bytes: JSON error body, Connection: close. */
export function clientErrorResponse(error, requestId = randomUUID()) {
  const { status, code, message } = describeClientError(error);
  const body = JSON.stringify({ error: { status, code, message, problems: [], requestId } });
  const head = [
    `HTTP/1.1 ${status} ${REASONS[status]}`,
    "Content-Type: application/json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Cache-Control: no-store",
    "X-Content-Type-Options: nosniff",
    `X-Request-Id: ${requestId}`,
    "Connection: close",
  ];
  return { status, code, requestId, bytes: Buffer.from(`${head.join("\r\n")}\r\n\r\n${body}`) };
}

const REASONS = { 400: "Bad Request", 408: "Request Timeout", 413: "Payload Too Large", 431: "Request Header Fields Too Large" };

// Requests of the app still being answered, per socket: an error in a pipelined request that
// follows them waits for their responses, or the answers would interleave on the wire.
const inFlight = new WeakMap();

/** Wraps a request listener so clientError knows which requests a socket still owes a response. */
export function trackResponses(listener) {
  return (req, res) => {
    const socket = req.socket;
    const entry = inFlight.get(socket) ?? { open: new Set(), idle: [] };
    inFlight.set(socket, entry);
    const pair = { req, res };
    entry.open.add(pair);
    const finish = () => {
      if (!entry.open.delete(pair)) return;
      if (entry.open.size === 0) for (const f of entry.idle.splice(0)) f();
    };
    res.on("finish", finish);
    res.on("close", finish);
    return listener(req, res);
  };
}

/**
 * Runs `answer` when the error can be answered: at once when nothing is in flight, or when
 * the error is in the body of a request still being read (its handler waits for a body that
 * will never come); after the in-flight responses when the error is in a later pipelined
 * request. Returns false when a response was already started and the error cannot be told
 * apart from it (the caller closes the connection).
 */
function whenAnswerable(socket, answer) {
  const open = [...(inFlight.get(socket)?.open ?? [])];
  const bodyBroken = open.some(({ req }) => !req.complete);
  if (bodyBroken && open.some(({ res }) => res.headersSent)) return false;
  if (open.length === 0 || bodyBroken) answer();
  else inFlight.get(socket).idle.push(answer);
  return true;
}

const handled = new WeakSet();

/**
 * The `clientError` listener. Writes the JSON answer once (never in the middle of another
 * response), half-closes, drains, and destroys after `drainMs` or when the client closes.
 * `log` receives one line per refused request (with the request id in the answer).
 */
export function handleClientError(error, socket, { drainMs = DRAIN_MS, log = defaultLog } = {}) {
  if (handled.has(socket)) return;
  handled.add(socket);
  socket.on("error", () => {}); // a reset while we answer is the client's business
  // Nothing to say to a client that is gone.
  if (error?.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const answered = whenAnswerable(socket, () => {
    if (!socket.writable) return socket.destroy();
    const response = clientErrorResponse(error);
    log(`[decision-ledger] request ${response.requestId} refused by the HTTP parser: ${response.status} ${response.code} (${error?.code ?? "unknown"})`);
    const timer = setTimeout(() => socket.destroy(), drainMs);
    timer.unref?.();
    socket.once("close", () => clearTimeout(timer));
    // Read whatever the client still sends, so closing does not turn into a reset.
    socket.on("data", () => {});
    socket.resume();
    socket.end(response.bytes);
  });
  if (!answered) socket.destroy();
}

function defaultLog(line) {
  console.warn(line);
}

/** Installs the listener and the explicit header limit on a Node http.Server. */
export function installClientErrorHandler(server, options = {}) {
  server.maxHeaderSize = MAX_HEADER_BYTES; // the 431 message names this limit
  server.on("clientError", (error, socket) => handleClientError(error, socket, options));
  return server;
}
