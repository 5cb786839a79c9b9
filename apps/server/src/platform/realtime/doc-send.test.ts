import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Server, type Socket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import msgpackParser from 'socket.io-msgpack-parser';
import { createLogger } from '../logger.ts';
import { createDocSender } from './doc-send.ts';

/**
 * The bound on what a Socket.IO socket may have waiting counts every event, not only document
 * frames: a client that stops reading while other events (quality, calibration) keep coming is
 * dropped past it too. A real Socket.IO server and client on loopback, as in production
 * (websocket transport, msgpack parser).
 */
describe('a Socket.IO client that stops reading events other than document frames', () => {
  let http: HttpServer;
  let io: Server;
  let client: ClientSocket;
  let server: Socket;

  const start = async (watched: boolean) => {
    http = createServer();
    io = new Server(http, { transports: ['websocket'], parser: msgpackParser, perMessageDeflate: false });
    const sender = createDocSender(io, { maxBuffered: 1024 * 1024, maxPerUser: 1024 ** 3, logger: createLogger('silent'), target: () => undefined });
    const connected = new Promise<Socket>((r) =>
      io.on('connection', (s) => {
        if (watched) sender.watch(s);
        r(s);
      }),
    );
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const { port } = http.address() as AddressInfo;
    client = connect(`http://127.0.0.1:${port}`, { transports: ['websocket'], parser: msgpackParser, forceNew: true, reconnection: false });
    server = await connected;
    await new Promise<void>((r) => (client.connected ? r() : client.once('connect', () => r())));
  };
  afterEach(async () => {
    // The server's side of an unread socket would wait for its backlog to drain: end it outright.
    (server.conn as unknown as { transport?: { socket?: { terminate?(): void } } }).transport?.socket?.terminate?.();
    client?.disconnect();
    await new Promise<void>((r) => {
      void io.close(() => r());
    });
  });

  /** Events of 64 KiB to a client that reads nothing, one per turn of the event loop, until the server drops it or `max` were sent. */
  async function flood(max: number): Promise<{ sent: number; reason: string | null }> {
    let reason: string | null = null;
    server.on('disconnect', (r) => (reason = r));
    (client.io.engine.transport as unknown as { ws: { _socket: { pause(): void } } }).ws._socket.pause();
    const payload = Buffer.alloc(64 * 1024, 7);
    let sent = 0;
    for (; sent < max && reason === null; sent++) {
      server.emit('quality:changed', 'project', payload);
      await new Promise((r) => setImmediate(r));
    }
    return { sent, reason };
  }

  it('is disconnected past the bound (1 MiB here) plus what the kernel takes, its connection closed at once', async () => {
    await start(true);
    const { sent, reason } = await flood(400);
    console.log(`dropped after ${sent} events of 64 KiB`);
    expect(reason, `still connected after ${sent} events of 64 KiB`).toBe('server namespace disconnect');
    // Loopback takes a few MB of an unread socket; the bound itself is 1 MiB: well under 400 events (25 MiB).
    expect(sent).toBeLessThan(200);
    expect((server.conn as unknown as { readyState: string }).readyState).not.toBe('open');
  });

  it('without the count, the same client stays connected through all 400 (the heartbeat would end it only after about 45 s)', async () => {
    await start(false);
    const { sent, reason } = await flood(400);
    expect(sent).toBe(400);
    expect(reason).toBeNull();
  });
});

/**
 * A room's broadcast over document sockets writes each recipient as soon as it is checked: the first
 * recipients do not wait for the checks of the last (at 200 recipients those took the time of a
 * socket write or more, and every observer's latency with them).
 */
describe('a broadcast to document sockets', () => {
  const peerFor = (id: string) => ({ id, send: () => undefined, close: () => undefined });

  it('writes each recipient before checking the next, one frame framed once, and skips those gone or not keeping up', () => {
    const log: string[] = [];
    const frames = new Set<Buffer>();
    const user = { conns: new Set(), bytes: 0, recounted: -1 };
    const socket = (id: string, opts: { open?: boolean; backlog?: number } = {}) => ({
      readyState: opts.open === false ? 3 : 1,
      get bufferedAmount() {
        return opts.backlog ?? 0;
      },
      send: () => log.push(`send ${id}`),
      terminate: () => log.push(`terminate ${id}`),
      _sender: {
        _queue: [],
        _state: 0,
        sendFrame: (list: Buffer[]) => {
          for (const b of list) frames.add(b);
          log.push(`write ${id}`);
        },
      },
    });
    const conns = new Map([
      ['a', { ws: socket('a'), user, counted: 0 }],
      ['b', { ws: socket('b', { open: false }), user, counted: 0 }],
      ['c', { ws: socket('c', { backlog: 64 * 1024 * 1024 }), user, counted: 0 }],
      ['d', { ws: socket('d'), user, counted: 0 }],
    ]);
    const sender = createDocSender(new Server(), {
      maxBuffered: 1024 * 1024,
      maxPerUser: 1024 ** 3,
      logger: createLogger('silent'),
      target: (peer) => {
        log.push(`check ${peer.id}`);
        const conn = conns.get(peer.id);
        return conn ? { conn: conn as never, name: 'rubric:x' } : undefined;
      },
    });
    sender.sendMany(['a', 'b', 'c', 'gone', 'd'].map(peerFor), new Uint8Array([1, 2, 3]));
    expect(log).toEqual(['check a', 'write a', 'check b', 'check c', 'terminate c', 'check gone', 'check d', 'write d']);
    expect(frames.size).toBe(1);
    expect([...frames][0]).toEqual(Buffer.from([0x82, 3, 1, 2, 3]));
  });
});
