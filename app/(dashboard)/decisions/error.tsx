"use client";

import Link from "next/link";
import { Alert } from "@/components/ui/alert";
import { Button, buttonClasses } from "@/components/ui/button";

/** The explorer failed to load (e.g. the database is unreachable): say what to do next. */
export default function DecisionsError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="space-y-4">
      <Alert tone="error" title="The decisions could not be loaded">
        <p>Something went wrong while reading the ledger. Your filters are still in the address bar.</p>
        <p className="mt-1">Try again in a moment. If it keeps failing, give your administrator this reference: {error.digest ?? "(none)"}.</p>
      </Alert>
      <div className="flex gap-2">
        <Button onClick={reset}>Try again</Button>
        <Link href="/decisions" className={buttonClasses("secondary")}>
          Start a new search
        </Link>
      </div>
    </div>
  );
}
