import type { ActionState } from "@/components/admin/action-state";
import { AccessDeniedError } from "@/lib/auth/guard";
import { ServiceInputError } from "@/lib/services/users";

/** A form value as a string, or undefined when absent (zod then names the missing field). */
export function formText(formData: FormData, name: string): string | undefined {
  const value = formData.get(name);
  return typeof value === "string" ? value : undefined;
}

/**
 * Turns the expected failures of an admin action into form state: refused access and bad
 * input are answers for the user, not crashes. Anything else is a real error and rethrown.
 */
export function failureState(error: unknown): ActionState {
  if (error instanceof AccessDeniedError) return { status: "error", message: error.message, fieldErrors: {} };
  if (error instanceof ServiceInputError) return { status: "error", message: error.message, fieldErrors: error.fieldErrors };
  throw error;
}
