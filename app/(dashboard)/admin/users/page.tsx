import { ConfirmActionForm } from "@/components/account/confirm-action-form";
import { CreateUserForm } from "@/components/admin/create-user-form";
import { UserRowActions } from "@/components/admin/user-row-actions";
import { Badge } from "@/components/ui/badge";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Table, TBody, TD, TH, THead } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import { countActiveSessionsByUser } from "@/db/queries/user-sessions";
import { listUsers } from "@/db/queries/users";
import { requirePagePermission } from "@/lib/auth/guard";
import { isRole, ROLE_LABELS } from "@/lib/auth/permissions";
import { getRuntime } from "@/lib/server/runtime";
import { PASSWORD_MIN_LENGTH } from "@/lib/services/users";
import { createUserAction, revokeUserSessionsAction, updateUserAction } from "./actions";

export const metadata = { title: "Users" };

export default async function UsersPage() {
  const me = await requirePagePermission("users.manage");
  const { db } = await getRuntime();
  const [users, sessionCounts] = await Promise.all([listUsers(db), countActiveSessionsByUser(db)]);
  return (
    <>
      <PageHeader
        title="Users"
        description="Who can sign in and what their role allows. Every change is written to the access log with the values before and after."
      />
      <div className="space-y-6">
        <Card>
          <CardHeader title="Add a user" description="The new user signs in with this email and password (or single sign-on, when configured)." />
          <CardBody>
            <CreateUserForm action={createUserAction} passwordMinLength={PASSWORD_MIN_LENGTH} />
          </CardBody>
        </Card>
        <Card>
          <CardHeader title={`All users (${users.length})`} />
          <Table caption="Users">
            <THead>
              <tr>
                <TH>Name</TH>
                <TH>Email</TH>
                <TH>Role</TH>
                <TH>Status</TH>
                <TH>Sign-in</TH>
                <TH>Sessions</TH>
                <TH>Added</TH>
                <TH>
                  <span className="sr-only">Actions</span>
                </TH>
              </tr>
            </THead>
            <TBody>
              {users.map((u) => (
                <tr key={u.id} data-testid={`user-row-${u.email}`}>
                  <TD className="font-medium text-slate-900">
                    {u.name}
                    {u.id === me.id ? <span className="ml-2 text-xs font-normal text-slate-500">(you)</span> : null}
                  </TD>
                  <TD>{u.email}</TD>
                  <TD>{isRole(u.role) ? ROLE_LABELS[u.role] : `Unknown role “${u.role}” (no access)`}</TD>
                  <TD>{u.active ? <Badge tone="success">Active</Badge> : <Badge tone="neutral">Deactivated</Badge>}</TD>
                  <TD className="text-slate-600">{u.hasPassword ? "Password" : "Single sign-on"}</TD>
                  <TD className="text-slate-600" data-testid="user-sessions">
                    <UserSessionsCell userId={u.id} email={u.email} count={sessionCounts.get(u.id) ?? 0} isSelf={u.id === me.id} />
                  </TD>
                  <TD className="whitespace-nowrap text-slate-600">
                    <Time value={u.createdAt} />
                  </TD>
                  <TD>
                    <UserRowActions action={updateUserAction} user={{ id: u.id, email: u.email, role: u.role, active: u.active }} isSelf={u.id === me.id} />
                  </TD>
                </tr>
              ))}
            </TBody>
          </Table>
        </Card>
      </div>
    </>
  );
}

/** Active sessions of one user and, when there are any to end, "Sign out all sessions". */
function UserSessionsCell({ userId, email, count, isSelf }: { userId: string; email: string; count: number; isSelf: boolean }) {
  // Your own current session is kept, so for yourself there is something to end only beyond it.
  const endable = isSelf ? count - 1 : count;
  return (
    <div className="space-y-1">
      <span>{count === 0 ? "None active" : `${count} active`}</span>
      {endable > 0 ? (
        <ConfirmActionForm
          action={revokeUserSessionsAction}
          fields={{ userId }}
          confirm={isSelf ? "Sign yourself out of every other browser?" : `Sign ${email} out of every browser? They will have to sign in again.`}
          label="Sign out all sessions"
          pendingLabel="Signing out…"
          ariaLabel={`Sign out all sessions of ${email}`}
          showSuccess
        />
      ) : null}
    </div>
  );
}
