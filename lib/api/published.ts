import "server-only";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Db } from "../../db/client";
import { LOG_IDS } from "../ledger/log-id";
import { readLatestCheckpoint } from "../ledger-store/create-checkpoint";
import { ApiError, errorResponse, internalErrorResponse } from "./errors";

/**
 * Verifier material published to anyone: the verifier key and the latest signed checkpoint
 * of each log. Both are public by design (C2SP tlog-checkpoint): a checkpoint is only worth
 * something if outsiders keep copies and can check later ones against it.
 */

const TEXT = "text/plain; charset=utf-8";

/** GET /api/v1/verifier-key: the C2SP verifier key (`<name>+<key id>+<base64 key>`), one line. */
export function createVerifierKeyHandler(deps: { getVerifierKey: () => Promise<string> }): (req: Request) => Promise<Response> {
  return async () => {
    const requestId = randomUUID();
    try {
      return new Response((await deps.getVerifierKey()) + "\n", {
        headers: { "content-type": TEXT, "cache-control": "public, max-age=300", "x-request-id": requestId },
      });
    } catch (error) {
      return internalErrorResponse(error, requestId);
    }
  };
}

const checkpointQuery = z.object({
  log: z.enum(LOG_IDS, { error: `log must be one of: ${LOG_IDS.join(", ")}` }).default("decisions"),
});

/**
 * GET /api/v1/checkpoints/latest?log=decisions|access: the latest signed checkpoint note of
 * the log, exactly as signed (text/plain), with its tree size and signing time in headers.
 */
export function createLatestCheckpointHandler(deps: { getDb: () => Promise<Db> }): (req: Request) => Promise<Response> {
  return async (req) => {
    const requestId = randomUUID();
    try {
      const url = new URL(req.url);
      const parsed = checkpointQuery.safeParse({ log: url.searchParams.get("log") ?? undefined });
      if (!parsed.success) {
        throw new ApiError(400, "invalid_parameter", `Query parameter log: ${parsed.error.issues[0]?.message ?? "invalid"}`);
      }
      const { log } = parsed.data;
      const checkpoint = await readLatestCheckpoint(await deps.getDb(), log);
      if (!checkpoint) throw new ApiError(404, "not_found", `No checkpoint of the ${log} log has been signed yet`);
      return new Response(checkpoint.signedNote, {
        headers: {
          "content-type": TEXT,
          // A newer checkpoint can be signed at any moment: caches must revalidate.
          "cache-control": "no-cache",
          "x-request-id": requestId,
          "x-log": log,
          "x-tree-size": String(checkpoint.treeSize),
          "x-checkpoint-created-at": checkpoint.createdAt.toISOString(),
        },
      });
    } catch (error) {
      return error instanceof ApiError ? errorResponse(error, requestId) : internalErrorResponse(error, requestId);
    }
  };
}
