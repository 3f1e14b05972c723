import { createLatestCheckpointHandler } from "@/lib/api/published";
import { getDb } from "@/lib/server/runtime";
import { optionsHandler } from "@/lib/api/allow";

// Public by design: signed checkpoints are meant to be copied and compared by outsiders.
export const dynamic = "force-dynamic";

export const GET = createLatestCheckpointHandler({ getDb });

export const OPTIONS = optionsHandler({ GET });
