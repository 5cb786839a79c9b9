/**
 * Kinds of live documents. Each kind (the rubric draft now; disputes and calibration sessions later)
 * is declared once, in its feature folder, and registered with one line in `deps.ts`:
 *
 * - `prefix`: documents are named `<prefix>:<uuid>` (core's `DOC_KINDS`);
 * - `projectOf(id)`: the project the document belongs to (null: no such document);
 * - `access(caller)`: read or write from the caller's effective role in that project (an admin who
 *   is not a member acts as lead), or a refusal;
 * - `frozen(ctx)`: whether the document is read-only for everyone, derived from the database (the
 *   project archived, a dispute committed), so that a restart or another node loads it frozen too;
 * - hooks: `load` runs when a node opens the document, `commit` makes it final (`commit()` below runs
 *   it and announces `doc:committed` on the control bus).
 *
 * Access resolution (`access.ts`) and the control-event handlers (`docs.ts`) are generic over kinds.
 */
import type { Access, SyncRoom } from '@accord/collab';
import { parseDocName, type DocKind as DocKindName, type ProjectRole } from '@accord/core';
import type { Bus } from '../bus.ts';
import type { ProjectRow } from '../http/context.ts';

export interface DocCaller {
  userId: string;
  isAdmin: boolean;
  /** Effective role in the document's project (an admin who is not a member acts as lead). */
  role: ProjectRole;
  member: boolean;
}

export type DocKindAccess = Access | 'not_found' | { refuse: string };

export interface DocKindDef {
  prefix: DocKindName;
  projectOf(id: string): string | null | Promise<string | null>;
  /**
   * `ctx`: the document's id and its project (settings included), for kinds whose access depends on
   * them (a dispute's reviewers follow `reviewersAdjudicate`; a calibration session's participants and phase).
   * `not_found` refuses as for an unknown document, for callers who must not learn that it exists.
   */
  access(caller: DocCaller, ctx: { id: string; project: ProjectRow }): DocKindAccess | Promise<DocKindAccess>;
  frozen(ctx: { id: string; project: ProjectRow }): boolean | Promise<boolean>;
  /**
   * What of a client's presence state is relayed to the others, given the sender's access
   * ([P13]; `user` is always the server's). Default: `presenceFields` only.
   */
  presence?(state: Record<string, unknown>, access: Access): Record<string, unknown>;
  hooks?: {
    /** Runs on each node once the room has loaded, before the first peer syncs (e.g. seed an empty document). */
    load?(id: string, room: SyncRoom): Promise<void>;
    /** Makes the document final in the database (after which `frozen` answers true). */
    commit?(id: string, actorId: string): Promise<void>;
  };
}

/**
 * The presence fields the web app sets (`field`: which field the user is in; `cursor`: the editor's
 * selection, y-codemirror's) and the only ones relayed by default: anything else a client puts in
 * its presence state is dropped by the server, never forwarded.
 */
export const PRESENCE_FIELDS = ['field', 'cursor'] as const;

export function allowedPresence(state: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of PRESENCE_FIELDS) if (f in state) out[f] = state[f];
  return out;
}

export interface DocKinds {
  get(prefix: string): DocKindDef | undefined;
  /** The presence filter of a document's room: its kind's, or `allowedPresence`. */
  presenceFilter(name: string): (state: Record<string, unknown>, access: Access) => Record<string, unknown>;
  /** The kind and id of a document name; null for malformed names and kinds not registered. */
  resolve(name: string): { kind: DocKindDef; id: string } | null;
  /** The project of a document, or null. */
  projectOf(name: string): Promise<string | null>;
  /** Runs the kind's commit hook and tells every node to freeze the document. */
  commit(name: string, actorId: string): Promise<void>;
  readonly prefixes: string[];
}

export function createDocKinds(kinds: DocKindDef[], bus: Pick<Bus, 'emit'>): DocKinds {
  const byPrefix = new Map<string, DocKindDef>();
  for (const k of kinds) {
    if (byPrefix.has(k.prefix)) throw new Error(`document kind "${k.prefix}" is registered twice`);
    byPrefix.set(k.prefix, k);
  }
  const resolve = (name: string) => {
    const parsed = parseDocName(name);
    const kind = parsed ? byPrefix.get(parsed.kind) : undefined;
    return parsed && kind ? { kind, id: parsed.id } : null;
  };
  return {
    get: (prefix) => byPrefix.get(prefix),
    resolve,
    presenceFilter(name) {
      const kind = resolve(name)?.kind;
      return kind?.presence ? (state, access) => kind.presence!(state, access) : allowedPresence;
    },
    async projectOf(name) {
      const r = resolve(name);
      return r ? r.kind.projectOf(r.id) : null;
    },
    async commit(name, actorId) {
      const r = resolve(name);
      if (!r) throw new Error(`no such document kind: ${name}`);
      if (!r.kind.hooks?.commit) throw new Error(`documents of kind "${r.kind.prefix}" cannot be committed`);
      await r.kind.hooks.commit(r.id, actorId);
      await bus.emit('doc:committed', { doc: name });
    },
    get prefixes() {
      return [...byPrefix.keys()];
    },
  };
}
