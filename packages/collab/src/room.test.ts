import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createMemoryPersistence } from './persistence.ts';
import { CloseCode, decodeFrame, encodeFrame } from './protocol.ts';
import { createSyncRoom, type Peer, type SyncRoom } from './room.ts';
import type { RoomClock } from './clock.ts';
import { captureUpdate, contentOf, countFrames, framesOf, step2Frame, updateFrame } from './testing/frames.ts';
import { craftDeleteRange, craftStruct, sampleUpdate, yjsLimitVectors } from './testing/hostile-updates.ts';
import { createManualClock } from './testing/manual-clock.ts';
import { createRng } from './testing/rng.ts';
import { createTestNetwork, type TestNetwork, type TestNetworkOptions } from './testing/test-network.ts';

const networks: TestNetwork[] = [];
const network = async (options: TestNetworkOptions = {}): Promise<TestNetwork> => {
  const net = createTestNetwork(options);
  networks.push(net);
  await net.room.whenLoaded;
  return net;
};
afterEach(async () => {
  for (const net of networks.splice(0)) await net.destroy();
});

const text = (doc: Y.Doc): string => doc.getText('t').toString();
const stateOf = (doc: Y.Doc): number[] => Array.from(Y.encodeStateAsUpdate(doc));


/**
 * A room with a 10 ms broadcast window and two writers, `sender` and `by`, idle for 100 ms after
 * their greetings (nothing logged yet); `edit` sends one insertion from `sender`.
 */
async function quietRoom(clock: RoomClock, manual: ReturnType<typeof createManualClock>, onSend: (peerId: string) => void) {
  const room = createSyncRoom({ name: 'test:doc', persistence: createMemoryPersistence(), clock, limits: { broadcastWindowMs: 10 } });
  await room.whenLoaded;
  const peers = new Map<string, Peer>();
  let greeting = true;
  for (const id of ['sender', 'by']) {
    const p: Peer = { id, send: () => greeting || onSend(id), close: () => undefined };
    peers.set(id, p);
    room.connect(p, { access: 'write', identity: { userId: id, name: id, color: '#000' } });
  }
  manual.runDeferred();
  manual.advance(100);
  greeting = false;
  const source = new Y.Doc();
  const edit = (ch: string) => room.receive(peers.get('sender')!, updateFrame(captureUpdate(source, (d) => d.getText('t').insert(0, ch))));
  const step2 = (ch: string) => room.receive(peers.get('sender')!, step2Frame(captureUpdate(source, (d) => d.getText('t').insert(0, ch))));
  const raw = (update: Uint8Array) => room.receive(peers.get('sender')!, updateFrame(update));
  return { room, edit, step2, raw, source };
}

/**
 * A room with a 10 ms broadcast window and writers `ids`, idle for 100 ms after their greetings; every
 * frame it sends goes to `onSend` (greetings included).
 */
async function idleRoom(ids: string[], onSend: (id: string, bytes: Uint8Array, room: SyncRoom) => void, persistence = createMemoryPersistence()) {
  const clock = createManualClock();
  const room = createSyncRoom({ name: 'test:doc', persistence, clock, limits: { broadcastWindowMs: 10 } });
  await room.whenLoaded;
  const peers = ids.map((id): Peer => ({ id, send: (bytes) => onSend(id, bytes, room), close: () => undefined }));
  for (const p of peers) room.connect(p, { access: 'write', identity: { userId: p.id, name: p.id, color: '#000' } });
  clock.runDeferred();
  clock.advance(100);
  return { clock, room, peers };
}

