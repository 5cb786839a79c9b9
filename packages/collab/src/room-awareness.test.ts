import { afterEach, describe, expect, it } from 'vitest';
import { encodeAwarenessEntries, encodeFrame } from './protocol.ts';
import { countFrames, framesOf } from './testing/frames.ts';
import type { SyncRoom } from './room.ts';
import { createTestNetwork, type TestClient, type TestNetwork, type TestNetworkOptions } from './testing/test-network.ts';

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

const awarenessFrame = (entries: Array<{ clientId: number; clock: number; state: unknown }>): Uint8Array =>
  encodeFrame({
    type: 'awareness',
    update: encodeAwarenessEntries(entries.map((e) => ({ clientId: e.clientId, clock: e.clock, json: JSON.stringify(e.state) }))),
  });

const stateSeenBy = (observer: TestClient, subject: TestClient): Record<string, unknown> | undefined =>
  observer.awareness!.getStates().get(subject.doc.clientID);

describe('presence', () => {
  it('[P13] stamps the server-known identity over whatever the client claims', async () => {
    const net = await network();
    const mallory = net.addClient({ identity: { userId: 'u-mallory', name: 'Mallory', color: '#f00' } });
    const bob = net.addClient();
    net.flush();
    mallory.awareness!.setLocalState({ cursor: { index: 4 }, user: { userId: 'u-admin', name: 'Admin', color: '#000' } });
    net.advance(100);
    expect(stateSeenBy(bob, mallory)).toEqual({
      cursor: { index: 4 },
      user: { userId: 'u-mallory', name: 'Mallory', color: '#f00' },
    });
  });

  it('[P13] relays only what the room’s presence filter keeps, given the sender’s access', async () => {
    const seen: string[] = [];
    const net = await network({
      presenceFilter: (state, access) => {
        seen.push(access);
        return access === 'write' ? { cursor: state.cursor } : {};
      },
    });
    const writer = net.addClient({ identity: { userId: 'u-w', name: 'W', color: '#0f0' } });
    const reader = net.addClient({ access: 'read', identity: { userId: 'u-r', name: 'R', color: '#00f' } });
    const bob = net.addClient();
    net.flush();
    writer.awareness!.setLocalState({ cursor: 2, vote: 'canary-w' });
    reader.awareness!.setLocalState({ cursor: 5, vote: 'canary-r' });
    net.advance(100);
    expect(stateSeenBy(bob, writer)).toEqual({ cursor: 2, user: { userId: 'u-w', name: 'W', color: '#0f0' } });
    expect(stateSeenBy(bob, reader)).toEqual({ user: { userId: 'u-r', name: 'R', color: '#00f' } });
    expect(seen).toEqual(expect.arrayContaining(['write', 'read']));
    const bytes = Buffer.concat(bob.received.map((b) => Buffer.from(b)));
    expect(bytes.includes('canary')).toBe(false);
  });

  it('[P12] refuses states for client ids the peer does not own, and forwards nothing', async () => {
    const net = await network();
    const alice = net.addClient();
    const mallory = net.addClient({ awareness: false });
    const bob = net.addClient();
    net.flush();
    alice.awareness!.setLocalStateField('cursor', 1);
    net.advance(100);
    const mark = bob.received.length;
    // Mallory first claims an id of her own, then tries to overwrite and to remove Alice's presence.
    mallory.sendRaw(awarenessFrame([{ clientId: 1234, clock: 1, state: { cursor: 0 } }]));
    net.advance(100);
    mallory.sendRaw(awarenessFrame([{ clientId: alice.doc.clientID, clock: 99, state: { cursor: 666 } }]));
    mallory.sendRaw(awarenessFrame([{ clientId: alice.doc.clientID, clock: 100, state: null }]));
    net.advance(1_000);
    expect(stateSeenBy(bob, alice)).toMatchObject({ cursor: 1 });
    expect(mallory.errors.map((e) => e.code)).toEqual(['awareness_refused', 'awareness_refused']);
    const forwarded = framesOf(bob, mark).filter((f) => f.type === 'awareness');
    expect(forwarded).toHaveLength(1); // Mallory's own id only
  });

  it("[P12] refuses a first message that claims another user's client id", async () => {
    const net = await network();
    const alice = net.addClient();
    const mallory = net.addClient({ awareness: false });
    const bob = net.addClient();
    net.flush();
    alice.awareness!.setLocalStateField('cursor', 1);
    net.advance(100);
    mallory.sendRaw(awarenessFrame([{ clientId: alice.doc.clientID, clock: 50, state: { cursor: 9 } }]));
    net.advance(100);
    expect(mallory.errors.map((e) => e.code)).toEqual(['awareness_refused']);
    expect(stateSeenBy(bob, alice)).toMatchObject({ cursor: 1 });
  });

  it('[P12] limits how many client ids one connection may speak for', async () => {
    const net = await network();
    const mallory = net.addClient({ awareness: false });
    const bob = net.addClient();
    net.flush();
    const mark = bob.received.length;
    mallory.sendRaw(awarenessFrame([1, 2, 3, 4, 5].map((clientId) => ({ clientId, clock: 1, state: {} }))));
    net.advance(100);
    expect(mallory.errors.map((e) => e.code)).toEqual(['awareness_refused']);
    expect(countFrames(bob, 'awareness', mark)).toBe(0);
  });

  it('[P12] the same user reconnecting takes its presence over from the stale connection', async () => {
    const net = await network();
    const alice = net.addClient();
    const bob = net.addClient();
    net.flush();
    alice.awareness!.setLocalStateField('cursor', 1);
    net.advance(100);
    // A second connection of the same user, with the same awareness client id (a reconnect the server has not noticed).
    const again = net.addClient({ identity: { userId: alice.identity.userId }, awareness: false });
    net.flush();
    again.sendRaw(awarenessFrame([{ clientId: alice.doc.clientID, clock: 5, state: { cursor: 2 } }]));
    net.advance(100);
    expect(again.errors).toEqual([]);
    expect(stateSeenBy(bob, alice)).toMatchObject({ cursor: 2 });
    // The stale connection dropping does not take the live presence with it.
    alice.disconnect();
    net.flush();
    expect(stateSeenBy(bob, alice)).toMatchObject({ cursor: 2 });
  });

  it("[P12][P15] a presence id stays reserved for its user while they are briefly away: another user is refused, the owner gets it back", async () => {
    const net = await network();
    const alice = net.addClient();
    const mallory = net.addClient({ awareness: false });
    const bob = net.addClient();
    net.flush();
    alice.awareness!.setLocalStateField('cursor', 1);
    net.advance(100);
    alice.disconnect();
    net.flush();
    expect(stateSeenBy(bob, alice)).toBeUndefined();
    // While Alice is away, Mallory claims Alice's id (she saw it in the presence frames).
    const mark = bob.received.length;
    mallory.sendRaw(awarenessFrame([{ clientId: alice.doc.clientID, clock: 500, state: { cursor: 666 } }]));
    net.advance(100);
    expect(mallory.errors.map((e) => e.code)).toEqual(['awareness_refused']);
    expect(countFrames(bob, 'awareness', mark)).toBe(0);
    // Alice comes back within the reservation and speaks for her id again.
    alice.reconnect();
    net.advance(100);
    expect(alice.errors).toEqual([]);
    expect(stateSeenBy(bob, alice)).toMatchObject({ cursor: 1, user: { userId: alice.identity.userId } });
    // Mallory still cannot take it over while Alice is connected.
    mallory.sendRaw(awarenessFrame([{ clientId: alice.doc.clientID, clock: 900, state: { cursor: 667 } }]));
    net.advance(100);
    expect(mallory.errors.map((e) => e.code)).toEqual(['awareness_refused', 'awareness_refused']);
    expect(stateSeenBy(bob, alice)).toMatchObject({ cursor: 1, user: { userId: alice.identity.userId } });
  });

  it('[P12][P15] the reservation of an absent user\'s presence id ends after awarenessReserveMs', async () => {
    const net = await network({ limits: { awarenessReserveMs: 30_000 } });
    const alice = net.addClient();
    const mallory = net.addClient({ awareness: false });
    const bob = net.addClient();
    alice.awareness!.setLocalStateField('cursor', 1);
    net.advance(100);
    alice.disconnect();
    net.flush();
    net.advance(29_000);
    mallory.sendRaw(awarenessFrame([{ clientId: alice.doc.clientID, clock: 500, state: { cursor: 666 } }]));
    net.advance(100);
    expect(mallory.errors.map((e) => e.code)).toEqual(['awareness_refused']);
    net.advance(1_000);
    // 30 s after Alice left, her id is free again (her own client has timed her state out by then).
    mallory.sendRaw(awarenessFrame([{ clientId: alice.doc.clientID, clock: 501, state: { cursor: 666 } }]));
    net.advance(100);
    expect(mallory.errors.map((e) => e.code)).toEqual(['awareness_refused']);
    expect(stateSeenBy(bob, alice)).toMatchObject({ cursor: 666, user: { userId: mallory.identity.userId } });
  });

  it('[P12][P15] reservations are bounded in number per room: the oldest is released first', async () => {
    const net = await network({ limits: { maxReservedAwarenessIds: 2 } });
    const mallory = net.addClient({ awareness: false });
    const bob = net.addClient();
    const away = [net.addClient(), net.addClient(), net.addClient()];
    for (const [i, c] of away.entries()) c.awareness!.setLocalStateField('cursor', i);
    net.advance(100);
    for (const c of away) {
      c.disconnect();
      net.advance(10);
    }
    // Three ids were reserved, at most two are kept: the first to leave lost its reservation.
    mallory.sendRaw(awarenessFrame([{ clientId: away[1]!.doc.clientID, clock: 500, state: {} }]));
    net.advance(100);
    expect(mallory.errors.map((e) => e.code)).toEqual(['awareness_refused']);
    mallory.sendRaw(awarenessFrame([{ clientId: away[0]!.doc.clientID, clock: 500, state: { cursor: 9 } }]));
    net.advance(100);
    expect(mallory.errors.map((e) => e.code)).toEqual(['awareness_refused']);
    expect(stateSeenBy(bob, away[0]!)).toMatchObject({ cursor: 9, user: { userId: mallory.identity.userId } });
  });

  it('[P14] throttles each peer to one presence frame per window, sending the latest at its end', async () => {
    const net = await network();
    const alice = net.addClient();
    const bob = net.addClient();
    net.advance(1_000);
    const mark = bob.received.length;
    for (let i = 1; i <= 5; i++) {
      alice.awareness!.setLocalStateField('cursor', i);
      net.advance(10);
    }
    // The first change goes out at once, the rest wait for the window, then only the latest goes.
    expect(countFrames(bob, 'awareness', mark)).toBe(1);
    expect(stateSeenBy(bob, alice)).toMatchObject({ cursor: 1 });
    net.advance(50);
    expect(countFrames(bob, 'awareness', mark)).toBe(2);
    expect(stateSeenBy(bob, alice)).toMatchObject({ cursor: 5 });
  });

  it('[P14] drops renewals that change nothing, but still renews before clients time states out', async () => {
    const net = await network();
    const alice = net.addClient();
    const bob = net.addClient();
    alice.awareness!.setLocalStateField('cursor', 1);
    net.advance(1_000);
    const mark = bob.received.length;
    for (let i = 0; i < 5; i++) {
      alice.awareness!.setLocalState(alice.awareness!.getLocalState());
      net.advance(1_000);
    }
    expect(countFrames(bob, 'awareness', mark)).toBe(0);
    net.advance(10_000);
    alice.awareness!.setLocalState(alice.awareness!.getLocalState());
    net.advance(100);
    expect(countFrames(bob, 'awareness', mark)).toBe(1);
  });

  it('[P15] removes the presence of a peer that disconnects, at once', async () => {
    const net = await network();
    const alice = net.addClient();
    const bob = net.addClient();
    alice.awareness!.setLocalStateField('cursor', 1);
    net.advance(100);
    expect(stateSeenBy(bob, alice)).toBeDefined();
    alice.disconnect();
    net.flush();
    expect(stateSeenBy(bob, alice)).toBeUndefined();
  });

  it('[P15] a peer that drops and comes back is shown again without changing its state', async () => {
    const net = await network();
    const alice = net.addClient();
    const bob = net.addClient();
    alice.awareness!.setLocalStateField('cursor', 1);
    net.advance(100);
    alice.disconnect();
    net.flush();
    expect(stateSeenBy(bob, alice)).toBeUndefined();
    alice.reconnect();
    net.advance(100);
    expect(stateSeenBy(bob, alice)).toMatchObject({ cursor: 1, user: { userId: alice.identity.userId } });
  });

  it('[P15] sends current presence to newcomers, and read-only peers may show theirs', async () => {
    const net = await network();
    const alice = net.addClient();
    const reader = net.addClient({ access: 'read' });
    alice.awareness!.setLocalStateField('cursor', 1);
    reader.awareness!.setLocalStateField('cursor', 7);
    net.advance(100);
    expect(stateSeenBy(alice, reader)).toMatchObject({ cursor: 7, user: { userId: reader.identity.userId } });
    const late = net.addClient();
    net.flush();
    expect(stateSeenBy(late, alice)).toMatchObject({ cursor: 1 });
    expect(stateSeenBy(late, reader)).toMatchObject({ cursor: 7 });
    expect(reader.errors).toEqual([]);
  });

  it('[P23] a provider forgets remote presence when its connection closes and relearns it on open', async () => {
    const net = await network();
    const alice = net.addClient();
    const bob = net.addClient();
    alice.awareness!.setLocalStateField('cursor', 1);
    net.advance(100);
    bob.disconnect();
    expect(stateSeenBy(bob, alice)).toBeUndefined();
    bob.reconnect();
    net.flush();
    expect(stateSeenBy(bob, alice)).toMatchObject({ cursor: 1 });
  });
});

