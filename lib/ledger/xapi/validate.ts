/**
 * Validation of untrusted input as a Decision Ledger statement: storability first
 * (json-value.ts), then the schema (schema.ts), then rules that span properties. Every
 * error names an RFC 6901 pointer into the input.
 */
import type { z } from "zod";
import { getAtPath, toJsonPointer, type FieldError } from "../json-pointer";
import { scanUnstorable } from "../json-value";
import { xapiStatementSchema } from "./schema";
import type { XapiStatement } from "./types";

export type ValidationResult = { ok: true; statement: XapiStatement } | { ok: false; errors: FieldError[] };

type Issue = z.core.$ZodIssue;
type Path = (string | number)[];

const OBJECT_TYPES_HINT: Record<string, string> = {
  "/actor": "Agent or Group",
  "/authority": "Agent or Group",
  "/context/instructor": "Agent or Group",
  "/object": "Activity (default), Agent, Group or StatementRef",
};

function customMessage(iss: z.core.$ZodRawIssue): string | undefined {
  if (iss.code === "invalid_type" && iss.input === undefined) return "required property is missing";
  if (iss.code === "invalid_type" && iss.input === null) return `null is not allowed here (expected ${String(iss.expected)})`;
  return undefined;
}

function issuesToErrors(issues: readonly Issue[], base: Path, input: unknown, out: FieldError[]): void {
  for (const iss of issues) {
    const path: Path = [...base, ...(iss.path.filter((p) => typeof p !== "symbol") as Path)];
    switch (iss.code) {
      case "unrecognized_keys":
        for (const k of iss.keys)
          out.push({ pointer: toJsonPointer([...path, k]), message: `unknown property "${k}" (not allowed by xAPI here)` });
        break;
      case "invalid_union": {
        if (iss.errors.length === 0) {
          // Discriminator mismatch: the pointer names objectType itself.
          const ownerPath = path.slice(0, -1);
          const value = getAtPath(input, path);
          const hint = OBJECT_TYPES_HINT[toJsonPointer(ownerPath).replace(/\/\d+$/, "")] ?? "a supported objectType";
          out.push({
            pointer: toJsonPointer(path),
            message:
              value === "SubStatement"
                ? "SubStatement objects are not accepted by Decision Ledger (record the event as its own statement and use StatementRef)"
                : `objectType ${JSON.stringify(value)} is not accepted here; expected ${hint}`,
          });
          break;
        }
        // One branch per alternative; report the branch that got furthest (one that did
        // not fail on the value's basic type), e.g. "array of activities" vs "activity".
        const branches = iss.errors.filter((b) => !b.some((e) => e.code === "invalid_type" && e.path.length === 0));
        issuesToErrors(branches[0] ?? iss.errors[0]!, path, input, out);
        break;
      }
      case "invalid_key": {
        const inner = iss.issues[0]?.message ?? "invalid key";
        out.push({ pointer: toJsonPointer(path), message: inner });
        break;
      }
      default:
        out.push({ pointer: toJsonPointer(path), message: iss.message });
    }
  }
}

/** Rules that span properties; only run on a statement that passed the schema. */
function crossFieldErrors(s: XapiStatement): FieldError[] {
  const errors: FieldError[] = [];
  const objectIsActivity = s.object.objectType === undefined || s.object.objectType === "Activity";
  if (!objectIsActivity && s.context?.revision !== undefined)
    errors.push({ pointer: "/context/revision", message: "revision may only be used when the object is an Activity" });
  if (!objectIsActivity && s.context?.platform !== undefined)
    errors.push({ pointer: "/context/platform", message: "platform may only be used when the object is an Activity" });
  if (s.verb.id === "http://adlnet.gov/expapi/verbs/voided" && s.object.objectType !== "StatementRef")
    errors.push({ pointer: "/object", message: "a voiding statement's object must be a StatementRef" });
  return errors;
}

/**
 * Validates an untrusted value as a Decision Ledger statement. Never throws. Every error
 * names an RFC 6901 pointer into the input. Unstorable values (NaN, lone surrogates, ...)
 * are reported first; a too-deep (possibly cyclic) value stops validation there.
 */
export function validateStatement(input: unknown): ValidationResult {
  try {
    const found = scanUnstorable(input);
    const unstorable: FieldError | null = found && { pointer: found.pointer, message: found.message };
    // Too deep may mean cyclic: nothing else may walk it.
    if (found?.tooDeep) return { ok: false, errors: [unstorable!] };
    const parsed = xapiStatementSchema.safeParse(input, { error: customMessage });
    const errors: FieldError[] = [];
    if (!parsed.success) issuesToErrors(parsed.error.issues, [], input, errors);
    else errors.push(...crossFieldErrors(parsed.data));
    if (unstorable) {
      // The storability message is the precise one; schema complaints about the same value
      // (e.g. "expected number" for NaN) would only repeat it.
      const shadowed = (e: FieldError) => e.pointer === unstorable.pointer || e.pointer.startsWith(unstorable.pointer + "/");
      return { ok: false, errors: [unstorable, ...dedupe(errors.filter((e) => !shadowed(e)))] };
    }
    if (errors.length > 0) return { ok: false, errors: dedupe(errors) };
    return { ok: true, statement: parsed.data! };
  } catch (e) {
    // Hostile inputs (throwing getters, proxies) must not escape as exceptions.
    return { ok: false, errors: [{ pointer: "", message: `statement could not be read: ${e instanceof Error ? e.message : String(e)}` }] };
  }
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.pointer}\u0000${e.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}
