import { ConfirmIdForm } from "@/components/admin/erasure-confirm-form";
import { SubjectReasonCard } from "@/components/admin/erasure-subject-form";
import { Badge } from "@/components/ui/badge";
import { buttonClasses } from "@/components/ui/button";
import { ListCard } from "@/components/admin/erasure-list-card";
import { PageHeader } from "@/components/ui/page-header";
import { TD } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import { listErasureRequests, type ErasureRequestRecord } from "@/db/queries/erasure-requests";
import { normalizeEmail } from "@/db/queries/users";
import { requirePagePermission } from "@/lib/auth/guard";
import { getRuntime } from "@/lib/server/runtime";
import { approveErasureAction, rejectErasureAction, requestErasureAction } from "./actions";

export const metadata = { title: "Erasure" };

function RequestCell({ request }: { request: ErasureRequestRecord }) {
  return (
    <TD>
      <code className="font-mono text-xs">{request.id}</code>
      <span className="block text-xs text-slate-500">{request.reason}</span>
    </TD>
  );
}

function Requested({ request }: { request: ErasureRequestRecord }) {
  return (
    <TD className="whitespace-nowrap text-slate-600">
      <Time value={request.requestedAt} />
      <span className="block text-xs text-slate-500">by {request.requestedBy}</span>
    </TD>
  );
}

function PendingActions({ request, me }: { request: ErasureRequestRecord; me: string }) {
  if (normalizeEmail(request.requestedBy) === normalizeEmail(me)) {
    return (
      <div className="space-y-2">
        <p className="text-sm text-slate-600">Waiting for a second admin</p>
        <ConfirmIdForm action={rejectErasureAction} id={request.id} label="Withdraw" pendingLabel="Withdrawing…" confirmText="Withdraw your erasure request?" variant="ghost" />
      </div>
    );
  }
  return (
    <div className="flex flex-wrap gap-2">
      <ConfirmIdForm
        action={approveErasureAction}
        id={request.id}
        label="Approve and erase"
        pendingLabel="Erasing…"
        confirmText="Erase this subject's personal data? Their data keys are destroyed: the values can never be read again. This cannot be undone."
        variant="danger"
      />
      <ConfirmIdForm action={rejectErasureAction} id={request.id} label="Reject" pendingLabel="Rejecting…" confirmText="Reject this erasure request? Nothing is erased." />
    </div>
  );
}

function receiptHref(receipt: string): string {
  return `data:text/plain;charset=utf-8,${encodeURIComponent(receipt)}`;
}

function DecidedRow({ request }: { request: ErasureRequestRecord }) {
  const completed = request.status === "completed";
  return (
    <tr data-testid={`erasure-row-${request.id}`}>
      <RequestCell request={request} />
      <Requested request={request} />
      <TD className="whitespace-nowrap">
        <Badge tone={completed ? "success" : "neutral"}>{completed ? "Erased" : "Rejected"}</Badge>
        <span className="block text-xs text-slate-500">
          {request.decidedAt ? <Time value={request.decidedAt} /> : null} by {request.decidedBy}
        </span>
      </TD>
      <TD className="whitespace-nowrap">
        {completed ? `${request.valuesUnreadable} value(s) in ${request.recordsAffected} record(s); ${request.keysErased} key(s)` : "Nothing erased"}
      </TD>
      <TD>
        {request.receipt ? (
          <a className={buttonClasses("secondary", "sm")} href={receiptHref(request.receipt)} download={`erasure-receipt-${request.id}.txt`}>
            Download receipt
          </a>
        ) : null}
      </TD>
    </tr>
  );
}

export default async function ErasurePage() {
  const me = await requirePagePermission("personal_data.erase");
  const { db } = await getRuntime();
  const requests = await listErasureRequests(db);
  const pending = requests.filter((r) => r.status === "pending");
  const decided = requests.filter((r) => r.status !== "pending");
  return (
    <>
      <PageHeader
        title="Erasure"
        description="Erase a data subject's personal data (GDPR Art. 17): one admin requests, a second admin approves. Approval destroys the subject's data keys; the records and the hash chain stay intact and keep verifying. Refused while a legal hold covers the subject."
      />
      <div className="space-y-6">
        <SubjectReasonCard
          title="Request an erasure"
          description="The subject id is turned into blind indexes at once; it is not stored and not shown again."
          action={requestErasureAction}
          idPrefix="erasure"
          label="Request an erasure"
          submitLabel="Request erasure"
          pendingLabel="Requesting…"
          reasonHint="The ticket or legal basis. Stored in clear and in the access log: leave the subject id out."
        />
        <ListCard
          title="Waiting for approval"
          emptyTitle="No pending requests"
          caption="Pending erasure requests"
          columns={[{ label: "Request" }, { label: "Requested" }, { label: "Actions", hidden: true }]}
          rowCount={pending.length}
        >
          {pending.map((r) => (
            <tr key={r.id} data-testid={`erasure-row-${r.id}`}>
              <RequestCell request={r} />
              <Requested request={r} />
              <TD>
                <PendingActions request={r} me={me.email} />
              </TD>
            </tr>
          ))}
        </ListCard>
        <ListCard
          title="Decided"
          description="Each completed erasure has a receipt signed with the ledger's checkpoint key; check it with the verifier key."
          emptyTitle="No erasure has been decided yet"
          caption="Decided erasure requests"
          columns={[{ label: "Request" }, { label: "Requested" }, { label: "Decision" }, { label: "Unreadable" }, { label: "Receipt", hidden: true }]}
          rowCount={decided.length}
        >
          {decided.map((r) => (
            <DecidedRow key={r.id} request={r} />
          ))}
        </ListCard>
      </div>
    </>
  );
}
