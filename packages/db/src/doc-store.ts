/**
 * The database side of live documents: an append-only log of Yjs updates (`doc_updates`) with
 * consecutive per-document sequence numbers, folded now and then into `doc_snapshots`. It has the
 * shape of @accord/collab's `DocPersistence` (structurally: db does not depend on collab) and passes
 * the same contract suite. Sequence numbers are assigned under a per-document advisory lock, which
 * PGlite and PostgreSQL both have; on PostgreSQL each append also sends one NOTIFY
 * `accord_docs {"doc","maxSeq","node"}` (delivered at commit) so other nodes can catch up. An append is
 * one statement, the function `accord_doc_append` (migrations 0036 and 0049).
 */
import { and, asc, eq, gt, lte, max, sql } from 'drizzle-orm';
import type { Db, Tx } from './client.ts';
import { docSnapshots, docUpdates } from './schema/docs.ts';

export const DOC_NOTIFY_CHANNEL = 'accord_docs';
/** Presence of live-document clients, relayed between nodes (not stored). */
export const PRESENCE_NOTIFY_CHANNEL = 'accord_presence';

/** A NOTIFY payload at most (PostgreSQL refuses 8,000 bytes and more). */
const NOTICE_MAX = 7_900;

const base64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');

/** The rows of `db.execute` (node-postgres answers `{ rows }`, PGlite's driver the array itself). */
const resultRows = <T>(r: unknown): T[] => (Array.isArray(r) ? (r as T[]) : (r as { rows: T[] }).rows);

/**
 * The append notice, which `accord_doc_append` sends: `{ doc, maxSeq, n, node }`, and the `n` entries
 * themselves in base64 (`u`) when they fit, so the other nodes apply them without reading the log
 * back [P21]. This says whether they fit, whatever the sequence number (up to 20 digits) and however
 * the database spaces its JSON (`"k" : v`).
 */
function inlineFits(doc: string, node: string | null, b64: string[]): boolean {
  let size = 0;
  for (const s of b64) size += s.length + 3;
  return size + JSON.stringify(doc).length + JSON.stringify(node).length + 100 <= NOTICE_MAX;
}

/** Sends each payload as one NOTIFY on `channel`, all in one statement (PostgreSQL; payloads under 8,000 bytes). */
export async function notifyAll(db: Db, channel: string, payloads: string[]): Promise<void> {
  if (payloads.length === 0) return;
  const rows = sql.join(
    payloads.map((p) => sql`(${p})`),
    sql`, `,
  );
  await db.execute(sql`select pg_notify(${channel}, v.p) from (values ${rows}) as v(p)`);
}

export interface DocStore {
  load(name: string): Promise<{ snapshot: Uint8Array | null; updates: Uint8Array[]; lastSeq: number }>;
  append(name: string, updates: Uint8Array[]): Promise<number>;
  compact(name: string, upToSeq: number, snapshot: Uint8Array): Promise<void>;
  readSince(name: string, seq: number): Promise<{ updates: Uint8Array[]; lastSeq: number }>;
  /** Highest sequence number of each named document (0 if never written): the poll that repairs lost notifications. */
  lastSeqs(names: string[]): Promise<Map<string, number>>;
}

export interface DocStoreOptions {
  /** Send NOTIFY on append (PostgreSQL with several nodes). */
  notify?: boolean;
  /**
   * This node's id, sent in each notice as `node` (migration 0049) so that the node skips its own
   * notices: it has those entries already, and the append's result tells it their sequence numbers.
   */
  node?: string;
}

const lock = (tx: Tx, name: string, shared = false) =>
  shared ? tx.execute(sql`select pg_advisory_xact_lock_shared(hashtext(${name}))`) : tx.execute(sql`select pg_advisory_xact_lock(hashtext(${name}))`);

