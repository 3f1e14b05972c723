import "server-only";
import { randomUUID } from "node:crypto";
import { access, mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client";
import { getEvidenceExport, listSelectedDecisionSeqs, type EvidenceExportRecord } from "../../db/queries/evidence-exports";
import { accessEvents, evidenceExports } from "../../db/schema";
import { roleHas } from "../auth/permissions";
import {
  describeSelection,
  exportSelectionSchema,
  filterParameters,
  fromStoredFilters,
  type ExportSelection,
} from "../evidence/selection";
import type { BundleDisclosure } from "../evidence/bundle-format";
import { BundleExportError, fileSink, writeEvidenceBundle, type BundleDisclosureInput, type BundleLedger, type WriteBundleResult } from "../evidence/write-bundle";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import { checkpointNow, type CheckpointingDeployment } from "../ledger-store/create-checkpoint";
import { readRecordOpenings } from "../ledger-store/read-openings";
import type { LogId } from "../ledger/log-id";
import type { PersonalDataKeys } from "../privacy/personal-data-keys";
import { filtersForAccessLog, REVEAL_REASON_MAX, REVEAL_REASON_MIN } from "./reveal-personal-data";
import { accessEventUser, ServiceInputError, type ServiceActor } from "./users";

/**
 * Evidence exports: requested from the decisions list (a background job that writes
 * DATA_DIR/exports/<id>.zip, polled by the page) or run directly by the CLI. Requesting,
 * completing and downloading an export are each written to the access log; the completion
 * entry carries the manifest's SHA-256 and the record count and is what the bundle's receipt
 * proves.
 *
 * Personal data is left out by default, for every role: committed records carry commitments
 * only, legacy ones are masked. It is included only when the requester's role has
 * evidence.export_personal_data, they ask for it and give a reason; the reason, who asked and
 * how many values were disclosed are in the manifest and in the access-log entries.
 */

export type EvidenceActor = ServiceActor & { id: string; name: string; role: string };

/** What exporting needs from the deployment (a Runtime has all of it). */
export interface EvidenceDeps extends CheckpointingDeployment {
  verifierKey: string;
  /** Where finished bundles are kept (DATA_DIR/exports). */
  exportsDir: string;
  /** Opens the vault's openings when an export includes personal data. */
  personalDataKeys: PersonalDataKeys;
}

/** Why personal data is included in an export: like a reveal, a reason of at least REVEAL_REASON_MIN characters. */
export const exportReasonSchema = z
  .string({ error: "Give the reason for including personal data" })
  .trim()
  .min(REVEAL_REASON_MIN, { error: `Give a reason of at least ${REVEAL_REASON_MIN} characters for including personal data (for example the case or request it answers)` })
  .max(REVEAL_REASON_MAX, { error: `Keep the reason under ${REVEAL_REASON_MAX} characters` });

/** The requester's choice about personal data, as a request sends it. */
export const personalDataChoiceSchema = z.object({
  includePersonalData: z.boolean({ error: "includePersonalData must be true or false" }).optional(),
  reason: z.unknown().optional(),
});

/** Personal data disclosed by an export: why (the actor is the export's). Null: left out. */
export type ExportDisclosure = { reason: string } | null;

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

function assertMayDisclose(actor: EvidenceActor): void {
  if (!roleHas(actor.role, "evidence.export_personal_data")) {
    throw new ServiceInputError("Your role may not include personal data in an export", {
      includePersonalData: ["Your role may not include personal data in an export (evidence.export_personal_data)"],
    });
  }
}

/**
 * Whether, and why, an export includes personal data: only on an explicit choice, by a role
 * that may, with a reason. Checked where a request comes in and again where a bundle is
 * written (the CLI and the job write directly).
 */
export function parsePersonalDataChoice(actor: EvidenceActor, choice: unknown): ExportDisclosure {
  const parsed = personalDataChoiceSchema.safeParse(choice ?? {});
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  if (parsed.data.includePersonalData !== true) return null;
  assertMayDisclose(actor);
  const reason = exportReasonSchema.safeParse(parsed.data.reason);
  if (!reason.success) throw ServiceInputError.fromZod(new z.ZodError(reason.error.issues.map((i) => ({ ...i, path: ["reason"] }))));
  return { reason: reason.data };
}

function parseSelection(selection: unknown): ExportSelection {
  const parsed = exportSelectionSchema.safeParse(selection);
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  return parsed.data;
}

function manifestSelection(s: ExportSelection) {
  return { description: describeSelection(s), parameters: s.filters ? filterParameters(s.filters) : null, selectedIds: s.ids };
}

/**
 * Queues an export for the signed-in user; the job runner picks it up. `personalData` is
 * `{includePersonalData, reason}` as the request sent it (absent: left out).
 */
export async function requestEvidenceExport(
  db: Db,
  input: { selection: unknown; actor: EvidenceActor; personalData?: unknown },
): Promise<EvidenceExportRecord> {
  assertMayExport(input.actor);
  const actor = input.actor;
  const disclosure = parsePersonalDataChoice(actor, input.personalData);
  const selection = parseSelection(input.selection);
  const description = describeSelection(selection);
  const includePersonalData = disclosure !== null;
  const logged = selection.filters ? { ...selection, filters: filtersForAccessLog(selection.filters) } : selection;
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
          description: describeSelection(logged),
          parameters: logged.filters ? filterParameters(logged.filters) : null,
          selectedIds: selection.ids?.length ?? null,
          personalData: includePersonalData ? "included" : "withheld",
          // The job reads the reason back from here: the logged request is what the bundle states.
          ...(disclosure ? { personalDataReason: disclosure.reason } : {}),
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
    /** Absent or null: personal data is left out. */
    disclosure?: ExportDisclosure;
    outPath: string;
    onProgress?: (done: number, total: number) => void;
    signal?: AbortSignal;
    /** Runs inside the transaction that writes the completion entry (the job marks its row there). */
    onRecorded?: (tx: Parameters<Parameters<Db["transaction"]>[0]>[0], manifestSha256: string) => Promise<void>;
  },
): Promise<WriteBundleResult> {
  const { db } = deps;
  const disclosure = input.disclosure ? parsePersonalDataChoice(input.actor, { includePersonalData: true, reason: input.disclosure.reason }) : null;
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
      disclosure: disclosure ? bundleDisclosure(deps, disclosure.reason) : null,
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
                ...completionDisclosure(summary.disclosure),
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

function bundleDisclosure(deps: EvidenceDeps, reason: string): BundleDisclosureInput {
  return { reason, readOpenings: (recordIds) => readRecordOpenings(deps.db, deps.personalDataKeys, recordIds) };
}

/** What the completion entry says about personal data: the manifest's disclosure, or that it was left out. */
function completionDisclosure(disclosure: BundleDisclosure | null): Record<string, unknown> {
  if (!disclosure) return { personalData: "withheld" };
  return {
    personalData: "included",
    personalDataReason: disclosure.reason,
    disclosedBy: disclosure.disclosedBy.email,
    openings: disclosure.openings,
    erasedValues: disclosure.erasedValues,
  };
}

/** The reason an export that includes personal data was requested with, from its logged request. */
async function requestedDisclosure(db: Db, exportId: string): Promise<ExportDisclosure> {
  const rows = await db
    .select({ event: accessEvents.event })
    .from(accessEvents)
    .where(and(eq(accessEvents.action, "evidence.export"), eq(accessEvents.target, exportId)));
  for (const { event } of rows) {
    const details = (event as { details?: { phase?: unknown; personalDataReason?: unknown } }).details;
    if (details?.phase === "requested" && typeof details.personalDataReason === "string") return { reason: details.personalDataReason };
  }
  throw new BundleExportError("the logged request of this export gives no reason for including personal data");
}

function storedSelection(selection: unknown): ExportSelection {
  try {
    return parseSelection(selection);
  } catch {
    throw new BundleExportError("the export's stored selection is invalid");
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
    const selection = storedSelection(row.selection);
    const result = await writeEvidenceExport(deps, {
      bundleId: id,
      selection,
      actor,
      disclosure: row.includePersonalData ? await requestedDisclosure(db, id) : null,
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
        ? error.message
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
