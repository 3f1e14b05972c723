import "server-only";
import { z } from "zod";

/**
 * Every environment variable the server reads, validated once at start. The README's
 * configuration table is generated from the same descriptions (see CONFIG_DOCS).
 */
const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === "" ? undefined : v));
const positiveSeconds = (fallback: number) =>
  z.coerce.number().int("must be a whole number of seconds").min(0, "must be 0 (off) or more").default(fallback);
const booleanFlag = (fallback: boolean) =>
  z
    .enum(["1", "0", "true", "false", "yes", "no", "on", "off"], { message: "must be true or false" })
    .optional()
    .transform((v) => (v === undefined ? fallback : ["1", "true", "yes", "on"].includes(v)));

export const configSchema = z
  .object({
    DATABASE_URL: optionalString.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
      message: "must be a postgres:// or postgresql:// URL (leave unset for the embedded database)",
    }),
    DATABASE_REPLICA_URL: optionalString.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
      message: "must be a postgres:// or postgresql:// URL of a streaming replica of DATABASE_URL",
    }),
    DATA_DIR: z.string().default("./data"),
    AUTO_MIGRATE: booleanFlag(true),
    LEDGER_ORIGIN: z
      .string()
      .regex(/^[^\s+]+$/, "must be one token without spaces or '+', e.g. ledger.example.com")
      .default("decision-ledger.local"),
    LEDGER_SIGNING_KEY: optionalString.refine((v) => v === undefined || v.startsWith("PRIVATE+KEY+"), {
      message: "must be a C2SP signer key starting with PRIVATE+KEY+ (see `decision-ledger keygen`)",
    }),
    LEDGER_SIGNING_KEY_FILE: optionalString,
    CHECKPOINT_DIR: optionalString,
    PERSONAL_DATA_KEK: optionalString,
    PERSONAL_DATA_KEK_FILE: optionalString,
    PERSONAL_DATA_KEK_PREVIOUS: optionalString,
    PERSONAL_DATA_KEK_PREVIOUS_FILE: optionalString,
    PERSONAL_DATA_INDEX_KEY: optionalString,
    PERSONAL_DATA_INDEX_KEY_FILE: optionalString,
    CHECKPOINT_INTERVAL_SECONDS: positiveSeconds(60),
    VERIFY_INTERVAL_SECONDS: positiveSeconds(3600),
    DEMO: booleanFlag(true),
    NEXTAUTH_SECRET: optionalString,
    NEXTAUTH_URL: optionalString,
    SESSION_MAX_AGE_SECONDS: positiveSeconds(8 * 3600).refine((v) => v > 0, "must be more than 0"),
    OIDC_ISSUER: optionalString,
    OIDC_CLIENT_ID: optionalString,
    OIDC_CLIENT_SECRET: optionalString,
    OIDC_DEFAULT_ROLE: z.enum(["admin", "compliance_officer", "incident_reviewer", "auditor"]).default("auditor"),
    INGEST_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0, "must be 0 (off) or more").default(50),
    INGEST_RATE_LIMIT_BURST: z.coerce.number().int("must be a whole number of requests").min(0, "must be 0 (off) or more").default(500),
  })
  .superRefine((c, ctx) => {
    if (c.DATABASE_REPLICA_URL && !c.DATABASE_URL) {
      ctx.addIssue({ code: "custom", path: ["DATABASE_REPLICA_URL"], message: "needs DATABASE_URL: a replica is of a Postgres server, not of the embedded database" });
    }
    const oidc = [c.OIDC_ISSUER, c.OIDC_CLIENT_ID, c.OIDC_CLIENT_SECRET];
    if (oidc.some(Boolean) && !oidc.every(Boolean)) {
      ctx.addIssue({ code: "custom", path: ["OIDC_ISSUER"], message: "OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set together" });
    }
  });

export type ServerConfig = z.infer<typeof configSchema>;

