import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { requestContext, withPermission } from "@/lib/auth/guard";
import { exportFileName } from "@/lib/evidence/export-view";
import { getRuntime } from "@/lib/server/runtime";
import { evidenceDepsOf } from "@/lib/server/runtime-context";
import { recordEvidenceDownload } from "@/lib/services/evidence";
import { ServiceInputError } from "@/lib/services/users";
import { optionsHandler } from "@/lib/api/allow";

export const dynamic = "force-dynamic";

/** The finished bundle, streamed from DATA_DIR/exports; only for the person who exported it. Logged (evidence.download). */
export const GET = withPermission(
  async (_req, { user, params }) => {
    const runtime = await getRuntime();
    try {
      const { path, record } = await recordEvidenceDownload(evidenceDepsOf(runtime), {
        id: params.id ?? "",
        actor: { id: user.id, email: user.email, name: user.name, role: user.role, ...(await requestContext()) },
      });
      const body = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
      return new Response(body, {
        headers: {
          "content-type": "application/zip",
          "content-disposition": `attachment; filename="${exportFileName(record)}"`,
          ...(record.fileSize ? { "content-length": String(record.fileSize) } : {}),
          "cache-control": "no-store",
          "x-content-type-options": "nosniff",
        },
      });
    } catch (error) {
      if (error instanceof ServiceInputError) {
        return Response.json({ error: error.status === 404 ? "not_found" : "not_ready", message: error.message }, { status: error.status });
      }
      throw error;
    }
  },
  { requiredPermissions: ["evidence.export"] },
);

export const OPTIONS = optionsHandler({ GET });
