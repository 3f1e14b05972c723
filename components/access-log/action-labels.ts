import type { AccessAction } from "@/lib/ledger-store/append-access-event";

/** Plain-language names of access-log actions (the raw name is shown for any not listed). */
export const ACTION_LABELS: Partial<Record<AccessAction, string>> = {
  "auth.sign_in": "Signed in",
  "auth.sign_in_failed": "Sign-in failed",
  "auth.sign_out": "Signed out",
  "auth.sessions_revoked": "Ended sessions",
  "auth.sign_in_unlocked": "Unlocked sign-in",
  "decisions.search": "Searched decisions",
  "decisions.view": "Viewed a decision",
  "decisions.reveal_personal_data": "Revealed personal data",
  "evidence.export": "Exported evidence",
  "integrity.verify": "Ran a verification",
  "integrity.acknowledge_failure": "Acknowledged a failed verification",
  "access_log.search": "Viewed the access log",
  "users.create": "Added a user",
  "users.update": "Changed a user",
  "api_keys.create": "Created an API key",
  "api_keys.revoke": "Revoked an API key",
  "checkpoint.create": "Signed a checkpoint",
  "personal_data.rotate_kek": "Rotated the personal-data key-encryption key",
  "personal_data.detection_update": "Changed personal-data detection",
  "personal_data.erasure_request": "Requested the erasure of a data subject",
  "personal_data.erasure_approve": "Approved an erasure (data keys destroyed)",
  "personal_data.erasure_reject": "Rejected an erasure request",
  "legal_holds.place": "Placed a legal hold",
  "legal_holds.release": "Released a legal hold",
};

export function actionLabel(action: string): string {
  return ACTION_LABELS[action as AccessAction] ?? action;
}
