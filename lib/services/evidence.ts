import "server-only";
import { randomUUID } from "node:crypto";
import { access, mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { getEvidenceExport, listSelectedDecisionSeqs, type EvidenceExportRecord } from "../../db/queries/evidence-exports";
import { evidenceExports } from "../../db/schema";
import { roleHas } from "../auth/permissions";
import {
  describeSelection,
  exportSelectionSchema,
  filterParameters,
  fromStoredFilters,
  type ExportSelection,
} from "../evidence/selection";
import { fileSink, writeEvidenceBundle, type BundleLedger, type WriteBundleResult } from "../evidence/write-bundle";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import { checkpointNow, type CheckpointingDeployment } from "../ledger-store/create-checkpoint";
import type { LogId } from "../ledger/log-id";
import { accessEventUser, ServiceInputError, type ServiceActor } from "./users";

/**
 * Evidence exports: requested from the decisions list (a background job that writes
 * DATA_DIR/exports/<id>.zip, polled by the page) or run directly by the CLI. Requesting,
 * completing and downloading an export are each written to the access log; the completion
 * entry carries the manifest's SHA-256 and the record count and is what the bundle's receipt
 * proves.
 */

export type EvidenceActor = ServiceActor & { id: string; name: string; role: string };

/** What exporting needs from the deployment (a Runtime has all of it). */
export interface EvidenceDeps extends CheckpointingDeployment {
  verifierKey: string;
  /** Where finished bundles are kept (DATA_DIR/exports). */
  exportsDir: string;
}

export function exportFilePath(exportsDir: string, id: string): string {
  return path.join(exportsDir, `${id}.zip`);
}

function bundleLedger(deps: EvidenceDeps): BundleLedger {
  return {
    db: deps.db,
    deployment: deps.origin,
    verifierKey: deps.verifierKey,
    async signCheckpoint(logId: LogId) {
      return (await checkpointNow(deps, logId))?.checkpoint ?? null;
    },
  };
}

function assertMayExport(actor: EvidenceActor): void {
  if (!roleHas(actor.role, "evidence.export")) {
    throw new ServiceInputError("Your role may not export evidence", { form: ["Your role may not export evidence (evidence.export)"] }, 400);
  }
}

function parseSelection(selection: unknown): ExportSelection {
  const parsed = exportSelectionSchema.safeParse(selection);
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  return parsed.data;
}

function manifestSelection(s: ExportSelection) {
  return { description: describeSelection(s), parameters: s.filters ? filterParameters(s.filters) : null, selectedIds: s.ids };
}

/** Queues an export for the signed-in user; the job runner picks it up. */
export async function requestEvidenceExport(db: Db, input: { selection: unknown; actor: EvidenceActor }): Promise<EvidenceExportRecord> {
  assertMayExport(input.actor);
  const selection = parseSelection(input.selection);
  const actor = input.actor;
  const description = describeSelection(selection);
  // Personal data travels only with people who may see it; everyone else gets masked copies.
  const includePersonalData = roleHas(actor.role, "decisions.reveal_personal_data");
  const id = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(evidenceExports)
      .values({
        status: "queued",
        requestedById: actor.id,
        requestedByEmail: actor.email,
        requestedByName: actor.name,
        requestedByRole: actor.role,
        selection,
        description,
        includePersonalData,
      })
      .returning({ id: evidenceExports.id });
    await appendAccessEvent(
      db,
      {
        action: "evidence.export",
        outcome: "success",
        user: accessEventUser(actor),
        target: row!.id,
        details: {
          phase: "requested",
          exportId: row!.id,
          description,
          parameters: selection.filters ? filterParameters(selection.filters) : null,
          selectedIds: selection.ids?.length ?? null,
          personalData: includePersonalData ? "included" : "withheld",
        },
        ip: actor.ip,
        userAgent: actor.userAgent,
      },
      tx,
    );
    return row!.id;
  });
  return (await getEvidenceExport(db, { id }))!;
}

