import Link from "next/link";
import { buttonClasses } from "@/components/ui/button";

export const metadata = { title: "Not found" };

export default function NotFound() {
  return (
    <main id="main" className="mx-auto flex min-h-[60vh] max-w-xl flex-col items-start justify-center gap-4 px-6 py-16">
      <p className="text-sm font-semibold text-slate-500">404</p>
      <h1 className="text-2xl font-semibold text-slate-900">This page does not exist</h1>
      <p className="text-slate-700">The address may be mistyped, or the record it pointed to has a different identifier.</p>
      <Link href="/" className={buttonClasses("secondary")}>
        Go to the dashboard
      </Link>
    </main>
  );
}
