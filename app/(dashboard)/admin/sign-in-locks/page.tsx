import { ListCard } from "@/components/admin/erasure-list-card";
import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/ui/page-header";
import { TD } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import { requirePagePermission } from "@/lib/auth/guard";
import { listSignInLocks, SIGN_IN_THROTTLE } from "@/lib/auth/sign-in";
import { getRuntime } from "@/lib/server/runtime";
import { unlockSignInAction } from "./actions";
import { UnlockForm } from "./unlock-form";

export const metadata = { title: "Sign-in locks" };

/** "4 min 10 s" / "35 s": the remaining wait, rounded up to the second. */
function formatWait(ms: number): string {
  const s = Math.ceil(ms / 1000);
  const minutes = Math.floor(s / 60);
  return minutes > 0 ? `${minutes} min ${s % 60} s` : `${s} s`;
}

export default async function SignInLocksPage() {
  await requirePagePermission("users.manage");
  const { db } = await getRuntime();
  const locks = await listSignInLocks(db);
  return (
    <>
      <PageHeader
        title="Sign-in locks"
        description={`Password sign-in backs off per account and address: from ${SIGN_IN_THROTTLE.pairThreshold} failed attempts for one account from one IP, and from ${SIGN_IN_THROTTLE.ipThreshold} from one IP for any accounts. An account is never locked from everywhere. Unlocking is recorded in the access log with your reason.`}
      />
      <ListCard
        title="Refused right now"
        emptyTitle="No account or address is locked"
        caption="Sign-in locks"
        columns={[{ label: "Locked" }, { label: "Failures" }, { label: "Wait" }, { label: "Unlock", hidden: true }]}
        rowCount={locks.length}
      >
        {locks.map((l, i) => (
          <tr key={`${l.kind}:${l.email ?? ""}:${l.ip}`} data-testid={`sign-in-lock-${l.kind}-${l.ip}`}>
            <TD>
              <Badge tone={l.kind === "ip" ? "warning" : "neutral"}>{l.kind === "ip" ? "Address, any account" : "Account from address"}</Badge>
              <span className="block text-sm">{l.email ? `${l.email} from ${l.ip}` : l.ip}</span>
            </TD>
            <TD className="whitespace-nowrap text-slate-600">
              {l.failures}
              <span className="block text-xs text-slate-500">
                last <Time value={l.lastFailureAt} />
              </span>
            </TD>
            <TD className="whitespace-nowrap">{formatWait(l.remainingMs)}</TD>
            <TD>
              <UnlockForm action={unlockSignInAction} account={l.email} ip={l.ip} rowId={`lock-${i}`} />
            </TD>
          </tr>
        ))}
      </ListCard>
    </>
  );
}
