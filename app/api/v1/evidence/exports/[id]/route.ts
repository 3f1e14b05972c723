import { getEvidenceExport } from "@/db/queries/evidence-exports";
import { withPermission } from "@/lib/auth/guard";
import { toExportView } from "@/lib/evidence/export-view";
import { getRuntime } from "@/lib/server/runtime";
import { optionsHandler } from "@/lib/api/allow";

export const dynamic = "force-dynamic";

/** Progress of one of the user's exports (polled by the export button; not logged). */
export const GET = withPermission(
  async (_req, { user, params }) => {
    const { db } = await getRuntime();
    const record = await getEvidenceExport(db, { id: params.id ?? "" });
    // Someone else's export is reported as absent, not as forbidden: its existence is not theirs to know.
    if (!record || record.requestedById !== user.id) {
      return Response.json({ error: "not_found", message: "No export with this id." }, { status: 404 });
    }
    return Response.json(toExportView(record), { headers: { "cache-control": "no-store" } });
  },
  { requiredPermissions: ["evidence.export"] },
);

export const OPTIONS = optionsHandler({ GET });