describe('loading', () => {
  it('[P2] serves nothing until snapshot and later updates are loaded', async () => {
    const persistence = createMemoryPersistence();
    const source = new Y.Doc();
    source.getText('t').insert(0, 'snap');
    await persistence.append('test:doc', [Y.encodeStateAsUpdate(source)]);
    await persistence.compact('test:doc', 1, Y.encodeStateAsUpdate(source));
    await persistence.append('test:doc', [captureUpdate(source, (d) => d.getText('t').insert(4, 'shot'))]);

    const net = createTestNetwork({ persistence });
    networks.push(net);
    const client = net.addClient();
    net.flush();
    expect(client.received).toHaveLength(0);
    expect(client.provider.synced).toBe(false);

    await net.room.whenLoaded;
    expect(net.room.lastSeq).toBe(2);
    net.flush();
    expect(client.provider.synced).toBe(true);
    expect(text(client.doc)).toBe('snapshot');
  });

  it('[P3] queues messages that arrive while loading and applies them after', async () => {
    const persistence = createMemoryPersistence();
    await persistence.append('test:doc', [captureUpdate(new Y.Doc(), (d) => d.getText('t').insert(0, 'stored '))]);
    const net = createTestNetwork({ persistence });
    networks.push(net);
    const writer = net.addClient();
    const reader = net.addClient({ access: 'read' });
    writer.doc.getText('t').insert(0, 'early');
    net.flush(); // delivered to the room while it is still loading
    await net.room.whenLoaded;
    net.flush();
    expect(text(net.room.doc)).toContain('early');
    expect(text(net.room.doc)).toContain('stored');
    expect(text(reader.doc)).toBe(text(net.room.doc));
    expect(text(writer.doc)).toBe(text(net.room.doc));
  });

  it('[P3] cuts off a peer that floods a loading room, and nobody else', async () => {
    const net = createTestNetwork({ limits: { maxQueuedMessages: 4 } });
    networks.push(net);
    const flooder = net.addClient();
    const calm = net.addClient();
    net.flush();
    for (let i = 0; i < 5; i++) flooder.sendRaw(updateFrame(captureUpdate(new Y.Doc(), (d) => d.getText('t').insert(0, 'x'))));
    net.flush();
    expect(flooder.closes).toEqual([{ code: CloseCode.overloaded, reason: 'overloaded' }]);
    expect(flooder.errors.map((e) => e.code)).toEqual(['overloaded']);
    await net.room.whenLoaded;
    calm.doc.getText('t').insert(0, 'fine');
    net.flush();
    expect(text(net.room.doc)).toBe('fine');
    expect(calm.provider.synced).toBe(true);
  });

  it('[P2] closes peers with load_failed when persistence cannot load', async () => {
    const persistence = { ...createMemoryPersistence(), load: () => Promise.reject(new Error('db down')) };
    const errors: string[] = [];
    const net = createTestNetwork({ persistence, onError: (_e, ctx) => errors.push(ctx.phase) });
    networks.push(net);
    const client = net.addClient();
    await expect(net.room.whenLoaded).rejects.toThrow('db down');
    net.flush();
    expect(client.errors.map((e) => e.code)).toEqual(['load_failed']);
    expect(client.closes[0]?.code).toBe(CloseCode.loadFailed);
    expect(errors).toContain('load');
    const late = net.addClient();
    expect(late.closes[0]?.code).toBe(CloseCode.loadFailed);
  });
});

describe('handshake', () => {
  it('[P4] tells each peer its access and asks writers, not readers, for what it lacks', async () => {
    const net = await network();
    const writer = net.addClient();
    const reader = net.addClient({ access: 'read' });
    net.flush();
    const syncTypes = (frames: ReturnType<typeof framesOf>) => frames.map((f) => f.type).filter((t) => t !== 'awareness');
    expect(syncTypes(framesOf(writer))).toEqual(['access', 'sync-step1', 'sync-step2']);
    expect(syncTypes(framesOf(reader))).toEqual(['access', 'sync-step2']);
    expect(writer.provider.access).toBe('write');
    expect(reader.provider.access).toBe('read');
    expect(writer.provider.synced && reader.provider.synced).toBe(true);
  });

  it('[P4] edits made while disconnected reach the room and the others on reconnect', async () => {
    const net = await network();
    const a = net.addClient();
    const b = net.addClient();
    a.doc.getText('t').insert(0, 'hello');
    net.flush();
    a.disconnect();
    a.doc.getText('t').insert(5, ' offline');
    b.doc.getText('t').insert(0, '> ');
    net.flush();
    expect(text(net.room.doc)).toBe('> hello');
    a.reconnect();
    net.flush();
    expect(text(net.room.doc)).toBe('> hello offline');
    expect(text(b.doc)).toBe('> hello offline');
    expect(text(a.doc)).toBe('> hello offline');
  });
});

