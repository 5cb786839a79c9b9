import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { appliesWhole, checkUpdate, defaultUpdateLimits, inspectUpdate } from './validate.ts';
import { craftDeleteRange, craftNestedValue, craftStruct, sampleUpdate, yjsLimitVectors } from './testing/hostile-updates.ts';
import { captureUpdate } from './testing/frames.ts';

const stateOf = (doc: Y.Doc): number[] => Array.from(Y.encodeStateAsUpdate(doc));

describe('checkUpdate', () => {
  it('[P8] accepts real updates', () => {
    expect(checkUpdate(sampleUpdate())).toEqual({ ok: true });
    expect(checkUpdate(Y.encodeStateAsUpdate(new Y.Doc()))).toEqual({ ok: true });
  });

  it('[P7] refuses updates above the size limit before decoding them', () => {
    const big = new Y.Doc();
    big.getText('t').insert(0, 'x'.repeat(2_000));
    const update = Y.encodeStateAsUpdate(big);
    expect(checkUpdate(update, { ...defaultUpdateLimits, maxUpdateBytes: 1_000 })).toMatchObject({ ok: false, code: 'update_too_large' });
    expect(checkUpdate(update)).toEqual({ ok: true });
  });

  it('[P8] refuses the empty buffer', () => {
    expect(checkUpdate(new Uint8Array())).toMatchObject({ ok: false, code: 'malformed_update' });
  });

  // "Quickly" is bounded by this test's timeout, not by a wall-time assertion that a loaded machine
  // could miss: a vector that made checkUpdate loop or allocate without bound would hang past it.
  it("[P8] handles yjs's crafted limit vectors quickly: refused, or an update that changes nothing", { timeout: 30_000 }, () => {
    for (const [name, bytes] of Object.entries(yjsLimitVectors)) {
      const result = checkUpdate(bytes);
      if (result.ok) {
        const doc = new Y.Doc();
        const before = stateOf(doc);
        Y.applyUpdate(doc, bytes);
        expect(stateOf(doc), name).toEqual(before);
      }
    }
  });

  it('[P8] refuses structs and delete ranges with clocks beyond the limit', () => {
    expect(checkUpdate(craftStruct('deleted', 2 ** 50))).toMatchObject({ ok: false, code: 'malformed_update' });
    expect(checkUpdate(craftStruct('gc', 2 ** 53 - 1))).toMatchObject({ ok: false, code: 'malformed_update' });
    expect(checkUpdate(craftStruct('gc', 5, 2 ** 53 - 3))).toMatchObject({ ok: false, code: 'malformed_update' });
    expect(checkUpdate(craftStruct('skip', 2 ** 40))).toMatchObject({ ok: false, code: 'malformed_update' });
    expect(checkUpdate(craftDeleteRange(7, 0, 2 ** 52))).toMatchObject({ ok: false, code: 'malformed_update' });
    expect(checkUpdate(craftStruct('deleted', 10))).toEqual({ ok: true });
    expect(checkUpdate(craftDeleteRange(7, 0, 10))).toEqual({ ok: true });
  });

  it('[P8] refuses deeply nested values, including ones deep enough to overflow the decoder', () => {
    expect(checkUpdate(craftNestedValue(10))).toEqual({ ok: true });
    expect(checkUpdate(craftNestedValue(100))).toMatchObject({ ok: false, code: 'malformed_update' });
    expect(checkUpdate(craftNestedValue(300_000), { ...defaultUpdateLimits, maxUpdateBytes: 10_000_000 })).toMatchObject({
      ok: false,
      code: 'malformed_update',
    });
  });

  it('[P8] refuses sub-documents', () => {
    const doc = new Y.Doc();
    doc.getMap('m').set('sub', new Y.Doc());
    expect(checkUpdate(Y.encodeStateAsUpdate(doc))).toMatchObject({ ok: false, code: 'malformed_update' });
  });

  it('[P8] every truncation of a real update is refused, or applies without throwing', () => {
    const update = sampleUpdate();
    let refused = 0;
    for (let len = 0; len < update.byteLength; len++) {
      const truncated = update.slice(0, len);
      if (!checkUpdate(truncated).ok) {
        refused++;
        continue;
      }
      expect(() => Y.applyUpdate(new Y.Doc(), truncated), `prefix of ${len} bytes`).not.toThrow();
    }
    expect(refused).toBeGreaterThan(update.byteLength / 2);
  });

  it('[P8] never throws on arbitrary bytes, and whatever it accepts applies cleanly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const result = checkUpdate(bytes);
        if (result.ok) Y.applyUpdate(new Y.Doc(), bytes);
      }),
      { seed: 20240601, numRuns: 2_000 },
    );
  });

  it('[P8] every accepted single-byte corruption of a real update applies without throwing', () => {
    // Without the own-future reference check, ~9% of these pass decodeUpdate and then throw half-applied.
    const update = sampleUpdate();
    let accepted = 0;
    for (let index = 0; index < update.byteLength; index++) {
      for (let value = 0; value < 256; value += 29) {
        const corrupted = update.slice();
        corrupted[index] = value;
        if (!checkUpdate(corrupted).ok) continue;
        accepted++;
        expect(() => Y.applyUpdate(new Y.Doc(), corrupted), `byte ${index} = ${value}`).not.toThrow();
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it('[P8] refuses bytes after the update, which Yjs would ignore (a room may send a change on as it came)', () => {
    const update = sampleUpdate();
    for (const tail of [[0], [0, 0], [1, 2, 3]]) {
      const padded = new Uint8Array([...update, ...tail]);
      expect(checkUpdate(padded)).toMatchObject({ ok: false, code: 'malformed_update', reason: `${tail.length} bytes after the update` });
    }
    expect(checkUpdate(update)).toEqual({ ok: true });
  });

  it('[P8] refuses items that refer to a later item of their own client', () => {
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 1); // one client
    encoding.writeVarUint(e, 1); // one struct
    encoding.writeVarUint(e, 9); // client
    encoding.writeVarUint(e, 0); // clock
    encoding.writeUint8(e, 4 | 0x80); // string content with an origin
    encoding.writeVarUint(e, 9); // origin client: itself…
    encoding.writeVarUint(e, 5); // …at a clock it has not reached
    encoding.writeVarString(e, 'x');
    encoding.writeVarUint(e, 0);
    expect(checkUpdate(encoding.toUint8Array(e))).toMatchObject({ ok: false, code: 'malformed_update' });
  });
});

describe('appliesWhole', () => {
  const decoded = (update: Uint8Array) => {
    const r = inspectUpdate(update);
    if (!r.ok) throw new Error(r.reason);
    return r.decoded;
  };
  const whole = (update: Uint8Array, doc: Y.Doc) => appliesWhole(decoded(update), doc.store);

  it('[P11] holds for a live edit continuing what the document has, with deletions of its content', () => {
    const server = new Y.Doc();
    const a = new Y.Doc();
    const b = new Y.Doc();
    const first = captureUpdate(a, (d) => d.getText('t').insert(0, 'hello'));
    expect(whole(first, server)).toBe(true);
    Y.applyUpdate(server, first);
    Y.applyUpdate(b, first);
    const second = captureUpdate(b, (d) => {
      d.getText('t').delete(1, 2);
      d.getMap('m').set('k', { nested: [1, 2] });
      d.getText('t').insert(3, 'x');
    });
    expect(whole(second, server)).toBe(true);
  });

  it('[P11] fails for a gap, a repeat, two clients, a reference to or a deletion of unknown content, and garbage-collected structs', () => {
    const server = new Y.Doc();
    const a = new Y.Doc();
    const first = captureUpdate(a, (d) => d.getText('t').insert(0, 'ab'));
    const second = captureUpdate(a, (d) => d.getText('t').insert(1, 'c'));
    expect(whole(second, server)).toBe(false); // continues a state the server lacks
    Y.applyUpdate(server, first);
    expect(whole(first, server)).toBe(false); // the server has it
    // Another client's edit that refers to (inserts next to) what only `a` has seen.
    const b = new Y.Doc();
    Y.applyUpdate(b, first);
    Y.applyUpdate(b, second);
    const afterSecond = captureUpdate(b, (d) => d.getText('t').insert(2, 'z'));
    expect(whole(afterSecond, server)).toBe(false);
    // A deletion of content the server has not seen.
    const deletion = captureUpdate(b, (d) => d.getText('t').delete(1, 1));
    expect(whole(deletion, server)).toBe(false);
    // Two clients' structs in one update.
    const c = new Y.Doc();
    c.getText('u').insert(0, 'q');
    const both = Y.mergeUpdates([captureUpdate(new Y.Doc(), (d) => d.getText('v').insert(0, 'p')), Y.encodeStateAsUpdate(c)]);
    expect(whole(both, server)).toBe(false);
    expect(whole(craftStruct('gc', 3), server)).toBe(false);
    // An insertion into a nested text the server has seen deleted: Yjs drops its content there.
    const nested = new Y.Doc();
    const created = captureUpdate(nested, (d) => {
      const t = new Y.Text();
      d.getMap('m').set('note', t);
      t.insert(0, 'abc');
    });
    const host = new Y.Doc();
    Y.applyUpdate(host, created);
    const remover = new Y.Doc();
    Y.applyUpdate(remover, created);
    const removal = captureUpdate(remover, (d) => d.getMap('m').delete('note'));
    const insertion = captureUpdate(nested, (d) => (d.getMap('m').get('note') as Y.Text).insert(1, 'z'));
    expect(whole(insertion, host)).toBe(true);
    const keeping = new Y.Doc({ gc: false }); // deleted content stays as items, in a deleted type
    Y.applyUpdate(keeping, created);
    Y.applyUpdate(host, removal);
    Y.applyUpdate(keeping, removal);
    expect(whole(insertion, host)).toBe(false);
    expect(whole(insertion, keeping)).toBe(false);
    expect(whole(craftStruct('skip', 3), server)).toBe(false);
  });

  it('[P11] whenever it holds, the update integrates whole: nothing pending, the state grows by exactly its structs, and the document broadcasts the same content', () => {
    let held = 0;
    /** Gives `update` to `server` and, when appliesWhole holds, checks that it integrated whole. */
    const deliver = (server: Y.Doc, update: Uint8Array): void => {
      if (!whole(update, server)) {
        Y.applyUpdate(server, update);
        return;
      }
      held++;
      const before = Y.encodeStateAsUpdate(server);
      const stateBefore = Y.decodeStateVector(Y.encodeStateVector(server));
      // Every update event of the apply (Yjs may run transactions of its own within it).
      const emitted: Uint8Array[] = [];
      const onUpdate = (u: Uint8Array) => emitted.push(u);
      server.on('update', onUpdate);
      Y.applyUpdate(server, update);
      server.off('update', onUpdate);
      expect(server.store.pendingStructs).toBeNull();
      expect(server.store.pendingDs).toBeNull();
      const grown = Y.decodeStateVector(Y.encodeStateVector(server));
      const meta = Y.parseUpdateMeta(update);
      for (const [client, to] of meta.to) expect(grown.get(client)).toBe(to);
      for (const [client, clock] of stateBefore) if (!meta.to.has(client)) expect(grown.get(client)).toBe(clock);
      // A peer with the server's previous state ends up the same with the update as it came or as the server re-encoded it.
      const viaRaw = new Y.Doc();
      Y.applyUpdate(viaRaw, before);
      Y.applyUpdate(viaRaw, update);
      const viaEvent = new Y.Doc();
      Y.applyUpdate(viaEvent, before);
      // No update event: the change was already there (a deletion of something deleted), so the raw one changes nothing either.
      for (const u of emitted) Y.applyUpdate(viaEvent, u);
      expect(Y.encodeStateAsUpdate(viaRaw)).toEqual(Y.encodeStateAsUpdate(viaEvent));
    };
    const op = fc.record({ who: fc.nat(2), kind: fc.nat(5), at: fc.nat(20), len: fc.nat(3), sync: fc.nat(2), lost: fc.nat(3), again: fc.nat(4) });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const server = new Y.Doc();
        const clients = [new Y.Doc(), new Y.Doc(), new Y.Doc()];
        // Updates the server has not received yet (delayed), so later ones may depend on what it lacks.
        const late: Uint8Array[] = [];
        const sent: Uint8Array[] = [];
        for (const o of ops) {
          const doc = clients[o.who]!;
          // Sometimes the client first catches up with the server, or with another client (so it may
          // build on changes the server has not received).
          const from = o.sync === 1 ? server : o.sync === 2 ? clients[(o.who + 1) % 3]! : null;
          if (from) Y.applyUpdate(doc, Y.encodeStateAsUpdate(from, Y.encodeStateVector(doc)));
          const t = doc.getText('t');
          const update = captureUpdate(doc, (d) => {
            if (o.kind === 0 && t.length > 0) d.getText('t').delete(o.at % t.length, Math.min(1 + o.len, t.length - (o.at % t.length)));
            else if (o.kind === 1) d.getMap('m').set(`k${o.at % 4}`, o.len);
            else if (o.kind === 2) d.getArray('a').insert(0, [o.at]);
            else d.getText('t').insert(o.at % (t.length + 1), 'xyz'.slice(0, 1 + (o.len % 3)));
          });
          if (update.byteLength <= 2) continue; // nothing changed
          // Sometimes one sent before comes again first (the server may have it).
          if (o.again === 0 && sent.length > 0) deliver(server, sent[o.at % sent.length]!);
          sent.push(update);
          if (o.lost === 0) late.push(update);
          else {
            if (o.lost === 1) for (const u of late.splice(0)) deliver(server, u);
            deliver(server, update);
          }
        }
      }),
      { numRuns: 200, seed: 11 },
    );
    expect(held).toBeGreaterThan(500); // the property was exercised, not skipped
  });
});
