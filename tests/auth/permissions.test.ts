import { describe, expect, test } from "vitest";
import { isRole, PERMISSIONS, permissionsOf, ROLE_LABELS, roleHas, ROLES, type Permission } from "@/lib/auth/permissions";

const ALL = Object.keys(PERMISSIONS) as Permission[];

describe("permission catalogue", () => {
  test("deny by default: unknown, empty or missing roles have nothing", () => {
    for (const role of [null, undefined, "", "root", "ADMIN", "admin ", "__proto__", "constructor"]) {
      for (const p of ALL) expect(roleHas(role, p), `${String(role)} / ${p}`).toBe(false);
    }
  });

  test("unknown permissions are refused even for admin", () => {
    expect(roleHas("admin", "decisions.delete" as Permission)).toBe(false);
    expect(roleHas("admin", "toString" as Permission)).toBe(false);
  });

  test("every role has a label and only grants permissions of the catalogue", () => {
    for (const role of ROLES) {
      expect(ROLE_LABELS[role]).toBeTruthy();
      for (const p of permissionsOf(role)) expect(ALL).toContain(p);
      expect(isRole(role)).toBe(true);
    }
  });

  test("admin has every permission", () => {
    for (const p of ALL) expect(roleHas("admin", p)).toBe(true);
  });

  test("auditor is read-only: no reveal, no admin, no access log, no acknowledgement", () => {
    expect(roleHas("auditor", "decisions.read")).toBe(true);
    expect(roleHas("auditor", "integrity.read")).toBe(true);
    for (const p of ["decisions.reveal_personal_data", "users.manage", "api_keys.manage", "access_log.read", "integrity.acknowledge"] as const) {
      expect(roleHas("auditor", p), p).toBe(false);
    }
  });

  test("only administrators manage users and API keys", () => {
    for (const role of ROLES) {
      expect(roleHas(role, "users.manage")).toBe(role === "admin");
      expect(roleHas(role, "api_keys.manage")).toBe(role === "admin");
    }
  });

  test("compliance officers may reveal personal data and read the access log; incident reviewers may not", () => {
    expect(roleHas("compliance_officer", "decisions.reveal_personal_data")).toBe(true);
    expect(roleHas("compliance_officer", "access_log.read")).toBe(true);
    expect(roleHas("incident_reviewer", "decisions.reveal_personal_data")).toBe(false);
    expect(roleHas("incident_reviewer", "access_log.read")).toBe(false);
  });

  test("every role can read decisions and integrity (the dashboard has a landing page for all)", () => {
    for (const role of ROLES) {
      expect(roleHas(role, "decisions.read")).toBe(true);
      expect(roleHas(role, "integrity.read")).toBe(true);
    }
  });
});
