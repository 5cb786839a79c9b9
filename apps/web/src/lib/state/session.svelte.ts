/** Who is signed in. `me` is null when signed out; `status` is 'loading' until the first probe answers. */
import type { Me, ProjectRole } from '@accord/core';
import { ApiError, api, hooks } from '../api/index.ts';
import { closeAppSocket } from '../realtime/socket.ts';

export class Session {
  me: Me | null = $state(null);
  status: 'loading' | 'ready' | 'error' = $state('loading');
  /** Why the first probe failed (server down), shown instead of the login form. */
  error: string | null = $state(null);
  /** Set when the server said our session ended mid-use, so the login page can explain. */
  expired = $state(false);

  user = $derived(this.me?.user ?? null);
  isAdmin = $derived(this.me?.user.isAdmin ?? false);
  /** Admins, and users who lead at least one project, may create projects. */
  canCreateProject = $derived(this.isAdmin || (this.me?.memberships.some((m) => m.role === 'lead') ?? false));

  roleIn(projectId: string): ProjectRole | null {
    return this.me?.memberships.find((m) => m.projectId === projectId)?.role ?? null;
  }

  async load(): Promise<void> {
    this.status = 'loading';
    this.error = null;
    try {
      this.me = await api.auth.me();
      this.status = 'ready';
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        this.me = null;
        this.status = 'ready';
      } else {
        this.status = 'error';
        this.error = e instanceof Error ? e.message : 'Cannot reach the server.';
      }
    }
  }

  /** Re-reads memberships (e.g. after creating a project, which makes the creator its lead). */
  async refresh(): Promise<void> {
    try {
      this.me = await api.auth.me();
    } catch {
      // keep what we have; a 401 is handled by the client hook
    }
  }

  async login(email: string, password: string): Promise<void> {
    this.me = await api.auth.login({ body: { email, password } });
    this.expired = false;
    this.status = 'ready';
  }

  async logout(): Promise<void> {
    try {
      await api.auth.logout();
    } finally {
      closeAppSocket();
      this.me = null;
    }
  }

  /** The server answered 401 to a request: the session is gone. */
  markExpired(): void {
    closeAppSocket();
    if (this.me) this.expired = true;
    this.me = null;
  }
}

export const session = new Session();
hooks.onUnauthenticated = () => session.markExpired();