describe('access', () => {
  it('[P5] refuses updates and sync-step-2 from read-only peers; they still sync and receive', async () => {
    const net = await network();
    const writer = net.addClient();
    const reader = net.addClient({ access: 'read' });
    writer.doc.getText('t').insert(0, 'base');
    net.flush();
    const before = stateOf(net.room.doc);
    const writerMark = writer.received.length;

    reader.doc.getText('t').insert(0, 'sneaky '); // sent by the provider as an update message
    reader.sendRaw(step2Frame(captureUpdate(new Y.Doc(), (d) => d.getText('t').insert(0, 'step2 '))));
    net.flush();

    expect(stateOf(net.room.doc)).toEqual(before);
    expect(reader.errors.map((e) => e.code)).toEqual(['read_only', 'read_only']);
    expect(writer.received.length).toBe(writerMark);

    writer.doc.getText('t').insert(4, '!');
    net.flush();
    expect(text(net.room.doc)).toBe('base!');
    expect(text(reader.doc)).toContain('base!');
  });

  it('[P6] freeze makes everyone read-only and refuses server changes', async () => {
    const net = await network();
    const writer = net.addClient();
    writer.doc.getText('t').insert(0, 'final');
    net.flush();
    net.room.freeze();
    net.flush();
    expect(writer.provider.access).toBe('read');
    writer.doc.getText('t').insert(0, 'late ');
    net.flush();
    expect(text(net.room.doc)).toBe('final');
    expect(writer.errors.map((e) => e.code)).toEqual(['read_only']);
    await expect(net.room.transact((doc) => doc.getText('t').insert(0, 'x'))).rejects.toThrow(/frozen/);
    const late = net.addClient();
    net.flush();
    expect(late.provider.access).toBe('read');
    expect(text(late.doc)).toBe('final');
  });

  for (const option of [{ frozen: true }, { access: 'read' as const }]) {
    it(`[P6] a room created with ${JSON.stringify(option)} refuses writes from the start`, async () => {
      const clock = createManualClock();
      const room = createSyncRoom({ name: 'test:doc', persistence: createMemoryPersistence(), clock, ...option });
      const net = await network({ room, clock });
      const writer = net.addClient();
      writer.doc.getText('t').insert(0, 'x');
      net.flush();
      expect(text(net.room.doc)).toBe('');
      expect(writer.provider.access).toBe('read');
      expect(writer.errors.map((e) => e.code)).toEqual(['read_only']);
    });
  }

  it('[P6] setAccess revokes and grants live; granted peers hand over their refused edits', async () => {
    const net = await network();
    const a = net.addClient();
    const b = net.addClient();
    net.flush();
    net.room.setAccess(a.peerId!, 'read');
    net.flush();
    expect(a.provider.access).toBe('read');
    a.doc.getText('t').insert(0, 'draft');
    net.flush();
    expect(text(net.room.doc)).toBe('');
    expect(a.errors.map((e) => e.code)).toEqual(['read_only']);
    net.room.setAccess(a.peerId!, 'write');
    net.flush();
    expect(a.provider.access).toBe('write');
    expect(text(net.room.doc)).toBe('draft');
    expect(text(b.doc)).toBe('draft');
  });

  it('[P6] kick closes the peer with a reason and removes its presence', async () => {
    const net = await network();
    const a = net.addClient();
    const b = net.addClient();
    net.flush();
    a.awareness!.setLocalStateField('cursor', 1);
    net.advance(100); // past the presence throttle
    expect(b.awareness!.getStates().has(a.doc.clientID)).toBe(true);
    net.room.kick(a.peerId!, 'removed from project');
    net.flush();
    expect(a.errors).toEqual([{ code: 'kicked', message: 'removed from project' }]);
    expect(a.closes).toEqual([{ code: CloseCode.kicked, reason: 'removed from project' }]);
    expect(a.connected).toBe(false);
    expect(b.awareness!.getStates().has(a.doc.clientID)).toBe(false);
    expect(net.room.peerCount).toBe(1);
  });
});

