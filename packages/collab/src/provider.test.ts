import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { decodeFrame, encodeFrame, type Frame } from './protocol.ts';
import { createDocProvider, type DocTransport, type ProviderStatus } from './provider.ts';
import { createTestNetwork, type TestNetwork } from './testing/test-network.ts';

/** A hand-driven transport: the test plays the server. */
function fakeTransport(open = false) {
  const sent: Frame[] = [];
  const listeners = { message: new Set<(b: Uint8Array) => void>(), open: new Set<() => void>(), close: new Set<() => void>() };
  let isOpen = open;
  const transport: DocTransport = {
    send: (bytes) => sent.push(decodeFrame(bytes)),
    onMessage: (l) => (listeners.message.add(l), () => listeners.message.delete(l)),
    onOpen: (l) => (listeners.open.add(l), () => listeners.open.delete(l)),
    onClose: (l) => (listeners.close.add(l), () => listeners.close.delete(l)),
    isOpen: () => isOpen,
  };
  return {
    transport,
    sent,
    listeners,
    open: () => {
      isOpen = true;
      for (const l of listeners.open) l();
    },
    close: () => {
      isOpen = false;
      for (const l of listeners.close) l();
    },
    deliver: (frame: Frame | Uint8Array) => {
      const bytes = frame instanceof Uint8Array ? frame : encodeFrame(frame);
      for (const l of listeners.message) l(bytes);
    },
  };
}

const networks: TestNetwork[] = [];
afterEach(async () => {
  for (const net of networks.splice(0)) await net.destroy();
});

describe('provider', () => {
  it('[P22] on each open sends step 1 and its presence, and reports status and sync', async () => {
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    const t = fakeTransport();
    const provider = createDocProvider({ doc, awareness, transport: t.transport });
    const statuses: ProviderStatus[] = [];
    provider.on('status', (s) => statuses.push(s));
    expect(provider.status).toBe('connecting');
    expect(t.sent).toEqual([]);
    t.open();
    expect(t.sent.map((f) => f.type)).toEqual(['sync-step1', 'awareness']);
    const synced = provider.whenSynced();
    const server = new Y.Doc();
    server.getText('t').insert(0, 'from server');
    t.deliver({ type: 'sync-step2', update: Y.encodeStateAsUpdate(server) });
    await synced;
    expect(provider.synced).toBe(true);
    expect(doc.getText('t').toString()).toBe('from server');
    t.close();
    expect(provider.synced).toBe(false);
    t.open();
    expect(t.sent.filter((f) => f.type === 'sync-step1')).toHaveLength(2);
    expect(statuses).toEqual(['connected', 'disconnected', 'connected']);
    provider.destroy();
    awareness.destroy();
  });

  it('[P22] answers the server’s step 1 with exactly what the server lacks, and never echoes server updates', () => {
    const doc = new Y.Doc();
    const t = fakeTransport(true);
    const provider = createDocProvider({ doc, transport: t.transport });
    const server = new Y.Doc();
    server.getText('t').insert(0, 'shared');
    t.deliver({ type: 'sync-update', update: Y.encodeStateAsUpdate(server) });
    expect(t.sent.filter((f) => f.type === 'sync-update')).toEqual([]);
    doc.getText('t').insert(6, ' + mine');
    t.deliver({ type: 'sync-step1', stateVector: Y.encodeStateVector(server) });
    const answer = t.sent.find((f) => f.type === 'sync-step2');
    expect(answer?.type).toBe('sync-step2');
    if (answer?.type !== 'sync-step2') return;
    Y.applyUpdate(server, answer.update);
    expect(server.getText('t').toString()).toBe('shared + mine');
    expect(answer.update.byteLength).toBeLessThan(Y.encodeStateAsUpdate(doc).byteLength);
    provider.destroy();
  });

  it('[P23] surfaces error frames and access changes as events', () => {
    const t = fakeTransport(true);
    const provider = createDocProvider({ doc: new Y.Doc(), transport: t.transport });
    const events: string[] = [];
    provider.on('error', (e) => events.push(`error:${e.code}`));
    provider.on('access', (a) => events.push(`access:${a}`));
    t.deliver({ type: 'access', access: 'write' });
    t.deliver({ type: 'error', code: 'read_only', message: 'no' });
    t.deliver({ type: 'access', access: 'read' });
    t.deliver(new Uint8Array([77]));
    t.deliver({ type: 'sync-update', update: new Uint8Array([1, 2, 3]) });
    expect(events).toEqual(['access:write', 'error:read_only', 'access:read', 'error:malformed_message', 'error:apply_failed']);
    expect(provider.access).toBe('read');
    provider.destroy();
  });

  it('[P23] sends nothing while closed and stops listening when destroyed', () => {
    const doc = new Y.Doc();
    const t = fakeTransport();
    const provider = createDocProvider({ doc, transport: t.transport });
    doc.getText('t').insert(0, 'offline');
    expect(t.sent).toEqual([]);
    provider.destroy();
    expect(t.listeners.message.size + t.listeners.open.size + t.listeners.close.size).toBe(0);
    doc.getText('t').insert(0, 'after');
    expect(t.sent).toEqual([]);
  });

  it('[P23] announces its departure when destroyed while connected', async () => {
    const net = createTestNetwork();
    networks.push(net);
    await net.room.whenLoaded;
    const alice = net.addClient();
    const bob = net.addClient();
    alice.awareness!.setLocalStateField('cursor', 3);
    net.advance(100);
    expect(bob.awareness!.getStates().has(alice.doc.clientID)).toBe(true);
    alice.provider.destroy();
    net.advance(100);
    expect(bob.awareness!.getStates().has(alice.doc.clientID)).toBe(false);
  });

  it('[P23] a departure held back by the presence throttle still reaches the others when the socket closes', async () => {
    const net = createTestNetwork();
    networks.push(net);
    await net.room.whenLoaded;
    const alice = net.addClient();
    const bob = net.addClient();
    alice.awareness!.setLocalStateField('cursor', 3);
    net.advance(100);
    alice.awareness!.setLocalStateField('cursor', 4);
    alice.provider.destroy(); // both held back: the 100 ms window of the last forward is still open
    net.flush();
    expect(bob.awareness!.getStates().get(alice.doc.clientID)).toMatchObject({ cursor: 3 });
    alice.disconnect();
    net.flush();
    expect(bob.awareness!.getStates().has(alice.doc.clientID)).toBe(false);
  });
});
