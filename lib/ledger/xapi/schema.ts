/**
 * The zod schema of the accepted xAPI 2.0 subset (types.ts). Format rules that only the
 * schema needs live here; those shared with the API and UI come from syntax.ts. Prefer
 * validateStatement (validate.ts), which adds storability and cross-field checks.
 */
import { z } from "zod";
import type { XapiStatement } from "./types";
import { isAbsoluteIri, isLanguageTag, timestampProblem, UUID_PATTERN } from "./syntax";

const MAILTO_RE = /^mailto:[^@\s<>"]+@[^@\s<>"]+$/;
const SHA1_HEX_RE = /^[0-9a-fA-F]{40}$/;
const SHA2_HEX_RE = /^(?:[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})$/;
const MEDIA_TYPE_RE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(?:\s*;.*)?$/;
const DURATION_RE =
  /^P(?:\d+(?:[.,]\d+)?W|(?=\d|T\d)(?:\d+(?:[.,]\d+)?Y)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?D)?(?:T(?=\d)(?:\d+(?:[.,]\d+)?H)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?S)?)?)$/;

const iri = z.string().refine(isAbsoluteIri, "must be an absolute IRI with a scheme, e.g. https://example.com/x");
const uuid = z.string().regex(UUID_PATTERN, "must be a UUID in standard form (8-4-4-4-12 hex digits)");
// One message for text that is not RFC 3339, another for an instant the ledger cannot store (year 0000).
const timestamp = z.string().superRefine((value, ctx) => {
  const problem = timestampProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const languageMap = z.record(z.string().refine(isLanguageTag, "language map key must be an RFC 5646 language tag"), z.string());
const extensions = z.record(z.string().refine(isAbsoluteIri, "extension key must be an absolute IRI"), z.unknown());

const account = z.strictObject({ homePage: iri, name: z.string().min(1, "account name must not be empty") });

const ifiShape = {
  mbox: z.string().regex(MAILTO_RE, "must be a mailto IRI (mailto:name@host)").optional(),
  mbox_sha1sum: z.string().regex(SHA1_HEX_RE, "must be the 40-digit hex SHA-1 of a mailto IRI").optional(),
  openid: iri.optional(),
  account: account.optional(),
};
const IFI_KEYS = ["mbox", "mbox_sha1sum", "openid", "account"] as const;

function presentIfis(v: Partial<Record<(typeof IFI_KEYS)[number], unknown>>): string[] {
  return IFI_KEYS.filter((k) => v[k] !== undefined);
}

function makeAgent<T extends z.ZodType>(objectType: T) {
  return z
    .strictObject({ objectType, name: z.string().optional(), ...ifiShape })
    .superRefine((a, ctx) => {
      const ifis = presentIfis(a);
      if (ifis.length !== 1)
        ctx.addIssue({
          code: "custom",
          message: `an Agent needs exactly one identifier (mbox, mbox_sha1sum, openid or account); found ${ifis.length === 0 ? "none" : ifis.join(", ")}`,
        });
    });
}

const agent = makeAgent(z.literal("Agent", { error: 'must be "Agent" (a Group cannot appear here)' }).optional());
// xAPI: an Agent used as the statement's object MUST state its objectType.
const agentObject = makeAgent(z.literal("Agent"));

const group = z
  .strictObject({
    objectType: z.literal("Group"),
    name: z.string().optional(),
    member: z.array(agent).optional(),
    ...ifiShape,
  })
  .superRefine((g, ctx) => {
    const ifis = presentIfis(g);
    if (ifis.length > 1)
      ctx.addIssue({ code: "custom", message: `an identified Group needs exactly one identifier; found ${ifis.join(", ")}` });
    else if (ifis.length === 0 && g.member === undefined)
      ctx.addIssue({ code: "custom", message: "an anonymous Group (no identifier) must list its members", path: ["member"] });
  });

const actor = z.discriminatedUnion("objectType", [agent, group]);

const verb = z.strictObject({ id: iri, display: languageMap.optional() });

const interactionComponent = z.strictObject({ id: z.string(), description: languageMap.optional() });
const componentList = z.array(interactionComponent).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((c, i) => {
    if (seen.has(c.id)) ctx.addIssue({ code: "custom", message: `duplicate interaction component id "${c.id}"`, path: [i, "id"] });
    seen.add(c.id);
  });
});

