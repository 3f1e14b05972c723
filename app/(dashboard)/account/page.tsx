import { ConfirmActionForm } from "@/components/account/confirm-action-form";
import { SignOutEverywhereForm } from "@/components/account/sign-out-everywhere-form";
import { Badge } from "@/components/ui/badge";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Table, TBody, TD, TH, THead } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import { listUserSessions } from "@/db/queries/user-sessions";
import { requirePagePermission } from "@/lib/auth/guard";
import { ROLE_LABELS } from "@/lib/auth/permissions";
import { getRuntime } from "@/lib/server/runtime";
import { endOwnSessionAction, signOutEverywhereAction } from "./actions";

export const metadata = { title: "Your account" };

/** The signed-in user's own sessions: where they are signed in, and ending them. */
export default async function AccountPage() {
  const me = await requirePagePermission("account.sessions");
  const { db } = await getRuntime();
  const sessions = await listUserSessions(db, { userId: me.id, activeOnly: true });
  return (
    <>
      <PageHeader title="Your account" description={`${me.name} (${me.email}), ${ROLE_LABELS[me.role]}.`} />
      <div className="space-y-6">
        <Card>
          <CardHeader
            title={`Active sessions (${sessions.length})`}
            description="Every browser where you are signed in. Ending a session signs that browser out on its next request."
          />
          <Table caption="Active sessions">
            <THead>
              <tr>
                <TH>Signed in</TH>
                <TH>Last active</TH>
                <TH>IP address</TH>
                <TH>Browser</TH>
                <TH>
                  <span className="sr-only">Actions</span>
                </TH>
              </tr>
            </THead>
            <TBody>
              {sessions.map((s) => (
                <tr key={s.id} data-testid="session-row" data-current={s.id === me.sessionId ? "true" : undefined}>
                  <TD className="whitespace-nowrap text-slate-600">
                    <Time value={s.createdAt} />
                  </TD>
                  <TD className="whitespace-nowrap text-slate-600">
                    <Time value={s.lastSeenAt} />
                  </TD>
                  <TD className="font-mono text-xs text-slate-600">{s.ip ?? "—"}</TD>
                  <TD className="max-w-md truncate text-slate-600" title={s.userAgent ?? undefined}>
                    {s.userAgent ?? "—"}
                  </TD>
                  <TD>
                    {s.id === me.sessionId ? (
                      <Badge tone="info">This session</Badge>
                    ) : (
                      <ConfirmActionForm
                        action={endOwnSessionAction}
                        fields={{ id: s.id }}
                        confirm="End this session? That browser will have to sign in again."
                        label="End"
                        pendingLabel="Ending…"
                        ariaLabel={`End the session signed in at ${s.createdAt.toISOString()}`}
                      />
                    )}
                  </TD>
                </tr>
              ))}
            </TBody>
          </Table>
        </Card>
        <Card>
          <CardHeader
            title="Sign out everywhere"
            description="Ends all your sessions, this one included: use it when you have lost a device or signed in on a shared computer."
          />
          <CardBody>
            <SignOutEverywhereForm action={signOutEverywhereAction} />
          </CardBody>
        </Card>
      </div>
    </>
  );
}
