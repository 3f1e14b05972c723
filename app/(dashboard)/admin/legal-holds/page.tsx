import { ConfirmIdForm } from "@/components/admin/erasure-confirm-form";
import { SubjectReasonCard } from "@/components/admin/erasure-subject-form";
import { Badge } from "@/components/ui/badge";
import { ListCard } from "@/components/admin/erasure-list-card";
import { PageHeader } from "@/components/ui/page-header";
import { TD } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import { listLegalHolds } from "@/db/queries/legal-holds";
import { requirePagePermission } from "@/lib/auth/guard";
import { getRuntime } from "@/lib/server/runtime";
import { placeLegalHoldAction, releaseLegalHoldAction } from "./actions";

export const metadata = { title: "Legal holds" };

export default async function LegalHoldsPage() {
  await requirePagePermission("legal_holds.manage");
  const { db } = await getRuntime();
  const holds = await listLegalHolds(db);
  return (
    <>
      <PageHeader
        title="Legal holds"
        description="While a hold covers a data subject, their personal data cannot be erased. Holds cover data subjects today; holds by case, entity, AI system or time range come with the retention work."
      />
      <div className="space-y-6">
        <SubjectReasonCard
          title="Place a hold"
          description="The subject id is turned into blind indexes at once; holds are listed by id and reason, never by subject."
          action={placeLegalHoldAction}
          idPrefix="legal-hold"
          label="Place a legal hold"
          submitLabel="Place hold"
          pendingLabel="Placing…"
          reasonHint="The case, matter or authority. Stored in clear and in the access log: leave the subject id out."
        />
        <ListCard
          title="All holds"
          emptyTitle="No legal holds"
          caption="Legal holds"
          columns={[{ label: "Hold" }, { label: "Placed" }, { label: "Status" }, { label: "Actions", hidden: true }]}
          rowCount={holds.length}
        >
          {holds.map((h) => (
            <tr key={h.id} data-testid={`legal-hold-row-${h.id}`}>
              <TD>
                <code className="font-mono text-xs">{h.id}</code>
                <span className="block text-xs text-slate-500">{h.reason}</span>
              </TD>
              <TD className="whitespace-nowrap text-slate-600">
                <Time value={h.placedAt} />
                <span className="block text-xs text-slate-500">by {h.placedBy}</span>
              </TD>
              <TD className="whitespace-nowrap">
                {h.releasedAt ? (
                  <>
                    <Badge tone="neutral">Released</Badge>
                    <span className="block text-xs text-slate-500">
                      <Time value={h.releasedAt} /> by {h.releasedBy}
                    </span>
                  </>
                ) : (
                  <Badge tone="warning">Active</Badge>
                )}
              </TD>
              <TD>
                {h.releasedAt ? null : (
                  <ConfirmIdForm
                    action={releaseLegalHoldAction}
                    id={h.id}
                    label="Release"
                    pendingLabel="Releasing…"
                    confirmText="Release this legal hold? The subject can then be erased."
                  />
                )}
              </TD>
            </tr>
          ))}
        </ListCard>
      </div>
    </>
  );
}
