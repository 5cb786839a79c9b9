import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import msgpackParser from 'socket.io-msgpack-parser';
import * as wsModule from 'ws';
import { binaryFrame, fanOut } from './fanout.ts';

// ws exports its Sender (the framing Socket.IO's adapter uses) without a type for it.
const { Sender } = wsModule as unknown as {
  Sender: { frame(data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[] };
};

describe('binaryFrame', () => {
  it("is what ws frames an unmasked binary message with, at every length form's edges", () => {
    for (const n of [0, 1, 125, 126, 127, 65_535, 65_536, 70_000, 2 ** 24 + 3]) {
      const payload = Buffer.alloc(n, n % 251);
      const [header, data] = Sender.frame(payload, { fin: true, rsv1: false, opcode: 2, mask: false, readOnly: false });
      const frame = binaryFrame(new Uint8Array(payload.buffer, payload.byteOffset, n));
      expect(frame[0]!.subarray(0, header!.length).equals(header!), `header, length ${n}`).toBe(true);
      expect(frame, `one buffer, length ${n}`).toHaveLength(1);
      expect(frame[0]!.equals(Buffer.concat([header!, data ?? Buffer.alloc(0)])), `frame, length ${n}`).toBe(true);
    }
  });
});

describe('fanOut on a real Socket.IO server (websocket transport, msgpack parser)', () => {
  let http: HttpServer;
  let io: Server;
  const clients: ClientSocket[] = [];
  const received = new Map<ClientSocket, unknown[][]>();

  beforeAll(async () => {
    http = createServer();
    io = new Server(http, { transports: ['websocket'], parser: msgpackParser, perMessageDeflate: false });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const { port } = http.address() as AddressInfo;
    for (let i = 0; i < 5; i++) {
      const c = connect(`http://127.0.0.1:${port}`, { transports: ['websocket'], parser: msgpackParser, forceNew: true });
      received.set(c, []);
      c.on('doc:msg', (...args: unknown[]) => received.get(c)!.push(args));
      clients.push(c);
      await new Promise<void>((r) => c.once('connect', () => r()));
    }
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await new Promise<void>((r) => {
      void io.close(() => r());
    });
  });

  const serverSids = () => clients.map((c) => c.id!);
  const until = async (ok: () => boolean) => {
    while (!ok()) await new Promise((r) => setTimeout(r, 10));
  };
  const reset = () => {
    for (const c of clients) received.set(c, []);
  };

  it('delivers the same event, byte for byte, as emit would, at every frame length form', async () => {
    reset();
    const payloads = [Buffer.from([1, 2, 3]), Buffer.alloc(300, 7), Buffer.alloc(70_000, 9)];
    for (const p of payloads) fanOut(io, serverSids(), 'doc:msg', ['rubric:x', p]);
    await until(() => clients.every((c) => received.get(c)!.length === payloads.length));
    for (const c of clients) {
      const got = received.get(c)!;
      got.forEach(([name, bytes], i) => {
        expect(name).toBe('rubric:x');
        expect(Buffer.from(bytes as Uint8Array).equals(payloads[i]!)).toBe(true);
      });
    }
  });

  it("keeps each socket's order when Socket.IO's own emits are queued in between", async () => {
    reset();
    const sids = serverSids();
    // Alternate the two paths with no pause: engine.io holds its emits while a write is in flight,
    // and a frame written directly must not overtake them.
    const sent = { direct: 0, queued: 0 };
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(String(i));
      if (i % 3 === 0) for (const sid of sids) io.sockets.sockets.get(sid)!.emit('doc:msg', 'seq', bytes);
      else {
        const s = fanOut(io, sids, 'doc:msg', ['seq', bytes]);
        sent.direct += s.direct;
        sent.queued += s.queued;
      }
    }
    // Both paths were taken: directly where engine.io had nothing queued, through it where it had.
    expect(sent.direct).toBeGreaterThan(0);
    expect(sent.queued).toBeGreaterThan(0);
    await until(() => clients.every((c) => received.get(c)!.length === 200));
    for (const c of clients) expect(received.get(c)!.map(([, b]) => Number(Buffer.from(b as Uint8Array).toString()))).toEqual([...Array(200).keys()]);
  });

  it('skips sockets that are gone and still reaches the others', async () => {
    reset();
    fanOut(io, ['no-such-socket', ...serverSids()], 'doc:msg', ['rubric:y', Buffer.from([42])]);
    await until(() => clients.every((c) => received.get(c)!.length === 1));
    expect(clients.every((c) => (received.get(c)![0]![0] as string) === 'rubric:y')).toBe(true);
  });
});
