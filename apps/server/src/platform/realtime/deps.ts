/**
 * What the realtime layer needs from the composed server, stated here so that the platform does
 * not depend on the features: `createDeps()`'s result satisfies it structurally.
 */
import type { CalibrationState } from '@accord/core';
import type { Env } from '../../env.ts';
import type { Bus } from '../bus.ts';
import type { Clock } from '../clock.ts';
import type { AuthContext, ProjectAccess } from '../http/context.ts';
import type { Logger } from '../logger.ts';
import type { DocKinds } from './doc-kinds.ts';
import type { DocRegistry } from './registry.ts';

export interface RealtimeDeps {
  env: Pick<Env, 'ACCORD_TRUST_PROXY' | 'ACCORD_ORIGINS' | 'ACCORD_DOC_SOCKETS_PER_USER' | 'ACCORD_DOC_PING_SECONDS' | 'ACCORD_DOC_BUFFER_MB' | 'ACCORD_DOC_USER_BUFFER_MB'>;
  logger: Logger;
  bus: Bus;
  /** The wall clock of session expiry (the auth service's): open sockets are re-checked once their credential's limit has passed on it. */
  clock: Clock;
  docs: DocRegistry;
  docKinds: DocKinds;
  /** Every authorization reads the session (or token) and its user fresh through these. */
  auth: {
    fromCookie(cookie: string): Promise<AuthContext | null>;
    fromToken(token: string): Promise<AuthContext | null>;
  };
  /** PostgreSQL's LISTEN (absent with PGlite), for the quality change feed. */
  db: { listen?(channel: string, fn: (payload: string) => void, onConnect?: () => void): Promise<() => Promise<void>> };
  /** The newest change of each project's quality figures (polled with PGlite). */
  quality: {
    lastChange(projectIds: string[]): Promise<Map<string, number>>;
    /** The project's figures changed; `watched`: a dashboard of it is open on this node (evaluate its members soon). */
    changed(projectId: string, watched: boolean): void;
    /** This node saved members' figures (with LISTEN, a NOTIFY `members:<project>` tells every node instead). */
    onMembersSaved(fn: (projectId: string) => void): () => void;
  };
  /** Calibration sessions' live state (who joined, who submitted; never what). */
  calibration: {
    stateFor(user: { id: string; isAdmin: boolean; active: boolean }, sessionId: string): Promise<{ ok: true; state: CalibrationState; projectId: string } | { ok: false; code: 'not_found' | 'forbidden' }>;
    state(sessionId: string): Promise<CalibrationState | null>;
  };
  projects: {
    /** The user's effective role in the project; null when they must not learn it exists. */
    access(user: { id: string; isAdmin: boolean }, projectId: string): Promise<ProjectAccess | null>;
  };
}
