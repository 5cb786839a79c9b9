import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { checkUpdate, defaultUpdateLimits } from './validate.ts';
import { craftDeleteRange, craftNestedValue, craftStruct, sampleUpdate, yjsLimitVectors } from './testing/hostile-updates.ts';

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
