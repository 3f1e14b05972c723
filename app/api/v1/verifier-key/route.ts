import { createVerifierKeyHandler } from "@/lib/api/published";
import { getRuntime } from "@/lib/server/runtime";
import { optionsHandler } from "@/lib/api/allow";

// Public by design: anyone may check the published checkpoints with this key.
export const dynamic = "force-dynamic";

export const GET = createVerifierKeyHandler({ getVerifierKey: async () => (await getRuntime()).verifierKey });

export const OPTIONS = optionsHandler({ GET });
