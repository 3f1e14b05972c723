import { redirect } from "next/navigation";
import { getSessionUser } from "@/lib/auth/guard";
import { navigationFor } from "@/components/shell/navigation";

/** The front door: signed-in users go to the first area their role may use, others sign in. */
export default async function Home() {
  const user = await getSessionUser();
  if (!user) redirect("/sign-in");
  redirect(navigationFor(user.role)[0]?.href ?? "/sign-in");
}
