import type { ReactNode } from "react";
import { ADMIN_AREAS } from "@/components/admin/admin-areas";
import { AdminTabs } from "@/components/admin/admin-tabs";
import { requireSignedIn } from "@/lib/auth/guard";
import { roleHas } from "@/lib/auth/permissions";

/** Tabs between the admin areas the role may use; each page checks its own permission. */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const user = await requireSignedIn();
  const tabs = ADMIN_AREAS.filter((area) => roleHas(user.role, area.permission));
  return (
    <div>
      {tabs.length > 0 ? <AdminTabs tabs={tabs} /> : null}
      {children}
    </div>
  );
}
