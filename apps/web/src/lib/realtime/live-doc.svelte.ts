/**
 * A live document in the web app: a Y.Doc and its presence (awareness), synced through the collab
 * provider over its own document socket (`/collab/<name>`, with the session cookie; PROTOCOL.md [P26]). Exposes connection state, access and the other people here as
 * runes, so components re-render when they change. One instance per open editor; `destroy()` leaves.
 */
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { createDocProvider, createWebSocketDocTransport, docSocketUrl, type Access, type DocProvider, type SocketDocTransport } from '@accord/collab';

export interface Presence {
  clientId: number;
  userId: string;
  name: string;
  color: string;
  /** What they are editing, e.g. `dimension:helpfulness:description`. */
  field: string | null;
}

export class LiveDoc {
  readonly doc = new Y.Doc();
  readonly awareness = new Awareness(this.doc);
  status: 'connecting' | 'connected' | 'disconnected' = $state('connecting');
  synced = $state(false);
  access: Access | null = $state(null);
  /** Why the server refused or closed this document (not found, forbidden, access removed). */
  refused: string | null = $state(null);
  lastError: string | null = $state(null);
  others: Presence[] = $state([]);
  /** Bumped on every change of the document, for `$derived` readers. */
  version = $state(0);

  readonly #provider: DocProvider;
  readonly #transport: SocketDocTransport;

  constructor(readonly name: string) {
    this.#transport = createWebSocketDocTransport({
      url: docSocketUrl(location.origin, name),
      onRefused: (e) =>
        (this.refused =
          e.code === 'kicked' ? 'Your access to this document was removed, so it is read-only here. Ask a lead of the project to restore it, then reload the page.' : e.code === 'unauthenticated' ? 'Your session has ended; sign in again.' : e.message),
    });
    this.#provider = createDocProvider({ doc: this.doc, awareness: this.awareness, transport: this.#transport });
    this.#provider.on('status', (s) => (this.status = s));
    this.#provider.on('synced', (s) => (this.synced = s));
    this.#provider.on('access', (a) => (this.access = a));
    this.#provider.on('error', (e) => (this.lastError = `${e.code}: ${e.message}`));
    this.status = this.#provider.status;
    this.doc.on('update', this.#onUpdate);
    this.awareness.on('change', this.#onPresence);
    // Presence carries no identity of ours: the server stamps `user` with who we are.
    this.awareness.setLocalState({ field: null });
  }

  #onUpdate = () => {
    this.version++;
  };

  #onPresence = () => {
    const out: Presence[] = [];
    for (const [clientId, state] of this.awareness.getStates()) {
      if (clientId === this.doc.clientID) continue;
      const user = (state as { user?: { userId?: unknown; name?: unknown; color?: unknown } }).user;
      if (!user || typeof user.name !== 'string') continue;
      out.push({
        clientId,
        userId: String(user.userId ?? ''),
        name: user.name,
        color: typeof user.color === 'string' ? user.color : '#64748b',
        field: typeof (state as { field?: unknown }).field === 'string' ? (state as { field: string }).field : null,
      });
    }
    this.others = out;
  };

  setField(field: string | null): void {
    this.awareness.setLocalStateField('field', field);
  }

  /** False once the server refused or closed the document: edits would go nowhere. */
  get canWrite(): boolean {
    return this.access === 'write' && this.refused === null;
  }

  destroy(): void {
    this.doc.off('update', this.#onUpdate);
    this.awareness.off('change', this.#onPresence);
    this.#provider.destroy();
    this.#transport.close();
    this.awareness.destroy();
    this.doc.destroy();
  }
}