/** Writes the bundle for one selection to `outPath` as `actor` (the export job and the CLI). */
export async function writeEvidenceExport(
  deps: EvidenceDeps,
  input: {
    bundleId: string;
    selection: ExportSelection;
    actor: EvidenceActor;
    includePersonalData: boolean;
    outPath: string;
    onProgress?: (done: number, total: number) => void;
    signal?: AbortSignal;
    /** Runs inside the transaction that writes the completion entry (the job marks its row there). */
    onRecorded?: (tx: Parameters<Parameters<Db["transaction"]>[0]>[0], manifestSha256: string) => Promise<void>;
  },
): Promise<WriteBundleResult> {
  const { db } = deps;
  const seqs = await listSelectedDecisionSeqs(db, {
    filters: input.selection.filters ? fromStoredFilters(input.selection.filters) : null,
    ids: input.selection.ids,
  });
  const tmp = `${input.outPath}.partial`;
  await mkdir(path.dirname(input.outPath), { recursive: true });
  const sink = fileSink(tmp);
  try {
    const result = await writeEvidenceBundle(bundleLedger(deps), {
      bundleId: input.bundleId,
      createdAt: new Date(),
      createdBy: { id: input.actor.id, email: input.actor.email, name: input.actor.name, role: input.actor.role },
      selection: manifestSelection(input.selection),
      seqs,
      includePersonalData: input.includePersonalData,
      sink,
      onProgress: input.onProgress,
      signal: input.signal,
      recordExport: (summary) =>
        db.transaction(async (tx) => {
          await input.onRecorded?.(tx, summary.manifestSha256);
          return appendAccessEvent(
            db,
            {
              action: "evidence.export",
              outcome: "success",
              user: accessEventUser(input.actor),
              target: summary.bundleId,
              details: {
                phase: "completed",
                bundleId: summary.bundleId,
                manifestSha256: summary.manifestSha256,
                recordCount: summary.recordCount,
                description: summary.description,
                personalData: input.includePersonalData ? "included" : "withheld",
              },
              ip: input.actor.ip,
              userAgent: input.actor.userAgent,
            },
            tx,
          );
        }),
    });
    await rename(tmp, input.outPath);
    return result;
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

const PROGRESS_WRITE_MS = 1000;

/** The background job: runs one claimed export row to a finished file (or a clear error). */
export async function runEvidenceExportJob(deps: EvidenceDeps, id: string, signal: AbortSignal): Promise<void> {
  const { db } = deps;
  const row = await getEvidenceExport(db, { id });
  if (!row) return;
  const actor: EvidenceActor = {
    id: row.requestedById,
    email: row.requestedByEmail,
    name: row.requestedByName,
    role: row.requestedByRole,
  };
  let lastWrite = 0;
  let writing: Promise<unknown> = Promise.resolve();
  try {
    const selection = parseSelection(row.selection);
    const result = await writeEvidenceExport(deps, {
      bundleId: id,
      selection,
      actor,
      includePersonalData: row.includePersonalData,
      outPath: exportFilePath(deps.exportsDir, id),
      signal,
      onProgress: (done, total) => {
        const now = Date.now();
        if (now - lastWrite < PROGRESS_WRITE_MS) return;
        lastWrite = now;
        const records = Math.floor(total / 2);
        writing = writing
          .then(() =>
            db
              .update(evidenceExports)
              .set({ recordsTotal: records, recordsDone: Math.floor(done / 2), heartbeatAt: new Date() })
              .where(eq(evidenceExports.id, id)),
          )
          .catch((e) => console.error(`[decision-ledger] export ${id}: progress update failed:`, e));
      },
      onRecorded: async (tx, manifestSha256) => {
        await tx.update(evidenceExports).set({ manifestSha256, heartbeatAt: new Date() }).where(eq(evidenceExports.id, id));
      },
    });
    await writing;
    const size = (await stat(exportFilePath(deps.exportsDir, id))).size;
    await db
      .update(evidenceExports)
      .set({
        status: "ready",
        fileSize: size,
        recordsTotal: result.recordCount,
        recordsDone: result.recordCount,
        manifestSha256: result.manifestSha256,
        error: result.warnings.length > 0 ? result.warnings.join("; ").slice(0, 2000) : null,
        finishedAt: new Date(),
        heartbeatAt: new Date(),
      })
      .where(eq(evidenceExports.id, id));
  } catch (error) {
    await writing;
    const message =
      error instanceof ServiceInputError
        ? "the export's stored selection is invalid"
        : signal.aborted
          ? "the server stopped while this export was running; export again"
          : (error as Error).message || String(error);
    if (!(error instanceof Error && error.name === "BundleExportError")) console.error(`[decision-ledger] export ${id} failed:`, error);
    await db.transaction(async (tx) => {
      await tx
        .update(evidenceExports)
        .set({ status: signal.aborted ? "interrupted" : "failed", error: message.slice(0, 2000), finishedAt: new Date() })
        .where(eq(evidenceExports.id, id));
      await appendAccessEvent(
        db,
        {
          action: "evidence.export",
          outcome: "failure",
          user: accessEventUser(actor),
          target: id,
          details: { phase: "failed", exportId: id, error: message.slice(0, 500) },
        },
        tx,
      );
    });
  }
}

/**
 * Authorises a download of a finished export: only the person who requested it may fetch it.
 * Logs `evidence.download`. Returns the file path.
 */
export async function recordEvidenceDownload(
  deps: Pick<EvidenceDeps, "db" | "exportsDir">,
  input: { id: string; actor: EvidenceActor },
): Promise<{ path: string; record: EvidenceExportRecord }> {
  assertMayExport(input.actor);
  const record = await getEvidenceExport(deps.db, { id: input.id });
  if (!record || record.requestedById !== input.actor.id) {
    throw new ServiceInputError("This export does not exist", { id: ["This export does not exist or is not yours"] }, 404);
  }
  if (record.status !== "ready") throw new ServiceInputError("This export is not ready", { id: [`The export is ${record.status}`] }, 409);
  const file = exportFilePath(deps.exportsDir, record.id);
  try {
    await access(file);
  } catch {
    throw new ServiceInputError("This bundle's file is no longer on the server; export again", { id: ["The file is gone"] }, 404);
  }
  await appendAccessEvent(deps.db, {
    action: "evidence.download",
    outcome: "success",
    user: accessEventUser(input.actor),
    target: record.id,
    details: { exportId: record.id, manifestSha256: record.manifestSha256, recordCount: record.recordsTotal, bytes: record.fileSize },
    ip: input.actor.ip,
    userAgent: input.actor.userAgent,
  });
  return { path: file, record };
}

/** A new bundle id (the CLI; jobs use their row id). */
export function newBundleId(): string {
  return randomUUID();
}
