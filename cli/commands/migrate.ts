import { migrateDatabase, openDatabase } from "../../db/client";
import { appliedMigrationCount } from "../../db/migrations";
import { loadConfig } from "../../lib/server/config";
import path from "node:path";
import { defineCommand, parseCommandArgs } from "../command";
import { committedMigrations } from "../lib/ledger";

export default defineCommand({
  name: "migrate",
  summary: "Apply the committed database migrations (run as the database owner)",
  usage: `Usage: decision-ledger migrate

Applies the migrations in drizzle/ that the database does not have yet. Safe to run again:
it does nothing when the database is up to date. With DATABASE_URL set it migrates that
Postgres database (connect as the owner role: migrations create tables, triggers and
grants); otherwise the embedded database in DATA_DIR/pglite.

The server migrates by itself at start unless AUTO_MIGRATE=false; use this command when
the server's role may not run DDL.`,
  async run(args, ctx) {
    parseCommandArgs(args, {});
    const config = loadConfig(ctx.env);
    const expected = committedMigrations();
    const database = await openDatabase({ url: config.DATABASE_URL, dataDir: path.resolve(config.DATA_DIR, "pglite") });
    try {
      const before = await appliedMigrationCount(database.db);
      await migrateDatabase(database);
      const after = await appliedMigrationCount(database.db);
      ctx.stdout.write(
        after > before
          ? `Applied ${after - before} migration(s) to ${database.location}; it now has all ${expected}.\n`
          : `${database.location} is up to date (${after} migrations).\n`,
      );
    } finally {
      await database.close();
    }
  },
});
