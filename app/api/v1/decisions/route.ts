import { createIngestHandler } from "@/lib/api/ingest";
import { getDb, getPersonalDataKeys } from "@/lib/server/runtime";
import { optionsHandler } from "@/lib/api/allow";

// Guard: the API key check (scope "ingest") is the first thing the handler does; see lib/api/ingest.ts.
export const dynamic = "force-dynamic";

export const POST = createIngestHandler({ getDb, getPersonalDataKeys });

export const OPTIONS = optionsHandler({ POST });
