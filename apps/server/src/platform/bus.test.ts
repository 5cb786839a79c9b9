/**
 * The control bus on a real database (PGlite, and PostgreSQL when reachable): every node applies
 * every event exactly once in seq order, events written in a transaction count only if it commits,
 * a node that missed notifications catches up, and old events are pruned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { controlEvents, createDb, type DbHandle } from '@accord/db';
import { openTestDatabase, testDatabaseKinds, type TestDatabase } from '@accord/db/testing';
import { createControlBus, recordControlEvent, recordControlEvents, type BusEvents, type ControlBus, type ControlBusOptions } from './bus.ts';
import { createLogger } from './logger.ts';

const kinds = await testDatabaseKinds();
const logger = createLogger('silent');
const POLL = { timeout: 30_000, interval: 50 };

interface Seen {
  seq: number;
  kind: string;
  payload: unknown;
}

/** A node's bus that records what it applied. */
function node(handle: DbHandle, o: Partial<ControlBusOptions> = {}) {
  const listen = handle.listen;
  const bus = createControlBus({ db: handle.db, logger, ...(listen ? { listen: (c, fn, onConnect) => listen(c, fn, onConnect) } : {}), ...o });
  const seen: Seen[] = [];
  for (const kind of ['member:removed', 'project:archived', 'user:admin-changed'] as const)
    bus.on(kind, (payload, { seq }) => {
      seen.push({ seq, kind, payload });
    });
  return { bus, seen };
}

const seqs = (s: Seen[]) => s.map((e) => e.seq);
const uid = () => crypto.randomUUID();

