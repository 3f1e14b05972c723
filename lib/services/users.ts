import "server-only";
import { randomInt } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client";
import { getUser, getUserByEmail, normalizeEmail, type UserRecord } from "../../db/queries/users";
import { users } from "../../db/schema";
import { hashPassword } from "../auth/sign-in";
import { ROLES, type Role } from "../auth/permissions";
import { revokeUserSessions, type SessionRevokeReason } from "../auth/user-sessions";
import { appendAccessEvent } from "../ledger-store/append-access-event";

/**
 * Who performs a change. Services take it explicitly (no Next request needed), so the
 * dashboard's server actions, the CLI and the demo seed share one path; server actions
 * fill it from the guard's signed-in user and request context.
 */
export interface ServiceActor {
  id?: string | null;
  email: string;
  role?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

/** Bad input or a refused change; `fieldErrors` names the form fields concerned. */
export class ServiceInputError extends Error {
  constructor(
    message: string,
    readonly fieldErrors: Record<string, string[]> = {},
    readonly status: 400 | 404 | 409 = 400,
  ) {
    super(message);
    this.name = "ServiceInputError";
  }

  static fromZod(error: z.ZodError): ServiceInputError {
    const fieldErrors: Record<string, string[]> = {};
    for (const issue of error.issues) {
      const key = issue.path.map(String).join(".") || "form";
      (fieldErrors[key] ??= []).push(issue.message);
    }
    const summary = Object.entries(fieldErrors)
      .map(([field, messages]) => `${field}: ${messages.join(", ")}`)
      .join("; ");
    return new ServiceInputError(`Invalid input (${summary})`, fieldErrors, 400);
  }
}

export const PASSWORD_MIN_LENGTH = 12;

const emailSchema = z
  .string({ error: "Enter an email address" })
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: "Enter a valid email address" }).max(320, { error: "Email is too long" }));
const nameSchema = z
  .string({ error: "Enter a name" })
  .trim()
  .min(1, { error: "Enter a name" })
  .max(200, { error: "Name is too long (200 characters at most)" });
const roleSchema = z.enum(ROLES, { error: `Choose a role: ${ROLES.join(", ")}` });
const passwordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, { error: `Use at least ${PASSWORD_MIN_LENGTH} characters` })
  .max(200, { error: "Password is too long (200 characters at most)" });

export const createUserInput = z.object({
  email: emailSchema,
  name: nameSchema,
  role: roleSchema,
  /** Omitted or empty: a strong password is generated and returned once. */
  password: z.preprocess((v) => (v === "" || v === null ? undefined : v), passwordSchema.optional()),
  /** Single sign-on only: no password at all (first-time OIDC users). */
  ssoOnly: z.boolean().optional(),
});
export type CreateUserInput = z.input<typeof createUserInput>;

export const updateUserInput = z
  .object({
    id: z.uuid({ error: "Unknown user" }),
    role: roleSchema.optional(),
    active: z.boolean().optional(),
    name: nameSchema.optional(),
  })
  .refine((v) => v.role !== undefined || v.active !== undefined || v.name !== undefined, {
    error: "Nothing to change",
    path: ["form"],
  });
export type UpdateUserInput = z.input<typeof updateUserInput>;

const PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/** 20 characters from an unambiguous alphabet (~113 bits), from the CSPRNG. */
export function generatePassword(length = 20): string {
  let out = "";
  for (let i = 0; i < length; i++) out += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return out;
}

/** Who did it, as the access log's `user` records it: an id or role the actor lacks is left out. */
export function accessEventUser(actor: ServiceActor): { id?: string; email: string; role?: string } {
  return { id: actor.id ?? undefined, email: actor.email, role: actor.role ?? undefined };
}

function snapshot(u: Pick<UserRecord, "email" | "name" | "role" | "active">) {
  return { email: u.email, name: u.name, role: u.role, active: u.active };
}

function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === "23505") return true;
  }
  return false;
}

/**
 * Creates a dashboard user and logs `users.create` in the same transaction. Returns the
 * generated password when none was given (shown once, never stored in clear).
 */
export async function createUser(
  db: Db,
  input: CreateUserInput & { actor: ServiceActor },
): Promise<{ user: UserRecord; generatedPassword: string | null }> {
  const parsed = createUserInput.safeParse(input);
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  const { email, name, role, ssoOnly } = parsed.data;
  const generatedPassword = ssoOnly || parsed.data.password ? null : generatePassword();
  const password = ssoOnly ? null : (parsed.data.password ?? generatedPassword);
  // bcrypt is slow on purpose: hash before opening the transaction.
  const passwordHash = password ? await hashPassword(password) : null;
  try {
    const user = await db.transaction(async (tx) => {
      const [row] = await tx.insert(users).values({ email, name, role, passwordHash }).returning({ id: users.id });
      const created = await getUser(tx, { id: row!.id });
      await appendAccessEvent(
        db,
        {
          action: "users.create",
          outcome: "success",
          user: accessEventUser(input.actor),
          target: email,
          details: {
            userId: created!.id,
            before: null,
            after: snapshot(created!),
            password: ssoOnly ? "none (single sign-on)" : generatedPassword ? "generated" : "set by administrator",
          },
          ip: input.actor.ip,
          userAgent: input.actor.userAgent,
        },
        tx,
      );
      return created!;
    });
    return { user, generatedPassword };
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ServiceInputError("A user with this email already exists", { email: ["A user with this email already exists"] }, 409);
    }
    throw error;
  }
}

