/** The ledger's logs: the decision records and the dashboard's own access log. */
export const LOG_IDS = ["decisions", "access"] as const;

export type LogId = (typeof LOG_IDS)[number];

/** Whether `value` names one of the ledger's logs (e.g. a stored run's log list, read back as strings). */
export function isLogId(value: string): value is LogId {
  return (LOG_IDS as readonly string[]).includes(value);
}