describe.each(kinds)('control bus (%s)', (kind) => {
  let tdb: TestDatabase;
  let handle: DbHandle;
  const buses: ControlBus[] = [];
  const start = async (n: ReturnType<typeof node>) => {
    buses.push(n.bus);
    await n.bus.start();
    return n;
  };
  const allSeqs = async (after: number) =>
    (await handle.db.select({ seq: controlEvents.seq }).from(controlEvents).where(sql`${controlEvents.seq} > ${after}`).orderBy(controlEvents.seq)).map((r) => r.seq);

  beforeAll(async () => {
    tdb = await openTestDatabase(kind);
    handle = await createDb(tdb.options);
  }, 180_000);
  afterAll(async () => {
    for (const b of buses) await b.close();
    await handle?.close();
    await tdb?.drop();
  }, 60_000);

  it('applies every event exactly once on every node, in seq order, the writer at once', async () => {
    const a = await start(node(handle));
    const b = await start(node(handle));
    const base = a.bus.lastApplied;
    // Concurrent writers on both nodes, some events written inside a transaction of several.
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < 15; i++) {
      writes.push((i % 2 ? a : b).bus.emit('member:removed', { projectId: `p${i}`, userId: 'u' }));
      if (i % 5 === 0)
        writes.push(
          handle.db
            .transaction((tx) =>
              recordControlEvents(tx, [
                { name: 'project:archived', payload: { projectId: `t${i}`, archived: true } },
                { name: 'user:admin-changed', payload: { userId: `t${i}`, isAdmin: false } },
              ]),
            )
            .then(() => a.bus.applyPending()),
        );
    }
    await Promise.all(writes);
    const written = await allSeqs(base);
    expect(written).toHaveLength(15 + 3 * 2);
    await expect.poll(() => seqs(a.seen).length, POLL).toBe(written.length);
    await expect.poll(() => seqs(b.seen).length, POLL).toBe(written.length);
    // Exactly once and in order: what each node applied is the log itself.
    expect(seqs(a.seen)).toEqual(written);
    expect(seqs(b.seen)).toEqual(written);
    // Events of one transaction are consecutive and keep their order.
    for (const e of a.seen.filter((x) => x.kind === 'project:archived')) {
      const next = a.seen[a.seen.indexOf(e) + 1]!;
      expect(next.kind).toBe('user:admin-changed');
      expect((next.payload as BusEvents['user:admin-changed']).userId).toBe((e.payload as BusEvents['project:archived']).projectId);
    }
  });

  it('emit resolves after the writing node applied the event', async () => {
    const a = await start(node(handle, { pollMs: 3_600_000 }));
    const projectId = uid();
    await a.bus.emit('member:removed', { projectId, userId: 'u' });
    expect(a.seen.map((e) => (e.payload as { projectId: string }).projectId)).toContain(projectId);
  });

  it('runs one event at a time: a slow handler holds back the next event, never overlaps it', async () => {
    const a = await start(node(handle, { pollMs: 3_600_000 }));
    const log: string[] = [];
    const off = a.bus.on('member:removed', async ({ projectId }) => {
      log.push(`start ${projectId}`);
      await new Promise((r) => setTimeout(r, 30));
      log.push(`end ${projectId}`);
    });
    await Promise.all([a.bus.emit('member:removed', { projectId: 'x1', userId: 'u' }), a.bus.emit('member:removed', { projectId: 'x2', userId: 'u' }), a.bus.applyPending(), a.bus.applyPending()]);
    off();
    const mine = log.filter((l) => / x[12]$/.test(l));
    expect(mine).toHaveLength(4);
    expect(mine[0]!.startsWith('start') && mine[1]!.startsWith('end') && mine[2]!.startsWith('start') && mine[3]!.startsWith('end')).toBe(true);
    expect(mine[0]!.slice(6)).toBe(mine[1]!.slice(4));
  });

  it('an event of a transaction that rolls back is never applied; later ones still are', async () => {
    const a = await start(node(handle, { pollMs: 3_600_000 }));
    const lost = uid();
    await expect(
      handle.db.transaction(async (tx) => {
        await recordControlEvent(tx, 'member:removed', { projectId: lost, userId: 'u' });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const kept = uid();
    await a.bus.emit('member:removed', { projectId: kept, userId: 'u' });
    const ids = a.seen.map((e) => (e.payload as { projectId: string }).projectId);
    expect(ids).toContain(kept);
    expect(ids).not.toContain(lost);
  });

  it('a node that hears no notification catches up from the log by its poll, in order', async () => {
    // Its listening connection delivers nothing (a lost NOTIFY); with PGlite there is none anyway.
    const deaf = await start(node(handle, { pollMs: 200, listen: async () => async () => {} }));
    const writer = await start(node(handle, { pollMs: 3_600_000 }));
    const base = writer.bus.lastApplied;
    for (let i = 0; i < 5; i++) await writer.bus.emit('project:archived', { projectId: `deaf${i}`, archived: i % 2 === 0 });
    const written = await allSeqs(base);
    await expect.poll(() => seqs(deaf.seen).filter((s) => s > base), POLL).toEqual(written);
  });

  if (kind === 'postgres')
    it('a node whose listening connection was cut catches up when it reconnects (no poll needed)', async () => {
      if (tdb.options.kind !== 'postgres') throw new Error('expected PostgreSQL');
      const app = `accord_bus_test_${uid().slice(0, 8)}`;
      const u = new URL(tdb.options.url);
      u.searchParams.set('application_name', app);
      const other = await createDb({ kind: 'postgres', url: u.toString(), poolSize: 2 });
      try {
        const cut = await start(node(other, { pollMs: 3_600_000 }));
        const writer = await start(node(handle, { pollMs: 3_600_000 }));
        // The notification path works while connected.
        await writer.bus.emit('member:removed', { projectId: 'heard', userId: 'u' });
        await expect.poll(() => cut.seen.some((e) => (e.payload as { projectId: string }).projectId === 'heard'), POLL).toBe(true);
        // Cut every connection of that node, write while it is away, and it still gets the event.
        await handle.db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${app}`);
        await writer.bus.emit('member:removed', { projectId: 'while-cut', userId: 'u' });
        await expect.poll(() => cut.seen.some((e) => (e.payload as { projectId: string }).projectId === 'while-cut'), POLL).toBe(true);
        expect(seqs(cut.seen)).toEqual([...seqs(cut.seen)].sort((x, y) => x - y));
        expect(new Set(seqs(cut.seen)).size).toBe(cut.seen.length);
      } finally {
        await other.close();
      }
    });

  it('prunes events older than the retention, and a fresh node starts after the log', async () => {
    const a = await start(node(handle, { pollMs: 3_600_000, retainMs: 60_000 }));
    await a.bus.emit('member:removed', { projectId: 'old', userId: 'u' });
    await a.bus.emit('member:removed', { projectId: 'new', userId: 'u' });
    await handle.db.execute(sql`update control_events set created_at = now() - interval '2 minutes' where payload->>'projectId' = 'old'`);
    expect(await a.bus.prune()).toBeGreaterThanOrEqual(1);
    const left = await handle.db.select({ payload: controlEvents.payload }).from(controlEvents).where(sql`${controlEvents.payload}->>'projectId' in ('old', 'new')`);
    expect(left.map((r) => r.payload.projectId)).toEqual(['new']);
    // A node that starts now applies only what comes after it started.
    const late = await start(node(handle, { pollMs: 3_600_000 }));
    expect(late.seen).toEqual([]);
    expect(late.bus.lastApplied).toBe(a.bus.lastApplied);
  });
});
