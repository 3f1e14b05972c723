import { BundleVerifier } from "@/components/evidence/bundle-verifier";
import { PageHeader } from "@/components/ui/page-header";
import { requireSignedIn } from "@/lib/auth/guard";
import { getRuntime } from "@/lib/server/runtime";

export const dynamic = "force-dynamic";
export const metadata = { title: "Verify a bundle · Decision Ledger" };

/** Any signed-in user: the check itself runs in the browser and needs no permission. */
export default async function VerifyBundlePage() {
  await requireSignedIn();
  const { verifierKey } = await getRuntime();
  return (
    <div className="space-y-6">
      <PageHeader
        title="Verify a bundle"
        description="Check an evidence bundle exported from a Decision Ledger: every record's bytes, its proof of inclusion in the signed ledger, the checkpoint's signature and the bundle's manifest."
      />
      <p className="max-w-3xl rounded-md border border-sky-200 bg-sky-50 px-4 py-3 text-sm text-sky-950">
        <strong>Nothing is uploaded.</strong> The bundle is opened and checked entirely in your browser; it never leaves this computer. The same
        check runs offline with <code className="font-mono">npx decision-ledger verify bundle.zip</code>.
      </p>
      <BundleVerifier ledgerKey={verifierKey} />
    </div>
  );
}
