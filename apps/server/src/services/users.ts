import { and, asc, count, desc, eq, ilike, or, type SQL } from 'drizzle-orm';
import { AppError, type CreateUserBody, type UpdateUserBody, type UserListQuery } from '@accord/core';
import { apiTokens, sessions, users, type Db } from '@accord/db';
import { audit } from './audit.ts';
import { toUser } from './mappers.ts';
import { hashPassword } from './passwords.ts';
import type { Events } from './events.ts';

/** Allow-listed sort keys → columns; nothing from the request reaches SQL as an identifier. */
const SORT = { email: users.email, name: users.name, createdAt: users.createdAt } as const;

export const escapeLike = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);

export function createUserService(db: Db, events: Events) {
  return {
    async list(q: UserListQuery) {
      const where: SQL[] = [];
      if (q.q) where.push(or(ilike(users.email, `%${escapeLike(q.q)}%`), ilike(users.name, `%${escapeLike(q.q)}%`))!);
      if (q.status !== 'all') where.push(eq(users.active, q.status === 'active'));
      const cond = where.length ? and(...where) : undefined;
      const order = q.order === 'asc' ? asc(SORT[q.sort]) : desc(SORT[q.sort]);
      const rows = await db.select().from(users).where(cond).orderBy(order, asc(users.id)).limit(q.limit).offset(q.offset);
      const [total] = await db.select({ n: count() }).from(users).where(cond);
      return { items: rows.map(toUser), total: total?.n ?? 0, limit: q.limit, offset: q.offset };
    },

    async create(actorId: string | null, body: CreateUserBody) {
      const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, body.email));
      if (existing) throw new AppError('conflict', 'A user with this email already exists.', [{ path: 'body.email', message: 'is already taken' }]);
      const passwordHash = await hashPassword(body.password);
      const [row] = await db
        .insert(users)
        .values({ email: body.email, name: body.name, passwordHash, isAdmin: body.isAdmin })
        .onConflictDoNothing({ target: users.email })
        .returning();
      if (!row) throw new AppError('conflict', 'A user with this email already exists.', [{ path: 'body.email', message: 'is already taken' }]);
      await audit(db, { actorId, action: 'user.created', target: row.id, details: { email: row.email, isAdmin: row.isAdmin } });
      return toUser(row);
    },

    async update(actorId: string, userId: string, body: UpdateUserBody) {
      const [current] = await db.select().from(users).where(eq(users.id, userId));
      if (!current) throw new AppError('not_found', 'No such user.');
      if (actorId === userId && (body.active === false || body.isAdmin === false))
        throw new AppError('conflict', 'You cannot deactivate yourself or remove your own admin rights.', [
          { path: body.active === false ? 'body.active' : 'body.isAdmin', message: 'cannot be changed on your own account' },
        ]);
      const [row] = await db
        .update(users)
        .set({ ...body, updatedAt: new Date(), ...(body.active === true ? { placeholder: current.placeholder && !current.passwordHash } : {}) })
        .where(eq(users.id, userId))
        .returning();
      if (body.active === false) {
        await db.delete(sessions).where(eq(sessions.userId, userId));
        events.emit('user:deactivated', { userId });
      }
      await audit(db, { actorId, action: 'user.updated', target: userId, details: body });
      return toUser(row!);
    },

    async resetPassword(actorId: string, userId: string, password: string) {
      const hash = await hashPassword(password);
      const [row] = await db.update(users).set({ passwordHash: hash, placeholder: false, updatedAt: new Date() }).where(eq(users.id, userId)).returning({ id: users.id });
      if (!row) throw new AppError('not_found', 'No such user.');
      await db.delete(sessions).where(eq(sessions.userId, userId));
      events.emit('user:sessions-ended', { userId });
      await audit(db, { actorId, action: 'user.password_reset', target: userId });
    },

    async countUsers() {
      const [r] = await db.select({ n: count() }).from(users);
      return r?.n ?? 0;
    },

    async revokeAllTokens(userId: string) {
      await db.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.userId, userId));
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
