/**
 * The access log page's URL state: filters and the keyset cursor. One set of nuqs parsers,
 * read by the server page (`loadAccessLogSearchParams`) and written by the client filters
 * (`useQueryStates(accessLogSearchParams)`); links to other pages use `serializeAccessLog`.
 * Imported from "nuqs/server" (no hooks), so safe on the server and in the browser.
 */
import { createLoader, createSerializer, parseAsInteger, parseAsIsoDate, parseAsString, type inferParserType } from "nuqs/server";

export const accessLogSearchParams = {
  /**
   * One action, e.g. "decisions.reveal_personal_data". A plain string here because the
   * action list lives in a server module; the page ignores values not in ACCESS_ACTIONS.
   */
  action: parseAsString,
  /** The email of the person (or the email tried, for failed sign-ins). */
  user: parseAsString,
  /** First day included (UTC, YYYY-MM-DD). */
  from: parseAsIsoDate,
  /** Last day included (UTC, YYYY-MM-DD). */
  to: parseAsIsoDate,
  /** Keyset cursors on seq: entries older than `before`, or newer than `after`. */
  before: parseAsInteger,
  after: parseAsInteger,
};

export type AccessLogSearchParams = inferParserType<typeof accessLogSearchParams>;

export const loadAccessLogSearchParams = createLoader(accessLogSearchParams);
export const serializeAccessLog = createSerializer(accessLogSearchParams);

export const ACCESS_LOG_PAGE_SIZE = 50;

/** The recorded_at range the day filters cover: [from 00:00, to + 1 day 00:00) UTC. */
export function timeRangeOf(params: Pick<AccessLogSearchParams, "from" | "to">): { from: Date | null; to: Date | null } {
  const to = params.to ? new Date(params.to.getTime() + 24 * 3600_000) : null;
  return { from: params.from, to };
}
