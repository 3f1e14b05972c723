import { createLatestCheckpointHandler } from "@/lib/api/published";
import { getDb } from "@/lib/server/runtime";

// Public by design: signed checkpoints are meant to be copied and compared by outsiders.
export const dynamic = "force-dynamic";

export const GET = createLatestCheckpointHandler({ getDb });
