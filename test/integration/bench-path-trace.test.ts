/**
 * `BENCH_PATH`'s socket trace (test/bench/path-trace.ts): what it reports comes from real sockets'
 * reads and writes, only accepted ones count, and the window bounds it.
 */
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quantiles, tracePath } from '../bench/path-trace.ts';

describe('bench path trace', () => {
  const trace = tracePath(2);
  const accepted: Socket[] = [];
  const clients: Socket[] = [];
  const server = createServer((s) => {
    accepted.push(s);
    // Like a relay: a chunk read from any client goes to every client, in connection order.
    s.on('data', (chunk) => {
      for (const peer of accepted) peer.write(chunk);
    });
  });

  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    for (let i = 0; i < 3; i++) {
      const c = createConnection(port, '127.0.0.1');
      c.on('data', () => undefined);
      await once(c, 'connect');
      clients.push(c);
    }
    while (accepted.length < 3) await once(server, 'connection');
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    server.close();
  });

  /** Sends one chunk from client `from` and waits until every client has it back. */
  async function roundTrip(from: number, text: string): Promise<void> {
    const got = clients.map((c) => new Promise<void>((resolve) => c.once('data', () => resolve())));
    clients[from]!.write(text);
    await Promise.all(got);
  }

  it('times each read to the first, the n-th and the last write, and nothing outside the window', async () => {
    await roundTrip(0, 'before');
    trace.start();
    for (let i = 0; i < 5; i++) await roundTrip(i % 3, `edit ${i}`);
    const figures = trace.stop();
    // Clients' own writes are not accepted sockets' and do not count; the server's reads do.
    expect(figures.reads).toBe(5);
    for (const q of [figures.first, figures.observers, figures.last]) {
      expect(Number.isFinite(q.p50) && Number.isFinite(q.p99)).toBe(true);
      expect(q.p50).toBeGreaterThanOrEqual(0);
    }
    expect(figures.first.p50).toBeLessThanOrEqual(figures.observers.p50);
    expect(figures.observers.p50).toBeLessThanOrEqual(figures.last.p50);
    await roundTrip(1, 'after');
    trace.start();
    expect(trace.stop().reads).toBe(0);
  });

  it('quantiles: the median and the 99th percentile of what it is given', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantiles(values)).toEqual({ p50: 51, p99: 100 });
    expect(quantiles([])).toEqual({ p50: NaN, p99: NaN });
  });
});
