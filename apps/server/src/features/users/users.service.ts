/** User accounts (admin): listing, creation, rights, deactivation, password resets; placeholders for imported annotators. */
import { AppError, type CreateUserBody, type UpdateUserBody, type UserListQuery } from '@accord/core';
import type { Bus, ControlEvent } from '../../platform/bus.ts';
import { toUser } from '../../platform/http/context.ts';
import type { UsersRepo } from './users.repo.ts';

export interface UserServiceDeps {
  repo: UsersRepo;
  bus: Bus;
  /** From the auth feature: password hashing, ending a user's sessions (and, for a reset, their API tokens). */
  auth: {
    hashPassword(password: string): Promise<string>;
    endAccess(userId: string): Promise<void>;
    dropAccess(userId: string): Promise<void>;
  };
}

const emailTaken = () => new AppError('conflict', 'A user with this email already exists.', [{ path: 'body.email', message: 'is already taken' }]);

export function createUserService({ repo, bus, auth }: UserServiceDeps) {
  return {
    async list(q: UserListQuery) {
      const page = await repo.page(q);
      return { ...page, limit: q.limit, offset: q.offset };
    },

    /**
     * A new account; or, when the address is an imported annotator's placeholder (a judgments import
     * names annotators by e-mail), that placeholder made a real account, keeping its id, so the
     * person's imported judgments and memberships stay theirs. Before, the placeholder held the
     * address and the admin could not create its user: any lead could squat an address by importing.
     */
    async create(actorId: string | null, body: CreateUserBody) {
      const existing = await repo.account({ email: body.email });
      if (existing && !existing.placeholder) throw emailTaken();
      const passwordHash = await auth.hashPassword(body.password);
      if (existing) {
        const claimed = await repo.claimPlaceholder(existing.id, { name: body.name, passwordHash, isAdmin: body.isAdmin }, new Date());
        if (!claimed) throw emailTaken();
        await repo.audit({ actorId, action: 'user.created', target: claimed.id, details: { email: claimed.email, isAdmin: claimed.isAdmin, fromPlaceholder: true } });
        return toUser(claimed);
      }
      const row = await repo.insert({ email: body.email, name: body.name, passwordHash, isAdmin: body.isAdmin });
      if (!row) throw emailTaken();
      await repo.audit({ actorId, action: 'user.created', target: row.id, details: { email: row.email, isAdmin: row.isAdmin } });
      return toUser(row);
    },

    async update(actorId: string, userId: string, body: UpdateUserBody) {
      const current = await repo.byId(userId);
      if (!current) throw new AppError('not_found', 'No such user.');
      if (actorId === userId && (body.active === false || body.isAdmin === false))
        throw new AppError('conflict', 'You cannot deactivate yourself or remove your own admin rights.', [
          { path: body.active === false ? 'body.active' : 'body.isAdmin', message: 'cannot be changed on your own account' },
        ]);
      // Changes of rights reach every node's open sockets through the control bus, written with the change.
      const events: ControlEvent[] = [];
      if (body.active === false) events.push({ name: 'user:deactivated', payload: { userId } });
      if (body.active === true && !current.active) events.push({ name: 'user:reactivated', payload: { userId } });
      if (body.isAdmin !== undefined && body.isAdmin !== current.isAdmin) events.push({ name: 'user:admin-changed', payload: { userId, isAdmin: body.isAdmin } });
      const row = await repo.update(userId, { ...body, updatedAt: new Date(), ...(body.active === true ? { placeholder: current.placeholder && !current.passwordHash } : {}) }, events);
      if (body.active === false) await auth.dropAccess(userId);
      await bus.applyPending();
      await repo.audit({ actorId, action: 'user.updated', target: userId, details: body });
      return toUser(row!);
    },

    async resetPassword(actorId: string, userId: string, password: string) {
      const hash = await auth.hashPassword(password);
      if (!(await repo.setPassword(userId, hash, new Date()))) throw new AppError('not_found', 'No such user.');
      await auth.endAccess(userId);
      await repo.audit({ actorId, action: 'user.password_reset', target: userId });
    },

    countUsers: () => repo.count(),

    idById: (id: string) => repo.idById(id),
    /** An account by id or email; `placeholder` is true while nobody can sign in as it. */
    account: (by: { id: string } | { email: string }) => repo.account(by),
    idByEmail: (email: string) => repo.idByEmail(email),

    /** An inactive account without a password standing for another tool's annotator; `created` is false when the email already existed. */
    async createPlaceholder(email: string, name: string): Promise<{ id: string; created: boolean }> {
      const row = await repo.insert({ email, name, passwordHash: null, active: false, placeholder: true });
      if (row) return { id: row.id, created: true };
      return { id: (await repo.idByEmail(email))!, created: false };
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
