"use client";

import { signOut } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState } from "react";

export function SignOutButton() {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  return (
    <button
      type="button"
      disabled={pending}
      onClick={async () => {
        setPending(true);
        // next-auth writes the sign-out to the access log (events.signOut) and clears the cookie.
        // We navigate ourselves: next-auth's own redirect is absolute and needs NEXTAUTH_URL to be right.
        await signOut({ redirect: false });
        router.replace("/sign-in?signedOut=1");
        router.refresh();
      }}
      className="rounded-md border border-slate-600 px-3 py-1.5 text-sm font-medium text-slate-100 hover:bg-slate-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-400 disabled:opacity-60"
    >
      {pending ? "Signing out…" : "Sign out"}
    </button>
  );
}