export const CONFIG_DOCS: Record<keyof z.input<typeof configSchema>, string> = {
  DATABASE_URL: "Postgres server URL. Unset: the embedded PGlite database in DATA_DIR/pglite.",
  DATABASE_REPLICA_URL:
    "Optional streaming replica of DATABASE_URL (hot standby). The explorer's lists, counts, histograms and filter options read from it; everything else, every write and the access log use DATABASE_URL (docs/architecture.md, \"Read replicas\").",
  DATA_DIR: "Directory for the embedded database, generated keys and the default checkpoint store. Default ./data.",
  AUTO_MIGRATE: "Apply pending migrations at start (default true). Set false when the runtime role may not run DDL; then run `decision-ledger migrate` as the owner.",
  LEDGER_ORIGIN: "Checkpoint origin prefix and signing key name, e.g. ledger.example.com. Logs are <origin>/decisions and <origin>/access.",
  LEDGER_SIGNING_KEY: "C2SP Ed25519 signer key (PRIVATE+KEY+...). Takes precedence over LEDGER_SIGNING_KEY_FILE.",
  LEDGER_SIGNING_KEY_FILE: "File holding the signer key. Unset and no LEDGER_SIGNING_KEY: a key is generated in DATA_DIR (demo only).",
  CHECKPOINT_DIR: "External, write-once checkpoint store outside the database. Default DATA_DIR/checkpoints.",
  PERSONAL_DATA_KEK:
    "Key-encryption key (32 bytes, hex or base64) that wraps every data subject's data key (docs/privacy.md). Keep it outside the database. Unset with neither it nor its _FILE: generated into DATA_DIR (demo only; refused when DATABASE_URL is set and DEMO is false).",
  PERSONAL_DATA_KEK_FILE: "File holding PERSONAL_DATA_KEK (a mounted secret). Set one of the two, not both.",
  PERSONAL_DATA_KEK_PREVIOUS:
    "During a KEK rotation only: the KEK being retired, so data keys it wrapped still open until `decision-ledger rotate-kek` has re-wrapped them under PERSONAL_DATA_KEK. Remove it afterwards.",
  PERSONAL_DATA_KEK_PREVIOUS_FILE: "File holding PERSONAL_DATA_KEK_PREVIOUS.",
  PERSONAL_DATA_INDEX_KEY:
    "Blind-index key (32 bytes, hex or base64): HMAC key for exact search on personal identifiers and for idempotent retries. Same rules as PERSONAL_DATA_KEK.",
  PERSONAL_DATA_INDEX_KEY_FILE: "File holding PERSONAL_DATA_INDEX_KEY.",
  CHECKPOINT_INTERVAL_SECONDS: "Sign a checkpoint this often when there are new records (0 = only on demand). Default 60.",
  VERIFY_INTERVAL_SECONDS: "Run a full scheduled verification this often (0 = off). Default 3600.",
  DEMO: "Seed demo users and 20,000 demo decisions into an empty database (default true).",
  NEXTAUTH_SECRET: "Secret for session tokens. Unset: generated into DATA_DIR (set it in production).",
  NEXTAUTH_URL: "Public URL of the dashboard (next-auth), e.g. https://ledger.example.com.",
  SESSION_MAX_AGE_SECONDS: "Sessions expire after this many seconds. Default 28800 (8 h).",
  OIDC_ISSUER: "Optional OIDC single sign-on: issuer URL (with OIDC_CLIENT_ID and OIDC_CLIENT_SECRET).",
  OIDC_CLIENT_ID: "OIDC client id.",
  OIDC_CLIENT_SECRET: "OIDC client secret.",
  OIDC_DEFAULT_ROLE: "Role given to a first-time OIDC user. Default auditor (least privilege).",
  INGEST_RATE_LIMIT_PER_SECOND:
    "Ingest requests per second each API key may send on average (a token bucket per key, per app instance; a request counts once whatever its batch size). 0 = no limit. Default 50.",
  INGEST_RATE_LIMIT_BURST: "Ingest requests an API key may send at once after a quiet spell (the bucket size). 0 = no limit. Default 500.",
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".") || "(environment)"}: ${i.message}`));
  }
  return parsed.data;
}
