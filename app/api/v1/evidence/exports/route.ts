import { listEvidenceExports } from "@/db/queries/evidence-exports";
import { requestContext, withPermission } from "@/lib/auth/guard";
import { roleHas } from "@/lib/auth/permissions";
import { toExportView } from "@/lib/evidence/export-view";
import { exportRequestSchema, selectionFromRequest } from "@/lib/evidence/request-selection";
import { getRuntime, wakeIntegrityJobs } from "@/lib/server/runtime";
import { requestEvidenceExport } from "@/lib/services/evidence";
import { ServiceInputError } from "@/lib/services/users";
import { optionsHandler } from "@/lib/api/allow";

export const dynamic = "force-dynamic";

/** The signed-in user's own exports, newest first. */
export const GET = withPermission(
  async (_req, { user }) => {
    const { db } = await getRuntime();
    const rows = await listEvidenceExports(db, { requestedById: user.id, limit: 20 });
    return Response.json({ exports: rows.map(toExportView) }, { headers: { "cache-control": "no-store" } });
  },
  { requiredPermissions: ["evidence.export"] },
);

/**
 * Starts an evidence export in the background: body `{"query":"<decisions list query>"}` or
 * `{"ids":[...]}`, personal data left out; add `"includePersonalData":true,"reason":"…"` to
 * include it (evidence.export_personal_data; 403 without it, 400 naming `reason` when it is
 * missing or shorter than 10 characters). 202 with the export; poll
 * /api/v1/evidence/exports/{id}, then download.
 */
export const POST = withPermission(
  async (req, { user }) => {
    let json: unknown;
    try {
      json = await req.json();
    } catch {
      return Response.json({ error: "invalid_json", message: "The body must be JSON: {\"query\": \"...\"} or {\"ids\": [...]}." }, { status: 400 });
    }
    const body = exportRequestSchema.safeParse(json);
    if (!body.success) {
      const issue = body.error.issues[0];
      return Response.json(
        { error: "invalid_request", message: issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "Invalid request" },
        { status: 400 },
      );
    }
    if (body.data.includePersonalData === true && !roleHas(user.role, "evidence.export_personal_data")) {
      return Response.json(
        { error: "forbidden", message: "Your role may not include personal data in an export (evidence.export_personal_data)", fields: { includePersonalData: ["not permitted"] } },
        { status: 403 },
      );
    }
    const { db } = await getRuntime();
    try {
      const record = await requestEvidenceExport(db, {
        selection: selectionFromRequest(body.data, new Date()),
        actor: { id: user.id, email: user.email, name: user.name, role: user.role, ...(await requestContext()) },
        personalData: { includePersonalData: body.data.includePersonalData, reason: body.data.reason },
      });
      await wakeIntegrityJobs("export");
      return Response.json({ export: toExportView(record) }, { status: 202 });
    } catch (error) {
      if (error instanceof ServiceInputError) {
        return Response.json({ error: "invalid_request", message: error.message, fields: error.fieldErrors }, { status: error.status });
      }
      throw error;
    }
  },
  { requiredPermissions: ["evidence.export"] },
);

export const OPTIONS = optionsHandler({ GET, POST });
