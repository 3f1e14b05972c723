import { getVerificationRun } from "@/db/queries/verification-runs";
import { withPermission } from "@/lib/auth/guard";
import { toRunView } from "@/lib/integrity/run-view";
import { getRuntime } from "@/lib/server/runtime";
import { optionsHandler } from "@/lib/api/allow";

export const dynamic = "force-dynamic";

/** Progress and outcome of one verification run; the integrity page polls it. Not logged (polled every second). */
export const GET = withPermission(
  async (_req, { params }) => {
    const { db } = await getRuntime();
    const run = await getVerificationRun(db, { id: params.id ?? "" });
    if (!run) return Response.json({ error: "not_found", message: "No verification run with this id." }, { status: 404 });
    return Response.json(toRunView(run), { headers: { "cache-control": "no-store" } });
  },
  { requiredPermissions: ["integrity.read"] },
);

export const OPTIONS = optionsHandler({ GET });
