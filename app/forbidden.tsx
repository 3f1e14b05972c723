import { ForbiddenMessage } from "@/components/shell/forbidden-message";

export const metadata = { title: "Access denied" };

/** Rendered with HTTP 403 when the guard calls forbidden() outside the dashboard shell. */
export default function Forbidden() {
  return (
    <main id="main" className="mx-auto max-w-2xl px-6 py-16">
      <ForbiddenMessage />
    </main>
  );
}
