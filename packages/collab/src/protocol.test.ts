import { describe, expect, it } from 'vitest';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { ProtocolError, decodeAwarenessUpdate, decodeFrame, encodeAwarenessEntries, encodeFrame, type Frame } from './protocol.ts';

const docWithText = (text: string): Y.Doc => {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, text);
  return doc;
};

describe('wire frames', () => {
  it('[P1] sync frames are byte-identical to y-protocols/sync', () => {
    const doc = docWithText('hello');
    const viaYProtocols = (write: (e: encoding.Encoder) => void): Uint8Array => {
      const e = encoding.createEncoder();
      encoding.writeVarUint(e, 0);
      write(e);
      return encoding.toUint8Array(e);
    };
    const update = Y.encodeStateAsUpdate(doc);
    expect(encodeFrame({ type: 'sync-step1', stateVector: Y.encodeStateVector(doc) })).toEqual(
      viaYProtocols((e) => syncProtocol.writeSyncStep1(e, doc)),
    );
    expect(encodeFrame({ type: 'sync-step2', update })).toEqual(viaYProtocols((e) => syncProtocol.writeSyncStep2(e, doc)));
    expect(encodeFrame({ type: 'sync-update', update })).toEqual(viaYProtocols((e) => syncProtocol.writeUpdate(e, update)));
    // And y-protocols reads ours.
    const target = new Y.Doc();
    const d = decoding.createDecoder(encodeFrame({ type: 'sync-step2', update }));
    expect(decoding.readVarUint(d)).toBe(0);
    syncProtocol.readSyncMessage(d, encoding.createEncoder(), target, null);
    expect(target.getText('t').toString()).toBe('hello');
  });

  it('[P1] every frame kind round-trips', () => {
    const frames: Frame[] = [
      { type: 'sync-step1', stateVector: new Uint8Array([0]) },
      { type: 'sync-step2', update: new Uint8Array([0, 0]) },
      { type: 'sync-update', update: new Uint8Array([0, 0]) },
      { type: 'awareness', update: new Uint8Array([0]) },
      { type: 'error', code: 'read_only', message: 'read-only access ✓' },
      { type: 'access', access: 'read' },
      { type: 'access', access: 'write' },
    ];
    for (const frame of frames) expect(decodeFrame(encodeFrame(frame))).toEqual(frame);
  });

  it('[P10] malformed frames throw ProtocolError, never anything else', () => {
    const bad = [
      new Uint8Array([]),
      new Uint8Array([9]),
      new Uint8Array([0, 7, 0]),
      new Uint8Array([0, 2, 5, 1]), // payload length beyond the end
      new Uint8Array([0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
      new Uint8Array([3, 4, 0x72, 0x6f, 0x6f, 0x74]), // access 'root'
      new Uint8Array([2, 200]),
    ];
    for (const bytes of bad) expect(() => decodeFrame(bytes)).toThrow(ProtocolError);
  });

  it('[P12] reads awareness updates written by y-protocols, and writes ones it can read', () => {
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    awareness.setLocalState({ cursor: { anchor: 3 }, user: { name: 'spoof' } });
    const entries = decodeAwarenessUpdate(encodeAwarenessUpdate(awareness, [doc.clientID]), 4);
    expect(entries).toEqual([{ clientId: doc.clientID, clock: 1, state: { cursor: { anchor: 3 }, user: { name: 'spoof' } } }]);
    const back = decodeAwarenessUpdate(encodeAwarenessEntries([{ clientId: 5, clock: 2, json: 'null' }]), 4);
    expect(back).toEqual([{ clientId: 5, clock: 2, state: null }]);
    awareness.destroy();
  });

  it('[P12] refuses awareness updates with too many entries or broken JSON', () => {
    const many = encodeAwarenessEntries(Array.from({ length: 5 }, (_, i) => ({ clientId: i, clock: 1, json: '{}' })));
    expect(() => decodeAwarenessUpdate(many, 4)).toThrow(ProtocolError);
    const broken = encodeAwarenessEntries([{ clientId: 1, clock: 1, json: '{"a":' }]);
    expect(() => decodeAwarenessUpdate(broken, 4)).toThrow(ProtocolError);
    expect(() => decodeAwarenessUpdate(new Uint8Array([1, 1]), 4)).toThrow(ProtocolError);
    // Non-object states cannot carry a stamp, so they become empty objects.
    expect(decodeAwarenessUpdate(encodeAwarenessEntries([{ clientId: 1, clock: 1, json: '[1,2]' }]), 4)[0]?.state).toEqual({});
  });
});
