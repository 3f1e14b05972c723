import { ForbiddenMessage } from "@/components/shell/forbidden-message";

export const metadata = { title: "Access denied" };

/** Rendered with HTTP 403 inside the dashboard shell when a page's permission is missing. */
export default function DashboardForbidden() {
  return <ForbiddenMessage />;
}
