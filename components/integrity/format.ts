import { FAILURE_CLASS_LABELS, type FailureClass } from "@/lib/ledger/verify/report";

/** Plain-language helpers shared by the integrity components (client-safe). */
export const nf = (n: number) => n.toLocaleString("en-US");

export function failureTitle(cls: string): string {
  return FAILURE_CLASS_LABELS[cls as FailureClass]?.title ?? cls;
}

export function failureDescription(cls: string): string {
  return FAILURE_CLASS_LABELS[cls as FailureClass]?.description ?? "";
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "—";
  if (seconds < 1) return "less than a second";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 90) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const LOG_LABELS: Record<string, string> = { decisions: "Decision records", access: "Access log" };

export const STATUS_LABELS: Record<string, { label: string; tone: "neutral" | "success" | "warning" | "danger" | "info" }> = {
  queued: { label: "Waiting to start", tone: "info" },
  running: { label: "Running", tone: "info" },
  passed: { label: "Passed", tone: "success" },
  failed: { label: "Failed", tone: "danger" },
  error: { label: "Could not finish", tone: "warning" },
  interrupted: { label: "Interrupted", tone: "warning" },
};
