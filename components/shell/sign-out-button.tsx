"use client";

import { signOut } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState } from "react";

/**
 * Clears the session cookie and goes to the sign-in page. next-auth revokes the server-side
 * session and writes the sign-out to the access log (events.signOut). We navigate ourselves:
 * next-auth's own redirect is absolute and needs NEXTAUTH_URL to be right.
 */
export function useSignOut(): { pending: boolean; signOutNow: () => Promise<void> } {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const signOutNow = async () => {
    setPending(true);
    await signOut({ redirect: false });
    router.replace("/sign-in?signedOut=1");
    router.refresh();
  };
  return { pending, signOutNow };
}

export function SignOutButton() {
  const { pending, signOutNow } = useSignOut();
  return (
    <button
      type="button"
      disabled={pending}
      onClick={signOutNow}
      className="rounded-md border border-slate-600 px-3 py-1.5 text-sm font-medium text-slate-100 hover:bg-slate-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-400 disabled:opacity-60"
    >
      {pending ? "Signing out…" : "Sign out"}
    </button>
  );
}
