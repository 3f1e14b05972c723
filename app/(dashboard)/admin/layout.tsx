import type { ReactNode } from "react";
import { AdminTabs } from "@/components/admin/admin-tabs";
import { requireSignedIn } from "@/lib/auth/guard";
import { roleHas } from "@/lib/auth/permissions";

/** Tabs between the admin areas the role may use; each page checks its own permission. */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const user = await requireSignedIn();
  const tabs = [
    roleHas(user.role, "users.manage") ? { href: "/admin/users", label: "Users" } : null,
    roleHas(user.role, "api_keys.manage") ? { href: "/admin/api-keys", label: "API keys" } : null,
  ].filter((t): t is { href: string; label: string } => t !== null);
  return (
    <div>
      {tabs.length > 0 ? <AdminTabs tabs={tabs} /> : null}
      {children}
    </div>
  );
}
