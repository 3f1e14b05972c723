import "server-only";
import { mkdir, open, readdir, readFile } from "node:fs/promises";
import path from "node:path";

export interface StoredCheckpointNote {
  treeSize: number;
  signedNote: string;
}

/**
 * Checkpoints kept OUTSIDE the database. A checkpoint that only lives in the database
 * cannot catch someone who rewrote the database; a write-once copy elsewhere can.
 * The interface is what an object store with object lock (S3 Object Lock in compliance
 * mode, Azure immutable blobs) offers: put-if-absent and list, never overwrite or delete.
 */
export interface ExternalCheckpointStore {
  readonly description: string;
  /** Stores the note; refuses (throws) if a different note is already stored for that size. */
  put(logId: string, checkpoint: StoredCheckpointNote): Promise<void>;
  list(logId: string): Promise<StoredCheckpointNote[]>;
  /** The largest checkpoint stored for the log, without reading the others. */
  latest(logId: string): Promise<StoredCheckpointNote | null>;
}

const FILE_PATTERN = /^(\d{20})\.checkpoint$/;

/** A directory of write-once files: <dir>/<log>/<zero-padded size>.checkpoint. */
export class DirectoryCheckpointStore implements ExternalCheckpointStore {
  readonly description: string;
  constructor(private readonly dir: string) {
    this.description = `directory ${dir}`;
  }

  private file(logId: string, treeSize: number): string {
    return path.join(this.dir, logId, `${String(treeSize).padStart(20, "0")}.checkpoint`);
  }

  async put(logId: string, checkpoint: StoredCheckpointNote): Promise<void> {
    await mkdir(path.join(this.dir, logId), { recursive: true });
    const file = this.file(logId, checkpoint.treeSize);
    try {
      // "wx": fail if it exists, so an existing checkpoint is never overwritten.
      const handle = await open(file, "wx", 0o444);
      try {
        await handle.writeFile(checkpoint.signedNote, "utf8");
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const existing = await readFile(file, "utf8");
      if (existing !== checkpoint.signedNote) {
        throw new Error(`external checkpoint store already holds a different checkpoint for ${logId} size ${checkpoint.treeSize}`);
      }
    }
  }

  /** Checkpoint file names of the log, smallest size first (zero-padded, so names sort by size). */
  private async names(logId: string): Promise<string[]> {
    try {
      return (await readdir(path.join(this.dir, logId))).filter((n) => FILE_PATTERN.test(n)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  }

  private async read(logId: string, name: string): Promise<StoredCheckpointNote> {
    return { treeSize: Number(FILE_PATTERN.exec(name)![1]), signedNote: await readFile(path.join(this.dir, logId, name), "utf8") };
  }

  async list(logId: string): Promise<StoredCheckpointNote[]> {
    const out: StoredCheckpointNote[] = [];
    for (const name of await this.names(logId)) out.push(await this.read(logId, name));
    return out;
  }

  async latest(logId: string): Promise<StoredCheckpointNote | null> {
    const names = await this.names(logId);
    const last = names[names.length - 1];
    return last ? this.read(logId, last) : null;
  }
}
