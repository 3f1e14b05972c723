// Types of http-client-error.mjs (plain JavaScript so scripts/server.mjs runs it unbuilt).
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

export const MAX_HEADER_BYTES: number;
export const DRAIN_MS: number;
export const CLIENT_ERROR_CODES: Record<"request_header_fields_too_large" | "payload_too_large" | "request_timeout" | "bad_request", string>;
export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;

export interface ClientErrorDescription {
  status: 400 | 408 | 413 | 431;
  code: ClientErrorCode;
  message: string;
}
export function describeClientError(error: unknown): ClientErrorDescription;
export function clientErrorResponse(error: unknown, requestId?: string): { status: number; code: ClientErrorCode; requestId: string; bytes: Buffer };

type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;
export function trackResponses(listener: Listener): Listener;

export interface ClientErrorOptions {
  /** How long a refused connection is drained before it is closed regardless (default DRAIN_MS). */
  drainMs?: number;
  /** Receives one line per refused request (default console.warn). */
  log?: (line: string) => void;
}
export function handleClientError(error: unknown, socket: Duplex, options?: ClientErrorOptions): void;
export function installClientErrorHandler<S extends Server>(server: S, options?: ClientErrorOptions): S;
