import "server-only";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "../../db/client";
import { evidenceDepsOf, type Runtime } from "../server/runtime-context";
import { enqueueScheduledVerification } from "../services/verification";
import { runEvidenceExportJob } from "../services/evidence";
import { JobRunner, type JobLane } from "./job-runner";
import { runVerificationJob } from "./run-verification";

/**
 * Background work of the integrity area, started once per server process from the runtime:
 * the job runner (verification runs and evidence exports persisted in the database) and the
 * scheduled verification every VERIFY_INTERVAL_SECONDS. Takes the Runtime it runs in as a
 * parameter and never imports lib/server/runtime.ts (which starts it): waking the jobs from a
 * request, which may have to start the runtime first, is wakeIntegrityJobs there.
 */

export type IntegrityLane = "verification" | "export";

export interface IntegrityJobs {
  runner: JobRunner;
  stop(): void;
}

// One per process, on globalThis so dev-mode module reloading does not start a second one.
const globalKey = Symbol.for("decision-ledger.integrity-jobs");
type GlobalWithJobs = typeof globalThis & { [globalKey]?: IntegrityJobs };

/** The first scheduled check waits this long after start, so start-up work (migrations, demo seed) goes first. */
const FIRST_SCHEDULE_DELAY_MS = 60_000;

function claimSql(table: "verification_runs" | "evidence_exports") {
  return sql.raw(`update ${table} set status = 'running', started_at = now(), heartbeat_at = now()
    where id = (select id from ${table} where status = 'queued' order by requested_at limit 1 for update skip locked)
    returning id`);
}

const jobIdRow = z.object({ id: z.string() });

/** Marks running jobs whose heartbeat is older than `staleSeconds` as interrupted; returns how many. */
export async function sweepStaleJobs(db: Db, table: "verification_runs" | "evidence_exports", staleSeconds: number): Promise<number> {
  const rows = await queryRows(
    db,
    sql`update ${sql.raw(table)} set status = 'interrupted', finished_at = now(),
          error = 'the server stopped while this was running; start it again'
        where status = 'running' and coalesce(heartbeat_at, started_at, requested_at) < now() - make_interval(secs => ${staleSeconds})
        returning id`,
    jobIdRow,
  );
  return rows.length;
}

function lane(db: Db, table: "verification_runs" | "evidence_exports", run: JobLane["run"]): JobLane {
  return {
    async claim() {
      const rows = await queryRows(db, claimSql(table), jobIdRow);
      return rows[0]?.id ?? null;
    },
    run,
    async sweep(staleSeconds) {
      await sweepStaleJobs(db, table, staleSeconds);
    },
  };
}

/** Starts the job runner and the verification schedule (idempotent). Called from lib/server/runtime.ts. */
export function startIntegritySchedules(runtime: Runtime): IntegrityJobs {
  const g = globalThis as GlobalWithJobs;
  const existing = g[globalKey];
  if (existing) return existing;
  const { db } = runtime;
  const runner = new JobRunner({
    verification: lane(db, "verification_runs", (id, signal) => runVerificationJob(runtime, id, signal)),
    export: lane(db, "evidence_exports", (id, signal) => runEvidenceExportJob(evidenceDepsOf(runtime), id, signal)),
  });
  runner.start();

  const timers: ReturnType<typeof setTimeout>[] = [];
  const interval = runtime.config.VERIFY_INTERVAL_SECONDS;
  if (interval > 0) {
    const tick = () => {
      // The gap is checked in the database, so several server processes schedule one run, not one each.
      enqueueScheduledVerification(db, interval)
        .then((id) => {
          if (id) runner.wake("verification");
        })
        .catch((error) => console.error("[decision-ledger] could not schedule a verification:", error));
    };
    const first = setTimeout(() => {
      tick();
      const every = setInterval(tick, Math.min(interval, 60) * 1000);
      every.unref?.();
      timers.push(every);
    }, Math.min(FIRST_SCHEDULE_DELAY_MS, interval * 1000));
    first.unref?.();
    timers.push(first);
  }

  const jobs: IntegrityJobs = {
    runner,
    stop() {
      runner.stop();
      for (const t of timers) clearTimeout(t);
      delete g[globalKey];
    },
  };
  g[globalKey] = jobs;
  return jobs;
}

/** This process's integrity jobs, or null when they have not been started. */
export function runningIntegrityJobs(): IntegrityJobs | null {
  return (globalThis as GlobalWithJobs)[globalKey] ?? null;
}