describe('hostile updates', () => {
  /** Sends `bytes` from an attacker and checks: one error to it, nothing changed, nothing to others, room still works. */
  const expectRefused = async (bytes: Uint8Array, code: string, limits: TestNetworkOptions['limits'] = {}) => {
    const net = await network({ limits });
    const attacker = net.addClient();
    const victim = net.addClient();
    victim.doc.getText('t').insert(0, 'safe');
    net.flush();
    const before = stateOf(net.room.doc);
    const mark = victim.received.length;
    attacker.sendRaw(bytes);
    net.flush();
    expect(stateOf(net.room.doc)).toEqual(before);
    expect(attacker.errors.map((e) => e.code)).toEqual([code]);
    expect(victim.received.length).toBe(mark);
    expect(victim.errors).toEqual([]);
    victim.doc.getText('t').insert(4, '!');
    attacker.doc.getText('t').insert(0, '>');
    net.flush();
    expect(text(net.room.doc)).toBe('>safe!');
    expect(text(attacker.doc)).toBe('>safe!');
  };

  it('[P10] refuses an empty frame', () => expectRefused(new Uint8Array(), 'malformed_message'));
  it('[P10] refuses an unknown message type', () => expectRefused(new Uint8Array([42, 1, 2]), 'malformed_message'));
  it('[P10] refuses frames that only the server sends', () =>
    expectRefused(encodeFrame({ type: 'access', access: 'write' }), 'unexpected_message'));
  it('[P8] refuses an empty update', () => expectRefused(updateFrame(new Uint8Array()), 'malformed_update'));
  it('[P10] refuses a malformed state vector', () =>
    expectRefused(encodeFrame({ type: 'sync-step1', stateVector: new Uint8Array([5, 1]) }), 'malformed_message'));
  it('[P7] refuses an update over the size limit', () => {
    const update = captureUpdate(new Y.Doc(), (d) => d.getText('t').insert(0, 'y'.repeat(5_000)));
    return expectRefused(updateFrame(update), 'update_too_large', { maxUpdateBytes: 4_000 });
  });
  it('[P8] refuses structs with absurd clocks', () => expectRefused(updateFrame(craftStruct('deleted', 2 ** 50)), 'malformed_update'));
  it('[P8] refuses absurd delete ranges', () => expectRefused(step2Frame(craftDeleteRange(3, 0, 2 ** 52)), 'malformed_update'));
  it('[P8] refuses sub-documents', () => {
    const update = captureUpdate(new Y.Doc(), (d) => d.getMap('m').set('sub', new Y.Doc()));
    return expectRefused(updateFrame(update), 'malformed_update');
  });

  it('[P8] refuses every truncation of a real update that does not decode, leaving the doc untouched', async () => {
    const update = sampleUpdate();
    const net = await network();
    const attacker = net.addClient();
    const victim = net.addClient();
    net.flush();
    let refused = 0;
    for (let len = 1; len < update.byteLength; len++) {
      const before = stateOf(net.room.doc);
      const errorsBefore = attacker.errors.length;
      attacker.sendRaw(updateFrame(update.slice(0, len)));
      net.flush();
      if (attacker.errors.length > errorsBefore) {
        refused++;
        expect(stateOf(net.room.doc)).toEqual(before);
      }
    }
    expect(refused).toBeGreaterThan(update.byteLength / 2);
    expect(victim.errors).toEqual([]);
    expect(stateOf(victim.doc)).toEqual(stateOf(net.room.doc));
  });

  it("[P8] survives yjs's crafted limit vectors sent as update and step-2 payloads", async () => {
    const net = await network();
    const attacker = net.addClient();
    const victim = net.addClient();
    victim.doc.getText('t').insert(0, 'safe');
    net.flush();
    const before = stateOf(net.room.doc);
    for (const bytes of Object.values(yjsLimitVectors)) {
      attacker.sendRaw(updateFrame(bytes));
      attacker.sendRaw(step2Frame(bytes));
      attacker.sendRaw(bytes); // and as a raw frame
    }
    net.flush();
    expect(stateOf(net.room.doc)).toEqual(before);
    expect(victim.errors).toEqual([]);
    victim.doc.getText('t').insert(0, 'still ');
    net.flush();
    expect(text(attacker.doc)).toBe('still safe');
  });

  it('[P10] random bytes are refused or accepted consistently; the room keeps serving', async () => {
    const net = await network();
    const attacker = net.addClient();
    const victim = net.addClient();
    net.flush();
    const rng = createRng(99);
    for (let i = 0; i < 300; i++) {
      const bytes = new Uint8Array(1 + Math.floor(rng() * 60)).map(() => Math.floor(rng() * 256));
      // Half of them get a valid frame header so the update checks are reached.
      attacker.sendRaw(i % 2 === 0 ? bytes : updateFrame(bytes));
    }
    net.flush();
    victim.doc.getText('t').insert(0, 'alive');
    net.flush();
    expect(text(victim.doc)).toContain('alive');
    expect(victim.errors).toEqual([]);
    expect(contentOf(victim.doc)).toEqual(contentOf(net.room.doc));
    expect(attacker.errors.length).toBeGreaterThan(250);
  });

  it('[P9] drops pending structs past the bound instead of growing forever', async () => {
    const reports: string[] = [];
    const net = await network({ limits: { maxPendingBytes: 100 }, onError: (e) => reports.push(String(e)) });
    const attacker = net.addClient();
    net.flush();
    const origin = new Y.Doc();
    origin.getText('t').insert(0, 'never sent');
    for (let i = 0; i < 20; i++) {
      // Each depends on the one before, which the room never gets.
      attacker.sendRaw(updateFrame(captureUpdate(origin, (d) => d.getText('t').insert(0, `gap ${i} `))));
    }
    net.flush();
    expect(net.room.doc.store.pendingStructs?.update.byteLength ?? 0).toBeLessThanOrEqual(100);
    expect(reports.some((r) => r.includes('pending'))).toBe(true);
  });

  it('[P11] an update that completes pending structs reaches their author too', async () => {
    const net = await network();
    const a = net.addClient();
    const b = net.addClient();
    net.flush();
    // b's update depends on content only a will send.
    const shared = new Y.Doc();
    const first = captureUpdate(shared, (d) => d.getText('t').insert(0, 'first'));
    const second = captureUpdate(shared, (d) => d.getText('t').insert(5, ' second'));
    b.sendRaw(updateFrame(second));
    net.flush();
    expect(text(net.room.doc)).toBe('');
    a.sendRaw(updateFrame(first));
    net.flush();
    expect(text(net.room.doc)).toBe('first second');
    expect(text(a.doc)).toBe('first second');
    expect(text(b.doc)).toBe('first second');
  });
});

