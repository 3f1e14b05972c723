import Link from "next/link";
import { AccessLogFilters } from "@/components/access-log/access-log-filters";
import { AccessLogTable } from "@/components/access-log/access-log-table";
import { ACCESS_LOG_PAGE_SIZE, loadAccessLogSearchParams, serializeAccessLog, timeRangeOf } from "@/components/access-log/search-params";
import { buttonClasses } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { listAccessEventUsers, listAccessEvents } from "@/db/queries/access-events";
import { requestContext, requirePagePermission } from "@/lib/auth/guard";
import { ACCESS_ACTIONS, appendAccessEvent } from "@/lib/ledger-store/append-access-event";
import { getRuntime } from "@/lib/server/runtime";

export const metadata = { title: "Access log" };

export default async function AccessLogPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePagePermission("access_log.read");
  const raw = loadAccessLogSearchParams(await searchParams);
  // An unknown action in the URL filters nothing rather than matching nothing.
  const params = { ...raw, action: raw.action && (ACCESS_ACTIONS as readonly string[]).includes(raw.action) ? raw.action : null };
  const { db } = await getRuntime();
  const range = timeRangeOf(params);
  // Reading the access log is itself logged, before the read, so it shows in its own results.
  await appendAccessEvent(db, {
    action: "access_log.search",
    outcome: "success",
    user: { id: user.id, email: user.email, role: user.role },
    target: null,
    details: {
      filters: { action: params.action, user: params.user, from: params.from?.toISOString() ?? null, to: params.to?.toISOString() ?? null },
      page: { before: params.before, after: params.after },
    },
    ...(await requestContext()),
  });
  const [page, users] = await Promise.all([
    listAccessEvents(db, {
      action: params.action,
      userEmail: params.user,
      from: range.from,
      to: range.to,
      before: params.before,
      after: params.after,
      limit: ACCESS_LOG_PAGE_SIZE,
    }),
    listAccessEventUsers(db),
  ]);
  const filters = { action: params.action, user: params.user, from: params.from, to: params.to };
  return (
    <>
      <PageHeader
        title="Access log"
        description="Every use of this dashboard: sign-ins, searches, record views, reveals of personal data, exports, verifications and admin changes. The log is append-only and hash-chained like the decision records; “Seq” is each entry's position in that chain."
      />
      <div className="space-y-4">
        <Card className="px-5 py-4">
          <AccessLogFilters actions={ACCESS_ACTIONS} users={users} />
        </Card>
        <Card>
          <AccessLogTable rows={page.rows} />
        </Card>
        <nav aria-label="Access log pages" className="flex items-center justify-between">
          {page.newerCursor !== null ? (
            <Link prefetch={false} className={buttonClasses("secondary")} href={`/access-log${serializeAccessLog({ ...filters, after: page.newerCursor })}`}>
              ← Newer entries
            </Link>
          ) : (
            <span />
          )}
          {page.olderCursor !== null ? (
            <Link prefetch={false} className={buttonClasses("secondary")} href={`/access-log${serializeAccessLog({ ...filters, before: page.olderCursor })}`}>
              Older entries →
            </Link>
          ) : null}
        </nav>
      </div>
    </>
  );
}
