/**
 * Which indexes the explorer's queries use: every statement a query function sends is caught
 * on its way to the database (a wrapper around the handle, transactions included), explained
 * with EXPLAIN (FORMAT JSON) on the same connection and in the same transaction (so `set
 * local work_mem` applies), then run as usual, so the function goes on exactly as it would.
 * What is explained is therefore the SQL the functions really generate, not a copy of it.
 */
import { sql, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { z } from "zod";
import { queryRows, type Db } from "../../db/client";

/** One explained statement: which function sent it, for which case, and what its plan reads. */
export interface ExplainedQuery {
  query: string;
  caseName: string;
  /** Indexes in the plan, partition indexes named by the index of the parent table they belong to. */
  indexes: string[];
  /** Tables read by a Seq Scan (partitions named by their parent). */
  seqScans: string[];
}

const dialect = new PgDialect();

/** Statements worth explaining: reads that touch a decisions table (not SET, locks or inserts). */
const isDecisionRead = (text: string) => /^\s*(select|with)\b/i.test(text) && /\b(decisions|decision_counts_\w+)\b/.test(text);

type Explain = (query: SQL, on: Pick<Db, "execute">) => Promise<void>;

/** `target` with every execute() explained first by `explain`, inside transactions too. */
export function explainingDb<T extends Pick<Db, "execute" | "transaction">>(target: T, explain: Explain): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      if (prop === "execute") {
        return async (query: SQL) => {
          if (isDecisionRead(dialect.sqlToQuery(query).sql)) await explain(query, obj);
          return obj.execute(query);
        };
      }
      if (prop === "transaction") {
        return (run: (tx: T) => Promise<unknown>, config?: unknown) =>
          obj.transaction((tx) => run(explainingDb(tx as unknown as T, explain)), config as Parameters<T["transaction"]>[1]);
      }
      const value: unknown = Reflect.get(obj, prop, receiver);
      return typeof value === "function" ? value.bind(obj) : value;
    },
  });
}

/** Every index and table of the database by name → the name of its partitioned parent (itself when it has none). */
export async function parentNames(db: Pick<Db, "execute">): Promise<Map<string, string>> {
  const rows = await queryRows(
    db,
    sql`select c.relname as name, coalesce(p.relname, c.relname) as root
        from pg_class c left join pg_inherits i on i.inhrelid = c.oid left join pg_class p on p.oid = i.inhparent
        where c.relkind in ('r', 'p', 'i', 'I') and c.relnamespace = current_schema()::regnamespace`,
    z.object({ name: z.string(), root: z.string() }),
  );
  return new Map(rows.map((r) => [r.name, r.root]));
}

const planRow = z.object({ "QUERY PLAN": z.unknown() });

/** The indexes and seq-scanned tables of a plan (EXPLAIN (FORMAT JSON) output, parsed or as text). */
export function planReads(plan: unknown, parents: Map<string, string>): { indexes: string[]; seqScans: string[] } {
  const indexes = new Set<string>();
  const seqScans = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    const n = node as Record<string, unknown>;
    if (typeof n["Index Name"] === "string") indexes.add(parents.get(n["Index Name"]) ?? n["Index Name"]);
    if (n["Node Type"] === "Seq Scan" && typeof n["Relation Name"] === "string") seqScans.add(parents.get(n["Relation Name"]) ?? n["Relation Name"]);
    Object.values(n).forEach(visit);
  };
  visit(typeof plan === "string" ? JSON.parse(plan) : plan);
  return { indexes: [...indexes].sort(), seqScans: [...seqScans].sort() };
}

/**
 * Runs `run` against a handle whose decision reads are explained, each recorded under
 * `query` / `caseName`. Plans are EXPLAIN without ANALYZE: the planner's choice, on the
 * statistics of the last ANALYZE.
 */
export async function explainCalls(
  db: Db,
  parents: Map<string, string>,
  label: { query: string; caseName: string },
  run: (db: Db) => Promise<unknown>,
): Promise<ExplainedQuery[]> {
  const out: ExplainedQuery[] = [];
  const handle = explainingDb(db, async (query, on) => {
    const rows = await queryRows(on, sql`explain (format json) ${query}`, planRow);
    out.push({ ...label, ...planReads(rows[0]?.["QUERY PLAN"], parents) });
  });
  await run(handle);
  return out;
}
