import type { Db } from "@/db/client";
import { generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import { dataSubjectOf } from "@/lib/ledger/xapi/commit-statement";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import type { Role } from "@/lib/auth/permissions";
import type { ServiceActorWithRole } from "@/lib/services/data-subject-input";
import { createUser } from "@/lib/services/users";

/** The people of the erasure and legal-hold tests: two admins (four eyes), an officer, an auditor. */
export const PEOPLE = {
  ada: { email: "ada@erasure.test", role: "admin" },
  bo: { email: "bo@erasure.test", role: "admin" },
  officer: { email: "officer@erasure.test", role: "compliance_officer" },
  auditor: { email: "auditor@erasure.test", role: "auditor" },
} as const satisfies Record<string, { email: string; role: Role }>;
export type Person = keyof typeof PEOPLE;

/** Creates PEOPLE as active users and returns each as a service actor. */
export async function createPeople(db: Db): Promise<Record<Person, ServiceActorWithRole>> {
  const out = {} as Record<Person, ServiceActorWithRole>;
  for (const [key, p] of Object.entries(PEOPLE) as [Person, (typeof PEOPLE)[Person]][]) {
    const { user } = await createUser(db, { email: p.email, name: key, role: p.role, password: "a long enough password", actor: { email: "vitest" } });
    out[key] = { id: user.id, email: user.email, role: user.role };
  }
  return out;
}

export function demoStatements(seed: string, count = 60): XapiStatement[] {
  return generateDemoStatements({ count, now: new Date("2026-03-15T12:00:00Z"), days: 30, seed });
}

/** The data subject with the most records among `statements`, and the ids of those records. */
export function busiestSubject(statements: readonly XapiStatement[]): { id: string; recordIds: string[] } {
  const bySubject = new Map<string, string[]>();
  for (const s of statements) {
    const subject = dataSubjectOf(s);
    if (!subject) continue;
    bySubject.set(subject.id, [...(bySubject.get(subject.id) ?? []), s.id!.toLowerCase()]);
  }
  const [id, recordIds] = [...bySubject.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
  return { id, recordIds };
}
