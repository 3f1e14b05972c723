import { renderToString } from "react-dom/server";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { createUserSession } from "@/lib/auth/user-sessions";
import { generateSignerKey } from "@/lib/ledger/signed-note";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import type { ServiceActorWithRole } from "@/lib/services/data-subject-input";
import { TEST_KEYS } from "../support/personal-data-keys";
import { createTestDatabase, type TestDatabase } from "../support/test-databases";
import { busiestSubject, createPeople, demoStatements, type Person } from "./erasure-fixture";

// The admin pages' server actions through the real guard, with a signed-in admin: what they
// answer is what the page shows after a submission, so the typed subject id must not be in it.

const session = vi.hoisted(() => ({ current: null as null | { user: { id: string }; signedInAt: number; sessionId: string | null } }));
const runtime = vi.hoisted(() => ({ current: null as unknown }));
vi.mock("next-auth", () => ({ getServerSession: async () => session.current }));
vi.mock("@/lib/auth/auth-options", () => ({ getAuthOptions: () => ({}) }));
vi.mock("next/headers", () => ({ headers: async () => new Headers({ "user-agent": "vitest" }) }));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));
vi.mock("@/lib/server/runtime", () => ({ getRuntime: async () => runtime.current }));

const { requestErasureAction, approveErasureAction } = await import("@/app/(dashboard)/admin/erasure/actions");
const { default: ErasurePage } = await import("@/app/(dashboard)/admin/erasure/page");
const { default: LegalHoldsPage } = await import("@/app/(dashboard)/admin/legal-holds/page");
const { placeLegalHoldAction, releaseLegalHoldAction } = await import("@/app/(dashboard)/admin/legal-holds/actions");

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.set(k, v);
  return data;
}

describe("erasure and legal-hold actions never echo the subject id", () => {
  let database: TestDatabase;
  let people: Record<Person, ServiceActorWithRole>;
  const statements = demoStatements("erasure-actions", 10);
  const subject = busiestSubject(statements);
  // A real server-side session: the guard refuses a cookie whose session row is missing.
  const signInAs = async (who: Person) => {
    const userId = people[who].id!;
    const { id } = await createUserSession(database.db, { userId, provider: "credentials", ip: null, userAgent: "vitest" });
    session.current = { user: { id: userId }, signedInAt: Math.floor(Date.now() / 1000), sessionId: id };
  };
  const idIn = (message: string) => /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(message)![0];

  beforeAll(async () => {
    database = await createTestDatabase("pglite");
    people = await createPeople(database.db);
    await appendDecisions(database.db, TEST_KEYS, statements, { name: "actions-test-writer" });
    const { signerKey } = await generateSignerKey("actions.test");
    runtime.current = { db: database.db, personalDataKeys: TEST_KEYS, origin: "actions.test", signer: { signerKey } };
  });
  afterAll(async () => {
    await database?.drop();
  });

  test("a hold, a refused request, a request and its approval answer without the id", async () => {
    await signInAs("officer");
    const placed = await placeLegalHoldAction({ status: "idle" }, form({ subject: subject.id, reason: "Litigation hold, case 9" }));
    expect(placed).toMatchObject({ status: "success" });
    const holdsPage = renderToString(await LegalHoldsPage());
    expect(holdsPage).toContain(idIn((placed as { message: string }).message));
    expect(holdsPage).toContain("Litigation hold, case 9");
    await signInAs("ada");
    const refused = await requestErasureAction({ status: "idle" }, form({ subject: subject.id, reason: "Art. 17 request DPO-3" }));
    expect(refused).toMatchObject({ status: "error", message: expect.stringContaining("A legal hold covers this data subject") });
    const badReason = await requestErasureAction({ status: "idle" }, form({ subject: subject.id, reason: `forget ${subject.id} now please` }));
    expect(badReason).toMatchObject({ status: "error", fieldErrors: { reason: [expect.stringContaining("Leave the subject's id out")] } });
    await signInAs("officer");
    expect(await releaseLegalHoldAction({ status: "idle" }, form({ id: idIn((placed as { message: string }).message) }))).toMatchObject({ status: "success" });

    await signInAs("ada");
    const requested = await requestErasureAction({ status: "idle" }, form({ subject: subject.id, reason: "Art. 17 request DPO-3" }));
    expect(requested).toMatchObject({ status: "success", message: expect.stringContaining(`covering ${subject.recordIds.length} record(s)`) });
    const requestId = idIn((requested as { message: string }).message);
    expect(await approveErasureAction({ status: "idle" }, form({ id: requestId }))).toMatchObject({ status: "error", message: expect.stringContaining("Four eyes") });
    const pendingPage = renderToString(await ErasurePage());
    expect(pendingPage).toContain("Waiting for a second admin");
    expect(pendingPage).not.toContain("Approve and erase");
    await signInAs("bo");
    expect(renderToString(await ErasurePage())).toContain("Approve and erase");
    const approved = await approveErasureAction({ status: "idle" }, form({ id: requestId }));
    expect(approved).toMatchObject({ status: "success", message: expect.stringContaining(`in ${subject.recordIds.length} record(s) are unreadable`) });

    const donePage = renderToString(await ErasurePage());
    expect(donePage).toContain(`download="erasure-receipt-${requestId}.txt"`);
    expect(donePage).toContain(encodeURIComponent("decision-ledger erasure receipt v1"));
    for (const answer of [placed, refused, badReason, requested, approved, pendingPage, donePage, holdsPage]) expect(JSON.stringify(answer)).not.toContain(subject.id);
  });
});