async function state(tx: Tx, name: string) {
  const [snap] = await tx.select({ seq: docSnapshots.seq, data: docSnapshots.data }).from(docSnapshots).where(eq(docSnapshots.doc, name));
  const [top] = await tx.select({ seq: max(docUpdates.seq) }).from(docUpdates).where(eq(docUpdates.doc, name));
  const logSeq = top?.seq == null ? 0 : Number(top.seq);
  return { snapshot: snap ?? null, lastSeq: Math.max(logSeq, snap?.seq ?? 0) };
}

// Copies out of the driver's buffer, so callers may keep and mutate what they get.
const own = (b: Uint8Array): Uint8Array => Uint8Array.from(b);

export function createDocStore(db: Db, options: DocStoreOptions = {}): DocStore {
  const logAfter = (tx: Tx, name: string, seq: number) =>
    tx.select({ data: docUpdates.data }).from(docUpdates).where(and(eq(docUpdates.doc, name), gt(docUpdates.seq, seq))).orderBy(asc(docUpdates.seq));

  return {
    load: (name) =>
      db.transaction(async (tx) => {
        await lock(tx, name, true);
        const { snapshot, lastSeq } = await state(tx, name);
        const rows = await logAfter(tx, name, snapshot?.seq ?? 0);
        return { snapshot: snapshot ? own(snapshot.data) : null, updates: rows.map((r) => own(r.data)), lastSeq };
      }),

    async append(name, updates) {
      if (updates.length === 0) return (await db.transaction(async (tx) => state(tx, name))).lastSeq;
      // One statement (migrations 0036, 0049): the lock that load, readSince and compact take, the tops, the insert, the notice.
      const b64 = updates.map(base64);
      const channel = options.notify ? DOC_NOTIFY_CHANNEL : null;
      const node = options.node ?? null;
      const r = await db.execute(
        sql`select accord_doc_append(${name}, ${`{${b64.join(',')}}`}::text[], ${channel}, ${channel !== null && inlineFits(name, node, b64)}, ${node}) as seq`,
      );
      return Number(resultRows<{ seq: string | number }>(r)[0]!.seq);
    },

    compact: (name, upToSeq, snapshot) =>
      db.transaction(async (tx) => {
        await lock(tx, name);
        const cur = await state(tx, name);
        // An older fold (another node, a slow worker) must not replace a newer snapshot.
        if (upToSeq <= (cur.snapshot?.seq ?? 0) || upToSeq > cur.lastSeq) return;
        await tx
          .insert(docSnapshots)
          .values({ doc: name, seq: upToSeq, data: snapshot })
          .onConflictDoUpdate({ target: docSnapshots.doc, set: { seq: upToSeq, data: snapshot, updatedAt: new Date() } });
        await tx.delete(docUpdates).where(and(eq(docUpdates.doc, name), lte(docUpdates.seq, upToSeq)));
      }),

    readSince: (name, seq) =>
      db.transaction(async (tx) => {
        await lock(tx, name, true);
        const { snapshot, lastSeq } = await state(tx, name);
        if (snapshot && seq < snapshot.seq) {
          // The entries asked for were compacted away: the snapshot stands in for them.
          const rows = await logAfter(tx, name, snapshot.seq);
          return { updates: [own(snapshot.data), ...rows.map((r) => own(r.data))], lastSeq };
        }
        const rows = await logAfter(tx, name, seq);
        return { updates: rows.map((r) => own(r.data)), lastSeq };
      }),

    async lastSeqs(names) {
      const out = new Map(names.map((n) => [n, 0]));
      if (names.length === 0) return out;
      const list = sql.join(
        names.map((n) => sql`${n}`),
        sql`, `,
      );
      const rows = await db.execute(sql`
        select d.doc, greatest(
          (select max(seq) from doc_updates u where u.doc = d.doc),
          (select seq from doc_snapshots s where s.doc = d.doc)) as seq
        from (select unnest(array[${list}]::text[]) as doc) d`);
      for (const r of resultRows<{ doc: string; seq: string | number | null }>(rows)) out.set(r.doc, r.seq == null ? 0 : Number(r.seq));
      return out;
    },
  };
}
