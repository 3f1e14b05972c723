import { buildOpenApiDocument } from "@/lib/openapi/document";

// Public: the API description. Built from the same constants the handlers enforce.
export const dynamic = "force-dynamic";

export function GET(): Response {
  return Response.json(buildOpenApiDocument(), { headers: { "cache-control": "public, max-age=300" } });
}
