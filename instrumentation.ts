/**
 * Next.js calls register() once when a server starts, before it handles requests. Opening
 * the runtime here means migrations, the demo seed's first part and the checkpoint
 * schedule happen at start, not on the first visitor's request.
 */
export async function register(): Promise<void> {
  // Written as one `if` block (not an early return) so the Edge bundle, where NEXT_RUNTIME is
  // replaced by "edge" at compile time, drops all of it: Edge has no database drivers.
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { PHASE_PRODUCTION_BUILD } = await import("next/constants");
    // `next build` must not open (or seed) a database.
    if (process.env.NEXT_PHASE === PHASE_PRODUCTION_BUILD) return;

    const { getRuntime } = await import("./lib/server/runtime");
    try {
      const runtime = await getRuntime();
      console.log(`[decision-ledger] ready: ${runtime.database.kind} database at ${runtime.database.location}`);
    } catch (error) {
      // Configuration and connection problems are the operator's to fix: say what is wrong
      // plainly and, in production, stop instead of serving pages that all fail. In
      // development the server stays up so a fixed .env is picked up on the next request.
      const e = error as Error;
      console.error(`[decision-ledger] cannot start: ${e.message}`);
      if (!["ConfigError", "DatabaseUnavailableError", "NotMigratedError"].includes(e.name)) console.error(e);
      if (process.env.NODE_ENV === "production") process.exit(1);
    }
  }
}
