import { execFileSync } from "node:child_process";
import { appendFileSync, chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * A throwaway primary and hot-standby pair of local Postgres clusters (streaming replication),
 * started from the server binaries already installed, in a temporary directory, on
 * 127.0.0.1 only; stopped and removed by stop(). For the read-replica tests: the main test
 * server cannot be made a primary (its pg_hba allows no replication connections).
 */
export interface ReplicaPair {
  primaryUrl: string;
  replicaUrl: string;
  stop(): void;
}

const BIN = "/usr/lib/postgresql/15/bin";

/** Why a pair cannot be started here, or null when it can. */
export function replicaPairUnavailable(): string | null {
  if (!existsSync(path.join(BIN, "initdb"))) return `no Postgres server binaries in ${BIN}`;
  if (process.getuid?.() === 0 && !hasUser("postgres")) return "running as root without a postgres user to run the clusters as";
  return null;
}

function hasUser(name: string): boolean {
  try {
    execFileSync("id", [name], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Runs a server binary, as the postgres user when this process is root (Postgres refuses root). */
function run(binary: string, args: string[]): void {
  const command = path.join(BIN, binary);
  if (process.getuid?.() === 0) execFileSync("runuser", ["-u", "postgres", "--", command, ...args], { stdio: "pipe" });
  else execFileSync(command, args, { stdio: "pipe" });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function serverOptions(port: number, socketDir: string): string {
  return `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${socketDir} -c fsync=off -c max_connections=40`;
}

export async function startReplicaPair(): Promise<ReplicaPair> {
  const root = mkdtempSync(path.join(tmpdir(), "dl-replica-"));
  chmodSync(root, 0o777);
  const primaryDir = path.join(root, "primary");
  const replicaDir = path.join(root, "replica");
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const started: string[] = [];
  const stop = () => {
    for (const dir of started.reverse()) {
      try {
        run("pg_ctl", ["-D", dir, "-m", "immediate", "-w", "stop"]);
      } catch {
        // Already stopped.
      }
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    run("initdb", ["-D", primaryDir, "-U", "postgres", "-A", "trust", "--no-sync"]);
    appendFileSync(path.join(primaryDir, "pg_hba.conf"), "host replication all 127.0.0.1/32 trust\n");
    run("pg_ctl", ["-D", primaryDir, "-w", "-l", path.join(root, "primary.log"), "-o", `${serverOptions(primaryPort, root)} -c wal_level=replica`, "start"]);
    started.push(primaryDir);
    // -R writes standby.signal and primary_conninfo: the copy starts as a streaming hot standby.
    run("pg_basebackup", ["-h", "127.0.0.1", "-p", String(primaryPort), "-U", "postgres", "-D", replicaDir, "-R", "-X", "stream", "--no-sync"]);
    run("pg_ctl", ["-D", replicaDir, "-w", "-l", path.join(root, "replica.log"), "-o", `${serverOptions(replicaPort, root)} -c hot_standby=on`, "start"]);
    started.push(replicaDir);
  } catch (error) {
    stop();
    throw error;
  }
  return {
    primaryUrl: `postgres://postgres@127.0.0.1:${primaryPort}/postgres`,
    replicaUrl: `postgres://postgres@127.0.0.1:${replicaPort}/postgres`,
    stop,
  };
}