describe('broadcast', () => {
  it('[P11] with a broadcast window, a change after a quiet spell goes out at once and changes inside the window wait for its end', async () => {
    const net = await network({ limits: { broadcastWindowMs: 10 } });
    const a = net.addClient();
    const b = net.addClient();
    net.flush();
    net.advance(100);
    const mb = b.received.length;
    a.doc.getText('t').insert(0, 'x');
    net.flush();
    expect(countFrames(b, 'sync-update', mb)).toBe(1);
    a.doc.getText('t').insert(1, 'y');
    net.flush();
    a.doc.getText('t').insert(2, 'z');
    net.flush();
    expect(countFrames(b, 'sync-update', mb)).toBe(1);
    net.advance(10);
    expect(countFrames(b, 'sync-update', mb)).toBe(2);
    expect(text(b.doc)).toBe('xyz');
  });

  it('[P11] with a broadcast window, steady light traffic (one change per 5 ms) is never held: each change goes out at the end of its turn', async () => {
    const net = await network({ limits: { broadcastWindowMs: 10 } });
    const a = net.addClient();
    const b = net.addClient();
    net.flush();
    net.advance(100);
    const mb = b.received.length;
    for (let i = 0; i < 40; i++) {
      a.doc.getText('t').insert(i, 'x');
      net.flush(); // the end of this turn, no time passes
      expect(countFrames(b, 'sync-update', mb)).toBe(i + 1);
      net.advance(5);
    }
    expect(text(b.doc)).toBe('x'.repeat(40));
  });

  it('[P11] with a broadcast window, a sustained burst is coalesced (at most one frame per window) and the room sends at once again after a quiet spell', async () => {
    const net = await network({ limits: { broadcastWindowMs: 10 } });
    const a = net.addClient();
    const b = net.addClient();
    const c = net.addClient({ access: 'read' });
    net.flush();
    net.advance(100);
    const [mb, mc] = [b.received.length, c.received.length];
    // 200 changes, one every 0.5 ms, each in its own turn: 100 ms of a busy room.
    for (let i = 0; i < 200; i++) {
      a.doc.getText('t').insert(i, 'y');
      net.flush();
      net.advance(0.5);
    }
    net.advance(20);
    const frames = countFrames(b, 'sync-update', mb);
    expect(frames).toBeGreaterThanOrEqual(2);
    expect(frames).toBeLessThanOrEqual(20); // ~10 windows plus the ramp-up
    expect(countFrames(c, 'sync-update', mc)).toBe(frames);
    expect(text(b.doc)).toBe('y'.repeat(200));
    expect(text(c.doc)).toBe('y'.repeat(200));
    // Quiet again: the next change is not held.
    net.advance(100);
    const quiet = b.received.length;
    a.doc.getText('t').insert(0, 'z');
    net.flush();
    expect(countFrames(b, 'sync-update', quiet)).toBe(1);
    expect(text(b.doc)).toBe('z' + 'y'.repeat(200));
  });

  it('[P11] with a broadcast window, a room that calms down from a burst to light traffic stops holding changes within a few of them', async () => {
    const net = await network({ limits: { broadcastWindowMs: 10 } });
    const a = net.addClient();
    const b = net.addClient();
    net.flush();
    net.advance(100);
    for (let i = 0; i < 100; i++) {
      a.doc.getText('t').insert(0, 'y');
      net.flush();
      net.advance(0.5);
    }
    // Straight on at one change per 4 ms (under the window): held at first, then sent at the end of each turn.
    const sentAtOnce: boolean[] = [];
    for (let i = 0; i < 20; i++) {
      const mark = b.received.length;
      a.doc.getText('t').insert(0, 'z');
      net.flush();
      sentAtOnce.push(countFrames(b, 'sync-update', mark) === 1);
      net.advance(4);
    }
    expect(sentAtOnce.slice(6)).toEqual(Array(14).fill(true));
    expect(sentAtOnce.slice(0, 6)).toContain(false);
    expect(text(b.doc)).toBe(text(a.doc));
  });

  it('[P11] merges one turn of updates into one frame and does not echo it to its sender', async () => {
    const net = await network();
    const a = net.addClient();
    const b = net.addClient();
    const c = net.addClient({ access: 'read' });
    net.flush();
    const [ma, mb, mc] = [a.received.length, b.received.length, c.received.length];
    for (const ch of 'abc') a.doc.getText('t').insert(0, ch);
    net.flush();
    expect(countFrames(a, 'sync-update', ma)).toBe(0);
    expect(countFrames(b, 'sync-update', mb)).toBe(1);
    expect(countFrames(c, 'sync-update', mc)).toBe(1);
    expect(text(b.doc)).toBe('cba');
  });

  it('[P11] with maxExcludedSenders 0 every change goes to everyone, its sender included, as one frame', async () => {
    const net = await network({ limits: { maxExcludedSenders: 0 } });
    const a = net.addClient();
    const b = net.addClient();
    net.flush();
    const [ma, mb] = [a.received.length, b.received.length];
    a.doc.getText('t').insert(0, 'x');
    net.flush();
    expect(countFrames(a, 'sync-update', ma)).toBe(1);
    expect(countFrames(b, 'sync-update', mb)).toBe(1);
    expect(text(b.doc)).toBe('x');
  });

  it('[P11] with several senders in a turn, each gets the others’ changes and bystanders get one frame', async () => {
    const net = await network();
    const a = net.addClient();
    const b = net.addClient();
    const c = net.addClient();
    net.flush();
    const [ma, mb, mc] = [a.received.length, b.received.length, c.received.length];
    a.doc.getMap('m').set('a', 1);
    b.doc.getMap('m').set('b', 2);
    net.flush();
    expect(countFrames(a, 'sync-update', ma)).toBe(1);
    expect(countFrames(b, 'sync-update', mb)).toBe(1);
    expect(countFrames(c, 'sync-update', mc)).toBe(1);
    for (const client of [a, b, c]) expect(client.doc.getMap('m').toJSON()).toEqual({ a: 1, b: 2 });
  });

  it('[P11] hands each broadcast frame to all its recipients in a row, so the transport can encode it once', async () => {
    const clock = createManualClock();
    const room = createSyncRoom({ name: 'test:doc', persistence: createMemoryPersistence(), clock });
    await room.whenLoaded;
    const log: Array<{ peer: string; bytes: Uint8Array }> = [];
    const peer = (id: string): Peer => ({ id, send: (bytes) => log.push({ peer: id, bytes }), close: () => undefined });
    const ids = ['by1', 'sender', 'by2', 'by3'];
    for (const id of ids) room.connect(peer(id), { access: 'write', identity: { userId: id, name: id, color: '#000' } });
    clock.runDeferred();
    log.length = 0;
    // 100 changes from one sender in one turn: two merge chunks (at most 64 each), to three bystanders.
    const source = new Y.Doc();
    for (let i = 0; i < 100; i++) room.receive(peer('sender'), updateFrame(captureUpdate(source, (d) => d.getText('t').insert(0, String(i % 10)))));
    clock.runDeferred();
    const runs: Array<{ bytes: Uint8Array; peers: string[] }> = [];
    for (const entry of log) {
      const last = runs.at(-1);
      if (last?.bytes === entry.bytes) last.peers.push(entry.peer);
      else runs.push({ bytes: entry.bytes, peers: [entry.peer] });
    }
    expect(runs).toHaveLength(2);
    for (const run of runs) expect(run.peers.sort()).toEqual(['by1', 'by2', 'by3']);
    expect(log.some((e) => e.peer === 'sender')).toBe(false);
    await room.destroy();
  });

  it('[P11] with a broadcast window, a live change goes out within its receive call when the room is idle; a catch-up (sync step 2) sooner than half a window waits for the end of its turn', async () => {
    const clock = createManualClock();
    const log: string[] = [];
    const { room, edit, step2 } = await quietRoom(clock, clock, (id) => log.push(id));
    edit('a');
    expect(log).toEqual(['by']); // no turn had to end
    clock.advance(2); // past the spacing, less than half the window
    edit('b');
    expect(log).toEqual(['by', 'by']);
    clock.advance(2);
    step2('c'); // not forwarded as it came: applied, then at the end of the turn
    expect(log).toHaveLength(2);
    clock.runDeferred();
    expect(log).toEqual(['by', 'by', 'by']);
    clock.advance(5); // half a window since the last broadcast: out from the receive call after applying
    step2('d');
    expect(log).toHaveLength(4);
    expect(room.doc.getText('t').toString()).toBe('dcba');
    await room.destroy();
  });

  it('[P11] an idle room sends a live change as it came, before applying it: once, to everyone but its sender; the log still gets it', async () => {
    const persistence = createMemoryPersistence();
    const got: Array<{ id: string; bytes: Uint8Array; applied: string }> = [];
    const { clock, room, peers } = await idleRoom(['sender', 'by1', 'by2'], (id, bytes, r) => got.push({ id, bytes, applied: text(r.doc) }), persistence);
    got.length = 0;
    const source = new Y.Doc();
    const first = captureUpdate(source, (d) => d.getText('t').insert(0, 'hello'));
    room.receive(peers[0]!, updateFrame(first));
    expect(got.map((g) => g.id)).toEqual(['by1', 'by2']);
    for (const g of got) {
      expect(g.applied).toBe(''); // sent before the document applied it
      expect(decodeFrame(g.bytes)).toEqual({ type: 'sync-update', update: first });
    }
    expect(text(room.doc)).toBe('hello');
    clock.runDeferred();
    clock.advance(100);
    expect(got).toHaveLength(2); // not broadcast again from the document's update event
    // A deletion of what the room has, and an insertion into it, from another writer: both go as they came.
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(room.doc));
    const second = captureUpdate(other, (d) => {
      d.getText('t').delete(0, 1);
      d.getText('t').insert(4, '!');
    });
    room.receive(peers[1]!, updateFrame(second));
    expect(got.slice(2).map((g) => [g.id, g.applied])).toEqual([['sender', 'hello'], ['by2', 'hello']]);
    expect(text(room.doc)).toBe('ello!');
    await room.flush();
    const stored = new Y.Doc();
    for (const u of (await persistence.load('test:doc')).updates) Y.applyUpdate(stored, u);
    expect(text(stored)).toBe('ello!');
    await room.destroy();
  });

  it('[P11] a change is not sent on as it came while an earlier batch waits for the end of its turn (it would overtake it)', async () => {
    const manual = createManualClock();
    let spent = 0; // time that passes within the turn (other work of the loop)
    const clock = { ...manual, now: () => manual.now() + spent };
    const log: string[] = [];
    const { room, edit, step2 } = await quietRoom(clock, manual, (id) => log.push(id));
    edit('a'); // idle: as it came
    expect(log).toEqual(['by']);
    spent += 2;
    step2('b'); // a catch-up: applied, then at the end of the turn
    spent += 1; // the turn goes on; the room has been idle for 1 ms
    edit('c');
    expect(log).toEqual(['by']);
    manual.runDeferred();
    expect(log).toEqual(['by', 'by']); // b and c together, in order
    expect(room.doc.getText('t').toString()).toBe('cba');
    await room.destroy();
  });

  it('[P11] a change that adds nothing (a deletion of what is deleted already) is not sent on', async () => {
    const clock = createManualClock();
    const log: string[] = [];
    const { room, edit, raw, source } = await quietRoom(clock, clock, (id) => log.push(id));
    edit('a');
    clock.advance(100);
    const deletion = captureUpdate(source, (d) => d.getText('t').delete(0, 1));
    raw(deletion);
    clock.runDeferred();
    clock.advance(100);
    expect(log).toEqual(['by', 'by']);
    raw(deletion); // again: changes nothing, so nothing goes out
    raw(deletion);
    clock.runDeferred();
    clock.advance(100);
    expect(log).toEqual(['by', 'by']);
    expect(room.doc.getText('t').toString()).toBe('');
    await room.destroy();
  });

  it('[P8][P11] a live change with bytes after the update is refused, not sent on', async () => {
    const got: Array<{ id: string; type: string }> = [];
    const { clock, room, peers } = await idleRoom(['sender', 'by'], (id, bytes) => got.push({ id, type: decodeFrame(bytes).type }));
    got.length = 0;
    const update = captureUpdate(new Y.Doc(), (d) => d.getText('t').insert(0, 'x'));
    room.receive(peers[0]!, updateFrame(new Uint8Array([...update, 7, 7, 7])));
    clock.runDeferred();
    clock.advance(100);
    expect(got).toEqual([{ id: 'sender', type: 'error' }]);
    expect(text(room.doc)).toBe('');
    await room.destroy();
  });

  it('[P11] a change that would not integrate whole (a gap before it, or someone else\'s structs) is applied before it goes out, as the document has it', async () => {
    const got: Array<{ id: string; update: Uint8Array; applied: string }> = [];
    const { clock, room, peers } = await idleRoom(['sender', 'by'], (id, bytes, r) => {
      const f = decodeFrame(bytes);
      if (f.type === 'sync-update') got.push({ id, update: f.update, applied: text(r.doc) });
    });
    const source = new Y.Doc();
    const first = captureUpdate(source, (d) => d.getText('t').insert(0, 'a'));
    const second = captureUpdate(source, (d) => d.getText('t').insert(1, 'b'));
    room.receive(peers[0]!, updateFrame(second)); // depends on `first`: pending, nothing goes out
    clock.runDeferred();
    clock.advance(100);
    expect(got).toEqual([]);
    room.receive(peers[0]!, updateFrame(first)); // integrates both: everyone gets the result, its sender too
    clock.runDeferred();
    expect(got.map((g) => g.id).sort()).toEqual(['by', 'sender']);
    const seen = new Y.Doc();
    Y.applyUpdate(seen, got[0]!.update);
    expect(text(seen)).toBe('ab');
    // Two clients' structs in one change: applied first, then sent.
    clock.advance(100);
    got.length = 0;
    const mixed = new Y.Doc();
    Y.applyUpdate(mixed, Y.encodeStateAsUpdate(room.doc));
    mixed.getText('t').insert(2, 'c');
    const third = new Y.Doc();
    third.getText('u').insert(0, 'z');
    Y.applyUpdate(mixed, Y.encodeStateAsUpdate(third));
    room.receive(peers[1]!, updateFrame(Y.encodeStateAsUpdate(mixed, Y.encodeStateVector(room.doc))));
    expect(got.map((g) => [g.id, g.applied])).toEqual([['sender', 'abc']]);
    await room.destroy();
  });

  it('[P11] a change read right after a long broadcast (it may have queued behind it, with others) waits for the end of its turn; one after a quiet spell does not', async () => {
    const manual = createManualClock();
    let spent = 0; // time that passes while a peer is being sent to
    const clock = { ...manual, now: () => manual.now() + spent };
    let slow = 0;
    const log: string[] = [];
    const { room, edit } = await quietRoom(clock, manual, (id) => (log.push(id), (spent += slow)));
    slow = 2;
    edit('a'); // idle: out at once, and the send took 2 ms
    expect(log).toEqual(['by']);
    manual.advance(0.3); // past the spacing since it started, but less than W/20 since it ended
    edit('b');
    expect(log).toHaveLength(1);
    manual.runDeferred();
    expect(log).toHaveLength(2);
    slow = 0;
    manual.advance(1); // W/20 and more since the last one ended
    edit('c');
    expect(log).toHaveLength(3);
    expect(room.doc.getText('t').toString()).toBe('cba');
    await room.destroy();
  });

  it('[P11] a broadcast frame goes through the peers\' shared sendMany once, to the open bystanders in order; a room with a peer lacking it sends one by one', async () => {
    const clock = createManualClock();
    const room = createSyncRoom({ name: 'test:doc', persistence: createMemoryPersistence(), clock });
    await room.whenLoaded;
    const single: string[] = [];
    const many: Array<{ peers: string[]; bytes: Uint8Array }> = [];
    const sendMany = (peers: Peer[], bytes: Uint8Array) => many.push({ peers: peers.map((p) => p.id), bytes });
    const peers = new Map<string, Peer>();
    const peer = (id: string, shared = true): Peer => {
      const p: Peer = { id, send: () => single.push(id), ...(shared ? { sendMany } : {}), close: () => undefined };
      peers.set(id, p);
      return p;
    };
    for (const id of ['by1', 'sender', 'by2', 'by3']) room.connect(peer(id), { access: 'write', identity: { userId: id, name: id, color: '#000' } });
    clock.runDeferred();
    single.length = 0;
    const source = new Y.Doc();
    const edit = (ch: string) => room.receive(peers.get('sender')!, updateFrame(captureUpdate(source, (d) => d.getText('t').insert(0, ch))));
    edit('x');
    clock.runDeferred();
    expect(single).toEqual([]);
    expect(many).toHaveLength(1);
    expect(many[0]!.peers).toEqual(['by1', 'by2', 'by3']);
    const frame = decodeFrame(many[0]!.bytes);
    const recipient = new Y.Doc();
    if (frame.type === 'sync-update') Y.applyUpdate(recipient, frame.update);
    expect(recipient.getText('t').toString()).toBe('x');
    // A closed peer is left out.
    room.disconnect(peers.get('by2')!);
    edit('y');
    clock.runDeferred();
    expect(many[1]!.peers).toEqual(['by1', 'by3']);
    // A peer of another transport (no sendMany): every recipient gets the frame through send.
    room.connect(peer('plain', false), { access: 'read', identity: { userId: 'plain', name: 'plain', color: '#000' } });
    clock.runDeferred();
    single.length = 0;
    edit('z');
    clock.runDeferred();
    expect(many).toHaveLength(2);
    expect(single.sort()).toEqual(['by1', 'by3', 'plain']);
    // Once it leaves and another peer joins, the frame goes through sendMany again, to the newcomer too.
    room.disconnect(peers.get('plain')!);
    room.connect(peer('by4'), { access: 'write', identity: { userId: 'by4', name: 'by4', color: '#000' } });
    clock.runDeferred();
    single.length = 0;
    edit('w');
    clock.runDeferred();
    expect(single).toEqual([]);
    expect(many[2]!.peers).toEqual(['by1', 'by3', 'by4']);
    // Down to the sender and one other: that one still gets each change, once.
    for (const id of ['by1', 'by3']) room.disconnect(peers.get(id)!);
    edit('v');
    clock.runDeferred();
    expect(single).toEqual([]);
    expect(many.slice(3).map((m) => m.peers)).toEqual([['by4']]);
    await room.destroy();
  });

  it('[P17] server-side changes go through the room to peers and the log', async () => {
    const net = await network();
    const a = net.addClient();
    net.flush();
    const result = await net.room.transact((doc) => {
      doc.getMap('m').set('status', 'committed');
      return 'done';
    });
    expect(result).toBe('done');
    net.flush();
    expect(a.doc.getMap('m').get('status')).toBe('committed');
    await net.settle();
    const reloaded = createSyncRoom({ name: 'test:doc', persistence: net.persistence, clock: createManualClock() });
    await reloaded.whenLoaded;
    expect(reloaded.doc.getMap('m').get('status')).toBe('committed');
    await reloaded.destroy();
  });

  it('[P24] destroy flushes the log and closes every peer with room_closed', async () => {
    const net = await network();
    const a = net.addClient();
    a.doc.getText('t').insert(0, 'keep me');
    net.flush();
    await net.room.destroy();
    net.flush();
    expect(a.closes[0]?.code).toBe(CloseCode.roomClosed);
    expect(a.errors.map((e) => e.code)).toEqual(['room_closed']);
    const reloaded = createSyncRoom({ name: 'test:doc', persistence: net.persistence });
    await reloaded.whenLoaded;
    expect(text(reloaded.doc)).toBe('keep me');
    const closed: number[] = [];
    const peer: Peer = { id: 'late', send: () => undefined, close: (code) => closed.push(code) };
    net.room.connect(peer, { access: 'write', identity: { userId: 'u', name: 'U', color: '#000' } });
    expect(closed).toEqual([CloseCode.roomClosed]);
    await reloaded.destroy();
  });
});
