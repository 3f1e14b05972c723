import { redirect } from "next/navigation";
import { requirePagePermission, requireSignedIn } from "@/lib/auth/guard";
import { roleHas } from "@/lib/auth/permissions";

/** Admin landing: the first admin area the role may use. */
export default async function AdminIndex() {
  const user = await requireSignedIn();
  if (roleHas(user.role, "api_keys.manage") && !roleHas(user.role, "users.manage")) redirect("/admin/api-keys");
  await requirePagePermission("users.manage");
  redirect("/admin/users");
}
