import Image from "next/image";
import Link from "next/link";
import type { ReactNode } from "react";
import { IntegrityBanner } from "@/components/shell/integrity-banner";
import { NavLinks } from "@/components/shell/nav-links";
import { navigationFor } from "@/components/shell/navigation";
import { SignOutButton } from "@/components/shell/sign-out-button";
import { requireSignedIn } from "@/lib/auth/guard";
import { ROLE_LABELS } from "@/lib/auth/permissions";

/**
 * The signed-in shell. Requires a session (anonymous visitors are sent to sign in); each
 * page still checks its own permission. Navigation shows only what the role may use.
 */
export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const user = await requireSignedIn();
  const items = navigationFor(user.role).map(({ href, label }) => ({ href, label }));
  return (
    <div className="flex min-h-screen flex-col">
      <a
        href="#main"
        className="sr-only z-50 rounded-md bg-white px-3 py-2 text-sm font-medium text-slate-900 focus:not-sr-only focus:absolute focus:top-2 focus:left-2"
      >
        Skip to main content
      </a>
      <header className="bg-slate-900 text-white">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-3 px-6 py-3">
          <Link href="/" prefetch={false} className="flex items-center gap-2 font-semibold tracking-tight text-white">
            <Image src="/logo.svg" alt="" width={28} height={28} unoptimized />
            <span>Decision Ledger</span>
          </Link>
          <nav aria-label="Main" className="flex-1">
            <NavLinks items={items} />
          </nav>
          <div className="flex items-center gap-3">
            <div className="text-right leading-tight">
              <p className="text-sm font-medium" data-testid="signed-in-user">
                <Link href="/account" prefetch={false} className="text-white hover:underline" title="Your account and sessions">
                  {user.name}
                </Link>
              </p>
              <p className="text-xs text-slate-300" data-testid="signed-in-role">
                {ROLE_LABELS[user.role]}
              </p>
            </div>
            <SignOutButton />
          </div>
        </div>
      </header>
      <IntegrityBanner user={user} />
      <main id="main" className="mx-auto w-full max-w-7xl flex-1 px-6 py-8">
        {children}
      </main>
    </div>
  );
}
