import Link from "next/link";
import { buttonClasses } from "@/components/ui/button";
import { getDeniedPermission, getSessionUser } from "@/lib/auth/guard";
import { PERMISSIONS, ROLE_LABELS } from "@/lib/auth/permissions";

/** The 403 explanation in plain words: which permission was missing and what the role is. */
export async function ForbiddenMessage() {
  const permission = getDeniedPermission();
  const user = await getSessionUser();
  return (
    <div className="max-w-2xl space-y-4">
      <p className="text-sm font-semibold text-slate-500">403 · Access denied</p>
      <h1 className="text-2xl font-semibold text-slate-900">Your role does not include this page</h1>
      {permission ? (
        <p className="text-slate-700">
          This page needs the permission <strong className="font-semibold">“{PERMISSIONS[permission]}”</strong>{" "}
          <code className="rounded bg-slate-100 px-1 py-0.5 text-xs text-slate-700">{permission}</code>
          {user ? (
            <>
              , which the role <strong className="font-semibold">{ROLE_LABELS[user.role]}</strong> does not have.
            </>
          ) : (
            "."
          )}
        </p>
      ) : (
        <p className="text-slate-700">Your role does not have the permission this page needs.</p>
      )}
      <p className="text-slate-700">If you need it for your work, ask an administrator to change your role.</p>
      <Link href="/" className={buttonClasses("secondary")}>
        Back to the dashboard
      </Link>
    </div>
  );
}
