/**
 * Which personal-data recognisers run for one AI system, and how phone numbers written in
 * national form are read. Stored per AI system; `{}` (or no configuration) means every
 * recogniser on, so a system that never configured anything gets the strictest detection.
 */
import { isSupportedCountry, type CountryCode } from "libphonenumber-js/max";
import { z } from "zod";

/**
 * Every kind of identifier detected in free text, MOST SPECIFIC FIRST: when two recognisers
 * claim spans of the same length, the earlier kind wins (a checksummed IBAN or card number
 * beats a phone number that happens to cover the same digits). Longer spans always win first.
 */
export const PERSONAL_DATA_KINDS = [
  "iban",
  "payment-card",
  "fr-nir",
  "it-codice-fiscale",
  "uk-nino",
  "es-dni",
  "us-ssn",
  "nl-bsn",
  "email",
  "ipv6",
  "ipv4",
  "phone",
] as const;

export type PersonalDataKind = (typeof PERSONAL_DATA_KINDS)[number];

/**
 * Regions whose national phone formats ("06-12345678", "(212) 555-0147", "030 901820") are
 * recognised by default: the countries whose national identifiers are recognised too, plus
 * Germany and Belgium. Numbers in international form (+44 …) are recognised for every region.
 */
export const DEFAULT_PHONE_REGIONS = ["US", "GB", "NL", "DE", "FR", "ES", "IT", "BE"] as const satisfies readonly CountryCode[];

export interface PersonalDataDetectionConfig {
  /** The recognisers that run; the others find nothing. */
  readonly kinds: readonly PersonalDataKind[];
  /** ISO 3166-1 alpha-2 regions whose national phone formats are recognised (any region for +… numbers). */
  readonly phoneRegions: readonly CountryCode[];
}

export const DEFAULT_PERSONAL_DATA_DETECTION_CONFIG: PersonalDataDetectionConfig = Object.freeze({
  kinds: Object.freeze([...PERSONAL_DATA_KINDS]),
  phoneRegions: Object.freeze([...DEFAULT_PHONE_REGIONS]),
});

const phoneRegion = z.custom<CountryCode>((value) => typeof value === "string" && isSupportedCountry(value), {
  message: "not a region with phone metadata (ISO 3166-1 alpha-2, upper case, e.g. NL)",
});

/** Lists are sets: duplicates are dropped and kinds are kept in catalogue (precedence) order. */
export const personalDataDetectionConfigSchema = z.strictObject({
  kinds: z
    .array(z.enum(PERSONAL_DATA_KINDS))
    .transform((kinds) => PERSONAL_DATA_KINDS.filter((kind) => kinds.includes(kind)))
    .default([...PERSONAL_DATA_KINDS]),
  phoneRegions: z
    .array(phoneRegion)
    .transform((regions) => [...new Set(regions)])
    .default([...DEFAULT_PHONE_REGIONS]),
});

/** The configuration of one AI system, with defaults for what it leaves out (throws a ZodError when invalid). */
export function parsePersonalDataDetectionConfig(input: unknown): PersonalDataDetectionConfig {
  return personalDataDetectionConfigSchema.parse(input ?? {});
}
