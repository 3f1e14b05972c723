import type { EvidenceExportRecord, EvidenceExportStatus } from "../../db/queries/evidence-exports";

/** An export job as the export button and its status route see it (JSON-safe, client-safe). */
export interface ExportView {
  id: string;
  status: EvidenceExportStatus;
  finished: boolean;
  description: string;
  personalData: "included" | "withheld";
  recordsTotal: number | null;
  recordsDone: number;
  fileSize: number | null;
  manifestSha256: string | null;
  error: string | null;
  requestedAt: string;
  finishedAt: string | null;
  /** Present once the bundle is ready. */
  downloadUrl: string | null;
  fileName: string;
}

/** A bundle's size for people: bytes, KB or MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function exportFileName(r: Pick<EvidenceExportRecord, "id" | "requestedAt">): string {
  const day = r.requestedAt.toISOString().slice(0, 10);
  return `evidence-${day}-${r.id.slice(0, 8)}.zip`;
}

export function toExportView(r: EvidenceExportRecord): ExportView {
  return {
    id: r.id,
    status: r.status,
    finished: r.status !== "queued" && r.status !== "running",
    description: r.description,
    personalData: r.includePersonalData ? "included" : "withheld",
    recordsTotal: r.recordsTotal,
    recordsDone: r.recordsDone,
    fileSize: r.fileSize === null ? null : Number(r.fileSize),
    manifestSha256: r.manifestSha256,
    error: r.error,
    requestedAt: r.requestedAt.toISOString(),
    finishedAt: r.finishedAt ? r.finishedAt.toISOString() : null,
    downloadUrl: r.status === "ready" ? `/api/v1/evidence/exports/${r.id}/download` : null,
    fileName: exportFileName(r),
  };
}
