import Link from "next/link";
import type { SessionUser } from "@/lib/auth/guard";
import { roleHas } from "@/lib/auth/permissions";
import { getUnacknowledgedFailure } from "@/lib/integrity/failure-banner";
import { getRuntime } from "@/lib/server/runtime";
import { formatUtc } from "@/components/ui/time";

/**
 * Shown on every dashboard page while a failed verification is unacknowledged, to everyone
 * who may see integrity results: a broken chain must not go unnoticed.
 */
export async function IntegrityBanner({ user }: { user: SessionUser }) {
  if (!roleHas(user.role, "integrity.read")) return null;
  const { db } = await getRuntime();
  const failure = await getUnacknowledgedFailure(db);
  if (!failure) return null;
  return (
    <div role="alert" className="border-b border-red-300 bg-red-50">
      <div className="mx-auto flex max-w-7xl flex-wrap items-center justify-between gap-3 px-6 py-3 text-sm text-red-950">
        <p>
          <strong className="font-semibold">Integrity check failed</strong> ({formatUtc(failure.detectedAt)}): {failure.summary}
        </p>
        <Link href="/integrity" className="font-medium text-red-900 underline underline-offset-2 hover:text-red-700">
          See what failed
        </Link>
      </div>
    </div>
  );
}