const activityDefinition = z.strictObject({
  name: languageMap.optional(),
  description: languageMap.optional(),
  type: iri.optional(),
  moreInfo: iri.optional(),
  extensions: extensions.optional(),
  interactionType: z
    .enum(["true-false", "choice", "fill-in", "long-fill-in", "matching", "performance", "sequencing", "likert", "numeric", "other"])
    .optional(),
  correctResponsesPattern: z.array(z.string()).optional(),
  choices: componentList.optional(),
  scale: componentList.optional(),
  source: componentList.optional(),
  target: componentList.optional(),
  steps: componentList.optional(),
});

const activity = z.strictObject({
  objectType: z.literal("Activity").optional(),
  id: iri,
  definition: activityDefinition.optional(),
});

const statementRef = z.strictObject({ objectType: z.literal("StatementRef"), id: uuid });

// A missing objectType means Activity (xAPI default), so Agent objects must say "Agent".
const statementObject = z.discriminatedUnion("objectType", [activity, agentObject, group, statementRef]);

const score = z
  .strictObject({
    scaled: z.number().min(-1, "scaled score must be between -1 and 1").max(1, "scaled score must be between -1 and 1").optional(),
    raw: z.number().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .superRefine((s, ctx) => {
    if (s.min !== undefined && s.max !== undefined && !(s.min < s.max))
      ctx.addIssue({ code: "custom", message: "min must be less than max", path: ["min"] });
    if (s.raw !== undefined && s.min !== undefined && s.raw < s.min)
      ctx.addIssue({ code: "custom", message: "raw must not be below min", path: ["raw"] });
    if (s.raw !== undefined && s.max !== undefined && s.raw > s.max)
      ctx.addIssue({ code: "custom", message: "raw must not be above max", path: ["raw"] });
  });

const result = z.strictObject({
  score: score.optional(),
  success: z.boolean().optional(),
  completion: z.boolean().optional(),
  response: z.string().optional(),
  duration: z.string().regex(DURATION_RE, "must be an ISO 8601 duration, e.g. PT1.25S").optional(),
  extensions: extensions.optional(),
});

const oneOrManyActivities = z.union([z.array(activity), activity]);

const contextAgent = z.strictObject({
  objectType: z.literal("contextAgent"),
  agent,
  relevantTypes: z.array(iri).min(1, "relevantTypes, when present, must list at least one IRI").optional(),
});

const contextGroup = z.strictObject({
  objectType: z.literal("contextGroup"),
  group,
  relevantTypes: z.array(iri).min(1, "relevantTypes, when present, must list at least one IRI").optional(),
});

const context = z.strictObject({
  registration: uuid.optional(),
  instructor: actor.optional(),
  team: group.optional(),
  contextActivities: z
    .strictObject({
      parent: oneOrManyActivities.optional(),
      grouping: oneOrManyActivities.optional(),
      category: oneOrManyActivities.optional(),
      other: oneOrManyActivities.optional(),
    })
    .optional(),
  contextAgents: z.array(contextAgent).optional(),
  contextGroups: z.array(contextGroup).optional(),
  revision: z.string().optional(),
  platform: z.string().optional(),
  language: z.string().refine(isLanguageTag, "must be an RFC 5646 language tag").optional(),
  statement: statementRef.optional(),
  extensions: extensions.optional(),
});

const attachment = z.strictObject({
  usageType: iri,
  display: languageMap,
  description: languageMap.optional(),
  contentType: z.string().regex(MEDIA_TYPE_RE, "must be an Internet media type, e.g. application/pdf"),
  length: z.number().int("must be a whole number of octets").nonnegative(),
  sha2: z.string().regex(SHA2_HEX_RE, "must be a hex SHA-2 digest"),
  // Bytes are never uploaded to the ledger; an attachment without fileUrl would be a dangling header.
  fileUrl: iri,
});

/** The accepted statement subset. Prefer validateStatement, which adds storability and cross-field checks. */
export const xapiStatementSchema: z.ZodType<XapiStatement> = z.strictObject({
  id: uuid.optional(),
  actor,
  verb,
  object: statementObject,
  result: result.optional(),
  context: context.optional(),
  timestamp,
  stored: timestamp.optional(),
  authority: actor.optional(),
  version: z.string().regex(/^[12]\.0\.\d+$/, "must be an xAPI version 1.0.x or 2.0.x").optional(),
  attachments: z.array(attachment).optional(),
});
