import { CreateApiKeyForm } from "@/components/admin/create-api-key-form";
import { RevokeApiKeyForm } from "@/components/admin/revoke-api-key-form";
import { Badge } from "@/components/ui/badge";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Table, TBody, TD, TH, THead } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import { listApiKeys } from "@/db/queries/api-keys";
import { requirePagePermission } from "@/lib/auth/guard";
import { getRuntime } from "@/lib/server/runtime";
import { API_KEY_SCOPES } from "@/lib/services/api-keys";
import { createApiKeyAction, revokeApiKeyAction } from "./actions";

export const metadata = { title: "API keys" };

const SCOPE_LABELS: Record<(typeof API_KEY_SCOPES)[number], string> = {
  ingest: "Ingest: write decision records",
};

export default async function ApiKeysPage() {
  await requirePagePermission("api_keys.manage");
  const { db } = await getRuntime();
  const keys = await listApiKeys(db);
  return (
    <>
      <PageHeader
        title="API keys"
        description="AI systems write decision records with these keys. Only a fingerprint of each key is stored; a revoked key stays listed as evidence."
      />
      <div className="space-y-6">
        <Card>
          <CardHeader title="Create a key" description="The secret is shown once, right after creation." />
          <CardBody>
            <CreateApiKeyForm action={createApiKeyAction} scopes={API_KEY_SCOPES.map((value) => ({ value, label: SCOPE_LABELS[value] }))} />
          </CardBody>
        </Card>
        <Card>
          <CardHeader title={`All keys (${keys.length})`} />
          {keys.length === 0 ? (
            <EmptyState title="No API keys yet">Create one above for each AI system that writes decision records.</EmptyState>
          ) : (
            <Table caption="API keys">
              <THead>
                <tr>
                  <TH>Owner</TH>
                  <TH>Key starts with</TH>
                  <TH>Scope</TH>
                  <TH>Created</TH>
                  <TH>Last used</TH>
                  <TH>Status</TH>
                  <TH>
                    <span className="sr-only">Actions</span>
                  </TH>
                </tr>
              </THead>
              <TBody>
                {keys.map((k) => (
                  <tr key={k.id} data-testid={`api-key-row-${k.prefix}`}>
                    <TD className="font-medium text-slate-900">{k.owner}</TD>
                    <TD>
                      <code className="font-mono text-xs">{k.prefix}…</code>
                    </TD>
                    <TD>{k.scope}</TD>
                    <TD className="whitespace-nowrap text-slate-600">
                      <Time value={k.createdAt} />
                      <span className="block text-xs text-slate-500">by {k.createdBy}</span>
                    </TD>
                    <TD className="whitespace-nowrap text-slate-600">{k.lastUsedAt ? <Time value={k.lastUsedAt} /> : "Never"}</TD>
                    <TD className="whitespace-nowrap">
                      {k.revokedAt ? (
                        <>
                          <Badge tone="danger">Revoked</Badge>
                          <span className="block text-xs text-slate-500">
                            <Time value={k.revokedAt} />
                          </span>
                        </>
                      ) : (
                        <Badge tone="success">Active</Badge>
                      )}
                    </TD>
                    <TD>{k.revokedAt ? null : <RevokeApiKeyForm action={revokeApiKeyAction} keyId={k.id} label={`the key ${k.prefix}… of ${k.owner}`} />}</TD>
                  </tr>
                ))}
              </TBody>
            </Table>
          )}
        </Card>
      </div>
    </>
  );
}
