import Image from "next/image";
import { redirect } from "next/navigation";
import { Alert } from "@/components/ui/alert";
import { isOidcConfigured } from "@/lib/auth/auth-options";
import { getSessionUser } from "@/lib/auth/guard";
import { safeCallbackPath, signInErrorMessage } from "@/lib/auth/sign-in-errors";
import { SignInForm } from "./sign-in-form";

export const metadata = { title: "Sign in" };

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const callbackPath = safeCallbackPath(first(params.callbackUrl));
  // Already signed in (and still active): nothing to do here.
  if (await getSessionUser()) redirect(callbackPath);
  const error = signInErrorMessage(first(params.error));
  const signedOut = first(params.signedOut) === "1";
  return (
    <main id="main" className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm">
        <div className="mb-8 flex flex-col items-center gap-3 text-center">
          <Image src="/logo.svg" alt="" width={44} height={44} unoptimized priority />
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Sign in to Decision Ledger</h1>
          <p className="text-sm text-slate-600">Review, verify and export the record of AI decisions.</p>
        </div>
        {signedOut && !error ? (
          <Alert tone="success" className="mb-4">
            You are signed out.
          </Alert>
        ) : null}
        <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
          <SignInForm callbackPath={callbackPath} initialError={error} oidcEnabled={isOidcConfigured()} />
        </div>
        <p className="mt-6 text-center text-xs text-slate-500">Every sign-in and every use of this dashboard is recorded in the access log.</p>
      </div>
    </main>
  );
}
