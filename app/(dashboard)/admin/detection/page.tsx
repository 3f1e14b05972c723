import { DetectionSettingsForm } from "@/components/admin/detection-settings-form";
import { Badge } from "@/components/ui/badge";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Time } from "@/components/ui/time";
import { listDetectionSettings, type DetectionSettingRecord } from "@/db/queries/detection-settings";
import { requirePagePermission } from "@/lib/auth/guard";
import { DEFAULT_PERSONAL_DATA_DETECTION_CONFIG, PERSONAL_DATA_KINDS, type PersonalDataKind } from "@/lib/ledger/personal-data-detection/detection-config";
import { getRuntime } from "@/lib/server/runtime";
import { updateDetectionSettingsAction } from "./actions";

export const metadata = { title: "Personal-data detection" };

/** What each recogniser finds, in the words of the admin page. */
const PERSONAL_DATA_KIND_LABELS: Record<PersonalDataKind, string> = {
  iban: "IBAN (checksum)",
  "payment-card": "Payment card number (Luhn)",
  "fr-nir": "French social security number (NIR)",
  "it-codice-fiscale": "Italian codice fiscale",
  "uk-nino": "UK National Insurance number",
  "es-dni": "Spanish DNI / NIE",
  "us-ssn": "US Social Security number",
  "nl-bsn": "Dutch BSN",
  email: "E-mail address",
  ipv6: "IPv6 address",
  ipv4: "IPv4 address",
  phone: "Phone number",
};


function SourceBadge({ setting }: { setting: DetectionSettingRecord }) {
  if (setting.source === "configured") return <Badge tone="info">Configured</Badge>;
  if (setting.source === "invalid") return <Badge tone="warning">Stored settings invalid: every recogniser runs</Badge>;
  return <Badge tone="neutral">Default: every recogniser</Badge>;
}

function SettingCard({ setting }: { setting: DetectionSettingRecord }) {
  const off = PERSONAL_DATA_KINDS.filter((k) => !setting.config.kinds.includes(k));
  return (
    <Card data-testid={`detection-${setting.aiSystem}`}>
      <CardHeader
        title={setting.aiSystem}
        description={
          <>
            {off.length === 0 ? "Every recogniser on." : `Off: ${off.map((k) => PERSONAL_DATA_KIND_LABELS[k]).join(", ")}.`}
            {setting.updatedAt ? (
              <>
                {" "}
                Changed by {setting.updatedBy}, <Time value={setting.updatedAt} />.
              </>
            ) : null}
          </>
        }
        actions={<SourceBadge setting={setting} />}
      />
      <CardBody>
        <DetectionSettingsForm action={updateDetectionSettingsAction} aiSystem={setting.aiSystem} kinds={setting.config.kinds} phoneRegions={setting.config.phoneRegions}
          kindLabels={PERSONAL_DATA_KIND_LABELS}
        />
      </CardBody>
    </Card>
  );
}

/**
 * Personal-data detection per AI system: which recognisers turn identifiers in its free text
 * into commitments at ingest. Lists every AI system that recorded a decision, plus those
 * configured ahead of their first one.
 */
export default async function DetectionSettingsPage() {
  await requirePagePermission("personal_data.configure");
  const { db } = await getRuntime();
  const settings = await listDetectionSettings(db);
  return (
    <>
      <PageHeader
        title="Personal-data detection"
        description="At ingest, identifiers the recognisers find in a decision's free text (reasons, responses, model output) are replaced by commitments before the record is hashed, and their values encrypted. What a recogniser that is off would have found is stored and hashed as written, for good. Changes apply to each system's next statements."
      />
      <div className="space-y-6">
        {settings.length === 0 ? (
          <EmptyState title="No AI system has recorded a decision yet">Systems appear here with their first decision; you can configure one ahead of it below.</EmptyState>
        ) : (
          settings.map((s) => <SettingCard key={s.aiSystem} setting={s} />)
        )}
        <Card>
          <CardHeader title="Another AI system" description="Configure a system before its first decision arrives." />
          <CardBody>
            <DetectionSettingsForm
              action={updateDetectionSettingsAction}
              aiSystem={null}
              kinds={DEFAULT_PERSONAL_DATA_DETECTION_CONFIG.kinds}
              phoneRegions={DEFAULT_PERSONAL_DATA_DETECTION_CONFIG.phoneRegions}
              kindLabels={PERSONAL_DATA_KIND_LABELS}
            />
          </CardBody>
        </Card>
      </div>
    </>
  );
}
