/**
 * The one permission catalogue. Every page, route handler and server action names the
 * permission it needs; what is not granted here is denied. Plain TS, shared with the client
 * (to hide navigation the role cannot use; the server still checks every request).
 */
export const ROLES = ["admin", "compliance_officer", "incident_reviewer", "auditor"] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  admin: "Administrator",
  compliance_officer: "Compliance officer",
  incident_reviewer: "Incident reviewer",
  auditor: "Auditor (read-only)",
};

export const PERMISSIONS = {
  "decisions.read": "Search and view decision records",
  "decisions.reveal_personal_data": "Reveal personal data in a decision, with a logged reason",
  "evidence.export": "Export evidence bundles",
  "evidence.export_personal_data": "Include personal data (the openings) in an evidence bundle, with a logged reason",
  "personal_data.search": "Find the decisions about a person by an exact identifier (blind index)",
  "personal_data.erase": "Request or approve the erasure of a data subject's personal data (four eyes: two admins)",
  "personal_data.configure": "Configure personal-data detection per AI system",
  "legal_holds.manage": "Place and release legal holds",
  "integrity.read": "See checkpoints, verification runs and the verifier key",
  "integrity.verify": "Start a verification of the ledger",
  "integrity.acknowledge": "Acknowledge a failed verification",
  "access_log.read": "Read the access log",
  "users.manage": "Create users, change roles, deactivate users",
  "api_keys.manage": "Create and revoke ingest API keys",
  "account.sessions": "See and end your own sessions (sign out everywhere)",
} as const;
export type Permission = keyof typeof PERMISSIONS;

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: [
    "decisions.read",
    "decisions.reveal_personal_data",
    "evidence.export",
    "evidence.export_personal_data",
    "personal_data.search",
    "personal_data.erase",
    "personal_data.configure",
    "legal_holds.manage",
    "integrity.read",
    "integrity.verify",
    "integrity.acknowledge",
    "access_log.read",
    "users.manage",
    "api_keys.manage",
    "account.sessions",
  ],
  compliance_officer: [
    "decisions.read",
    "decisions.reveal_personal_data",
    "evidence.export",
    "evidence.export_personal_data",
    "personal_data.search",
    "legal_holds.manage",
    "integrity.read",
    "integrity.verify",
    "access_log.read",
    "account.sessions",
  ],
  incident_reviewer: ["decisions.read", "evidence.export", "integrity.read", "integrity.verify", "account.sessions"],
  // External reviewers: read-only, personal data stays masked, may re-run verification.
  auditor: ["decisions.read", "evidence.export", "integrity.read", "integrity.verify", "account.sessions"],
};

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** Deny by default: unknown roles and unknown permissions are refused. */
export function roleHas(role: string | null | undefined, permission: Permission): boolean {
  if (!isRole(role)) return false;
  return GRANTS[role].includes(permission);
}

export function permissionsOf(role: Role): readonly Permission[] {
  return GRANTS[role];
}
