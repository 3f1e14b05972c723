"use client";

import { signIn } from "next-auth/react";
import { useState, type FormEvent } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, fieldA11y } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { signInErrorMessage } from "@/lib/auth/sign-in-errors";

export function SignInForm({
  callbackPath,
  initialError,
  oidcEnabled,
}: {
  callbackPath: string;
  initialError: string | null;
  oidcEnabled: boolean;
}) {
  const [error, setError] = useState<string | null>(initialError);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    try {
      const result = await signIn("credentials", {
        email: String(form.get("email") ?? ""),
        password: String(form.get("password") ?? ""),
        redirect: false,
        callbackUrl: callbackPath,
      });
      if (!result || result.error || !result.ok) {
        setError(signInErrorMessage(result?.error ?? "unknown"));
        setPending(false);
        return;
      }
      // A full navigation, so every server component renders with the new session.
      window.location.assign(callbackPath);
    } catch {
      setError("Could not reach the server. Check your connection and try again.");
      setPending(false);
    }
  }

  return (
    <div className="space-y-5">
      {error ? (
        <Alert tone="error" title="Sign-in failed">
          <span data-testid="sign-in-error">{error}</span>
        </Alert>
      ) : null}
      <form onSubmit={onSubmit} className="space-y-4" noValidate={false}>
        <Field id="email" label="Email">
          <Input {...fieldA11y("email", {})} name="email" type="email" autoComplete="username" required autoFocus />
        </Field>
        <Field id="password" label="Password">
          <Input {...fieldA11y("password", {})} name="password" type="password" autoComplete="current-password" required />
        </Field>
        <Button type="submit" className="w-full" disabled={pending}>
          {pending ? "Signing in…" : "Sign in"}
        </Button>
      </form>
      {oidcEnabled ? (
        <>
          <div className="flex items-center gap-3 text-xs text-slate-500" aria-hidden="true">
            <span className="h-px flex-1 bg-slate-200" />
            or
            <span className="h-px flex-1 bg-slate-200" />
          </div>
          <Button
            variant="secondary"
            className="w-full"
            disabled={pending}
            onClick={() => {
              setPending(true);
              void signIn("oidc", { callbackUrl: callbackPath });
            }}
          >
            Sign in with SSO
          </Button>
        </>
      ) : null}
    </div>
  );
}
