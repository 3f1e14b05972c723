/** What an integrity server action reports back to its form (client-safe). */
export type IntegrityActionState =
  | { status: "idle" }
  | { status: "error"; message: string; fieldErrors: Record<string, string[]> }
  | { status: "success"; message: string; runId: string };

export const IDLE_STATE: IntegrityActionState = { status: "idle" };

export function fieldErrors(state: IntegrityActionState, field: string): string[] | undefined {
  return state.status === "error" ? state.fieldErrors[field] : undefined;
}