/**
 * Changes a user's role, name or active flag; logs `users.update` with before/after in the
 * same transaction. A deactivation or role change also ends all the user's sessions in that
 * transaction (ASVS V3.3): they sign in again, under the new role or not at all. Refuses to deactivate or demote yourself and to leave no active
 * administrator (nobody could manage users any more).
 */
export async function updateUser(db: Db, input: UpdateUserInput & { actor: ServiceActor }): Promise<UserRecord> {
  const parsed = updateUserInput.safeParse(input);
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  const change = parsed.data;
  return db.transaction(async (tx) => {
    // Lock the active administrators first (always in the same order) so two concurrent
    // changes cannot each remove "another" admin and leave none.
    await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.role, "admin"), eq(users.active, true)))
      .orderBy(users.id)
      .for("update");
    const [locked] = await tx.select({ id: users.id }).from(users).where(eq(users.id, change.id)).for("update");
    const before = locked ? await getUser(tx, { id: locked.id }) : null;
    if (!before) throw new ServiceInputError("This user does not exist", { id: ["This user does not exist"] }, 404);

    const after = {
      name: change.name ?? before.name,
      role: (change.role ?? before.role) as Role | string,
      active: change.active ?? before.active,
    };
    const isSelf = input.actor.id != null && input.actor.id === before.id;
    if (isSelf && !after.active) {
      throw new ServiceInputError("You cannot deactivate your own account", { active: ["You cannot deactivate your own account"] }, 409);
    }
    if (isSelf && before.role === "admin" && after.role !== "admin") {
      throw new ServiceInputError("You cannot remove your own administrator role", { role: ["You cannot remove your own administrator role"] }, 409);
    }
    const wasActiveAdmin = before.role === "admin" && before.active;
    const staysActiveAdmin = after.role === "admin" && after.active;
    if (wasActiveAdmin && !staysActiveAdmin) {
      const [count] = await tx
        .select({ n: sql<number>`count(*)`.mapWith(Number) })
        .from(users)
        .where(and(eq(users.role, "admin"), eq(users.active, true)));
      if ((count?.n ?? 0) <= 1) {
        const field = after.active ? "role" : "active";
        throw new ServiceInputError("This is the last active administrator: make someone else an administrator first", {
          [field]: ["This is the last active administrator: make someone else an administrator first"],
        }, 409);
      }
    }
    const unchanged = after.name === before.name && after.role === before.role && after.active === before.active;
    if (unchanged) return before;

    await tx
      .update(users)
      .set({ name: after.name, role: after.role, active: after.active, updatedAt: new Date() })
      .where(eq(users.id, before.id));
    const updated = (await getUser(tx, { id: before.id }))!;
    await appendAccessEvent(
      db,
      {
        action: "users.update",
        outcome: "success",
        user: accessEventUser(input.actor),
        target: before.email,
        details: { userId: before.id, before: snapshot(before), after: snapshot(updated) },
        ip: input.actor.ip,
        userAgent: input.actor.userAgent,
      },
      tx,
    );
    const reason = sessionEndReason(before, updated);
    if (reason) await revokeUserSessions(db, { userId: before.id, reason, actor: input.actor }, tx);
    return updated;
  });
}

/** Why a change ends the user's sessions, or null when they may go on. */
function sessionEndReason(before: Pick<UserRecord, "role" | "active">, after: Pick<UserRecord, "role" | "active">): SessionRevokeReason | null {
  if (before.active && !after.active) return "deactivated";
  if (before.role !== after.role) return "role_changed";
  return null;
}

/** First sign-in through OIDC: the user is created with the configured default role. */
export async function findOrCreateSsoUser(
  db: Db,
  params: { email: string; name: string | null; defaultRole: Role; actor: ServiceActor },
): Promise<UserRecord> {
  const existing = await getUserByEmail(db, { email: params.email });
  if (existing) return existing;
  try {
    const { user } = await createUser(db, {
      email: normalizeEmail(params.email),
      name: params.name?.trim() || params.email,
      role: params.defaultRole,
      ssoOnly: true,
      actor: params.actor,
    });
    return user;
  } catch (error) {
    // Two first sign-ins at once: the other one created the user.
    if (error instanceof ServiceInputError && error.status === 409) {
      const created = await getUserByEmail(db, { email: params.email });
      if (created) return created;
    }
    throw error;
  }
}