describe('presence across nodes', () => {
  /** Two rooms of one document on two "nodes", each relaying its presence to the other (as PostgreSQL NOTIFY does). */
  async function twoNodes() {
    const relay: { a: SyncRoom | null; b: SyncRoom | null } = { a: null, b: null };
    const a = await network({ onPresenceOut: (e) => relay.b?.applyRemotePresence(e) });
    const b = await network({ onPresenceOut: (e) => relay.a?.applyRemotePresence(e) });
    relay.a = a.room;
    relay.b = b.room;
    return { a, b };
  }

  it('[P25] a client on one node sees the presence of a client on another, and its departure', async () => {
    const { a, b } = await twoNodes();
    const alice = a.addClient({ identity: { userId: 'u-alice', name: 'Alice', color: '#f00' } });
    const bob = b.addClient();
    a.flush();
    b.flush();
    alice.awareness!.setLocalState({ cursor: { index: 2 } });
    a.advance(100);
    b.flush();
    expect(stateSeenBy(bob, alice)).toEqual({ cursor: { index: 2 }, user: { userId: 'u-alice', name: 'Alice', color: '#f00' } });
    // A client joining node B later is greeted with Alice's state too.
    const carol = b.addClient();
    b.flush();
    expect(stateSeenBy(carol, alice)).toMatchObject({ cursor: { index: 2 } });
    alice.disconnect();
    a.flush();
    b.flush();
    expect(stateSeenBy(bob, alice)).toBeUndefined();
    expect(stateSeenBy(carol, alice)).toBeUndefined();
  });

  it('[P25] ignores stale or foreign words on a client connected here, and forgets a silent node', async () => {
    const { a, b } = await twoNodes();
    const alice = a.addClient();
    const bob = b.addClient();
    a.flush();
    b.flush();
    bob.awareness!.setLocalState({ cursor: 1 });
    b.advance(100);
    a.flush();
    // Another node claiming Bob's client id (an old copy, a replayed message) does not reach Bob's peers here.
    const mark = bob.received.length;
    b.room.applyRemotePresence([{ clientId: bob.doc.clientID, clock: 999, json: JSON.stringify({ cursor: 666 }) }]);
    b.flush();
    expect(framesOf(bob, mark).filter((f) => f.type === 'awareness')).toHaveLength(0);
    expect(b.room.localPresence().map((e) => e.clientId)).toEqual([bob.doc.clientID]);
    // Node B hears of a client on a node that then dies: after 35 s without renewal a new peer is not shown it.
    b.room.applyRemotePresence([{ clientId: 4242, clock: 3, json: JSON.stringify({ cursor: 7 }) }]);
    b.flush();
    const early = b.addClient();
    b.flush();
    expect(early.awareness!.getStates().has(4242)).toBe(true);
    b.advance(36_000);
    const late = b.addClient();
    b.flush();
    expect(late.awareness!.getStates().has(4242)).toBe(false);
    expect(stateSeenBy(alice, bob)).toMatchObject({ cursor: 1 });
  });
});
