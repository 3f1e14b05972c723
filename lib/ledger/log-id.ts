/** The ledger's logs: the decision records and the dashboard's own access log. */
export type LogId = "decisions" | "access";
