import { listVerificationRuns } from "@/db/queries/verification-runs";
import { requestContext, withPermission } from "@/lib/auth/guard";
import { toRunView } from "@/lib/integrity/run-view";
import { getRuntime, wakeIntegrityJobs } from "@/lib/server/runtime";
import { ServiceInputError } from "@/lib/services/users";
import { requestVerification } from "@/lib/services/verification";
import { optionsHandler } from "@/lib/api/allow";

export const dynamic = "force-dynamic";

/** The latest verification runs, newest first (`?limit=`, at most 100). */
export const GET = withPermission(
  async (req) => {
    const { db } = await getRuntime();
    const raw = Number(new URL(req.url).searchParams.get("limit") ?? "20");
    const limit = Number.isInteger(raw) && raw > 0 ? Math.min(raw, 100) : 20;
    const runs = await listVerificationRuns(db, { limit });
    return Response.json({ runs: runs.map(toRunView) }, { headers: { "cache-control": "no-store" } });
  },
  { requiredPermissions: ["integrity.read"] },
);

/**
 * Starts a verification in the background: body `{"scope":"all"}` or
 * `{"scope":"range","from":ISO,"to":ISO}`. 202 with the run; poll /api/v1/integrity/runs/{id}.
 */
export const POST = withPermission(
  async (req, { user }) => {
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      return Response.json({ error: "invalid_json", message: "The body must be JSON, e.g. {\"scope\":\"all\"}." }, { status: 400 });
    }
    const { db } = await getRuntime();
    try {
      const { run, created } = await requestVerification(db, {
        request: body,
        actor: { id: user.id, email: user.email, name: user.name, role: user.role, ...(await requestContext()) },
      });
      await wakeIntegrityJobs("verification");
      return Response.json({ created, run: toRunView(run) }, { status: 202 });
    } catch (error) {
      if (error instanceof ServiceInputError) {
        return Response.json({ error: "invalid_request", message: error.message, fields: error.fieldErrors }, { status: error.status });
      }
      throw error;
    }
  },
  { requiredPermissions: ["integrity.verify"] },
);

export const OPTIONS = optionsHandler({ GET, POST });
