import type { Permission } from "@/lib/auth/permissions";

/** The admin areas, in tab order, each with the permission its page checks (lib/auth/route-rules.ts). */
export const ADMIN_AREAS: readonly { href: string; label: string; permission: Permission }[] = [
  { href: "/admin/users", label: "Users", permission: "users.manage" },
  { href: "/admin/api-keys", label: "API keys", permission: "api_keys.manage" },
  { href: "/admin/sign-in-locks", label: "Sign-in locks", permission: "users.manage" },
  { href: "/admin/erasure", label: "Erasure", permission: "personal_data.erase" },
  { href: "/admin/legal-holds", label: "Legal holds", permission: "legal_holds.manage" },
  { href: "/admin/detection", label: "Detection", permission: "personal_data.configure" },
];
