import { randomUUID } from "node:crypto";
import { z } from "zod";
import { readDecisionProof } from "@/lib/ledger-store/read-decision-proof";
import { ApiError, errorResponse, internalErrorResponse } from "@/lib/api/errors";
import { withPermission } from "@/lib/auth/guard";
import { originOf } from "@/lib/ledger-store/create-checkpoint";
import { getRuntime } from "@/lib/server/runtime";
import { optionsHandler } from "@/lib/api/allow";

export const dynamic = "force-dynamic";

const paramsSchema = z.object({ id: z.uuid({ error: "id must be a decision id (UUID)" }) });

/**
 * GET /api/v1/decisions/{id}/proof: what the browser needs to check one record itself —
 * its leaf index and hashes, an inclusion proof into the latest signed checkpoint of the
 * decisions log, that signed note, the verifier key and the expected checkpoint origin.
 * The browser trusts none of the unsigned numbers: it takes size and root from the note
 * after verifying its signature (components/decisions/integrity-panel.tsx).
 */
export const GET = withPermission(
  async (_req, { params }) => {
    const requestId = randomUUID();
    try {
      const parsed = paramsSchema.safeParse(params);
      if (!parsed.success) {
        throw new ApiError(400, "invalid_parameter", `id: ${parsed.error.issues[0]?.message ?? "invalid"}`);
      }
      const runtime = await getRuntime();
      const proof = await readDecisionProof(runtime.db, parsed.data.id);
      if (!proof) throw new ApiError(404, "not_found", `No decision with id ${parsed.data.id}`);
      return Response.json(
        {
          ...proof,
          verifierKey: runtime.verifierKey,
          origin: originOf(runtime.origin, "decisions"),
          checkpointIntervalSeconds: runtime.config.CHECKPOINT_INTERVAL_SECONDS,
        },
        { headers: { "cache-control": "no-store", "x-request-id": requestId } },
      );
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error, requestId);
      return internalErrorResponse(error, requestId);
    }
  },
  { requiredPermissions: ["decisions.read"] },
);

export const OPTIONS = optionsHandler({ GET });
