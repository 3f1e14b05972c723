import { buildOpenApiDocument } from "@/lib/openapi/document";
import { optionsHandler } from "@/lib/api/allow";

// Public: the API description. Built from the same constants the handlers enforce.
export const dynamic = "force-dynamic";

export function GET(): Response {
  return Response.json(buildOpenApiDocument(), { headers: { "cache-control": "public, max-age=300" } });
}

export const OPTIONS = optionsHandler({ GET });
