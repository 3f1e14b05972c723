/** What an admin server action reports back to its form (client-safe). */
export type ActionState =
  | { status: "idle" }
  | { status: "error"; message: string; fieldErrors: Record<string, string[]> }
  | {
      status: "success";
      message: string;
      /** A password or API key secret to show exactly once. */
      secret?: { label: string; value: string };
    };

export const IDLE: ActionState = { status: "idle" };

export function fieldError(state: ActionState, field: string): string[] | undefined {
  return state.status === "error" ? state.fieldErrors[field] : undefined;
}
