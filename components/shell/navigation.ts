import { ADMIN_AREAS } from "@/components/admin/admin-areas";
import { roleHas, type Permission, type Role } from "@/lib/auth/permissions";

export interface NavItem {
  href: string;
  label: string;
  /** Shown when the role has any of these. The pages check again on every request. */
  anyOf: Permission[];
}

export const NAV_ITEMS: NavItem[] = [
  { href: "/decisions", label: "Decisions", anyOf: ["decisions.read"] },
  { href: "/integrity", label: "Integrity", anyOf: ["integrity.read"] },
  { href: "/exports", label: "Exports", anyOf: ["evidence.export"] },
  { href: "/access-log", label: "Access log", anyOf: ["access_log.read"] },
  { href: "/admin", label: "Admin", anyOf: ADMIN_AREAS.map((area) => area.permission) },
];

/** The items the role may use; "Admin" leads to the first admin area the role has (its index page needs users.manage). */
export function navigationFor(role: Role): NavItem[] {
  return NAV_ITEMS.filter((item) => item.anyOf.some((p) => roleHas(role, p))).map((item) =>
    item.href === "/admin" && !roleHas(role, "users.manage") ? { ...item, href: ADMIN_AREAS.find((area) => roleHas(role, area.permission))!.href } : item,
  );
}
