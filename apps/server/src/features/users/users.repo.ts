/** Users in SQL: the only code of the users feature that speaks to the database. */
import { and, asc, count, desc, eq, ilike, isNull, or, type SQL } from 'drizzle-orm';
import type { User, UserListQuery } from '@accord/core';
import { users, type Db } from '@accord/db';
import { audit, type AuditEntry } from '../../platform/audit.ts';
import { recordControlEvents, type ControlEvent } from '../../platform/bus.ts';
import { toUser, type UserRow } from '../../platform/http/context.ts';
import { escapeLike } from '../../platform/sql.ts';

/** Allow-listed sort keys → columns; nothing from the request reaches SQL as an identifier. */
const SORT = { email: users.email, name: users.name, createdAt: users.createdAt } as const;

export function createUsersRepo(db: Db) {
  return {
    audit: (entry: AuditEntry) => audit(db, entry),

    async page(q: UserListQuery): Promise<{ items: User[]; total: number }> {
      const where: SQL[] = [];
      if (q.q) where.push(or(ilike(users.email, `%${escapeLike(q.q)}%`), ilike(users.name, `%${escapeLike(q.q)}%`))!);
      if (q.status !== 'all') where.push(eq(users.active, q.status === 'active'));
      const cond = where.length ? and(...where) : undefined;
      const order = q.order === 'asc' ? asc(SORT[q.sort]) : desc(SORT[q.sort]);
      const rows = await db.select().from(users).where(cond).orderBy(order, asc(users.id)).limit(q.limit).offset(q.offset);
      const [total] = await db.select({ n: count() }).from(users).where(cond);
      return { items: rows.map(toUser), total: total?.n ?? 0 };
    },

    async byId(id: string): Promise<UserRow | null> {
      const [row] = await db.select().from(users).where(eq(users.id, id));
      return row ?? null;
    },

    async byEmail(email: string): Promise<UserRow | null> {
      const [row] = await db.select().from(users).where(eq(users.email, email));
      return row ?? null;
    },

    async idByEmail(email: string): Promise<string | null> {
      const [row] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
      return row?.id ?? null;
    },

    /** An account by id or email, and whether it is still a placeholder nobody can sign in as. */
    async account(by: { id: string } | { email: string }): Promise<{ id: string; placeholder: boolean } | null> {
      const [row] = await db
        .select({ id: users.id, placeholder: users.placeholder, passwordHash: users.passwordHash })
        .from(users)
        .where('id' in by ? eq(users.id, by.id) : eq(users.email, by.email));
      return row ? { id: row.id, placeholder: row.placeholder && row.passwordHash === null } : null;
    },

    async idById(id: string): Promise<string | null> {
      const [row] = await db.select({ id: users.id }).from(users).where(eq(users.id, id));
      return row?.id ?? null;
    },

    /** Inserts unless the email is taken; null when it is. */
    async insert(values: { email: string; name: string; passwordHash: string | null; isAdmin?: boolean; active?: boolean; placeholder?: boolean }): Promise<UserRow | null> {
      const [row] = await db.insert(users).values(values).onConflictDoNothing({ target: users.email }).returning();
      return row ?? null;
    },

    /** Updates the user and records the control events of the change in the same transaction. */
    async update(id: string, set: Partial<typeof users.$inferInsert>, events: readonly ControlEvent[] = []): Promise<UserRow | null> {
      return db.transaction(async (tx) => {
        const [row] = await tx.update(users).set(set).where(eq(users.id, id)).returning();
        if (row) await recordControlEvents(tx, events);
        return row ?? null;
      });
    },

    /**
     * Makes a placeholder (an imported annotator's account nobody can sign in as) a real account:
     * name, password, rights, active. Null when it is not such a placeholder (any more): only one of
     * two concurrent claims wins.
     */
    async claimPlaceholder(id: string, set: { name: string; passwordHash: string; isAdmin: boolean }, at: Date): Promise<UserRow | null> {
      const [row] = await db
        .update(users)
        .set({ ...set, active: true, placeholder: false, updatedAt: at })
        .where(and(eq(users.id, id), eq(users.placeholder, true), isNull(users.passwordHash)))
        .returning();
      return row ?? null;
    },

    /** Sets a password (and clears the placeholder mark); false when there is no such user. */
    async setPassword(id: string, passwordHash: string, at: Date): Promise<boolean> {
      const [row] = await db.update(users).set({ passwordHash, placeholder: false, updatedAt: at }).where(eq(users.id, id)).returning({ id: users.id });
      return Boolean(row);
    },

    async count(): Promise<number> {
      const [r] = await db.select({ n: count() }).from(users);
      return r?.n ?? 0;
    },
  };
}

export type UsersRepo = ReturnType<typeof createUsersRepo>;
