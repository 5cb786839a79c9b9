/**
 * Hostile inputs for update checks: the crafted binaries from yjs's own `tests/limits.tests.js`
 * (made to hang or exhaust memory when merged or applied), hand-built structs with huge clocks,
 * and truncations of a real update.
 */
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

/** From yjs `tests/limits.tests.js`; most are V2 encodings, and all must be harmless when sent as V1. */
export const yjsLimitVectors: Readonly<Record<string, Uint8Array>> = {
  tooManyStructs: new Uint8Array([0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 2, 0, 0, 22, 2, 0, 0, 1, 253, 255, 255, 255, 255, 127, 0, 0]),
  tooManyUpdatesV1: new Uint8Array([
    228, 156, 16, 0, 5, 255, 255, 5, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 237, 0, 0, 0, 1, 1, 0, 254, 184, 194, 233, 173, 135, 217, 18, 0,
    0, 1, 1, 255, 237, 246,
  ]),
  tooManyUpdatesV2: new Uint8Array([
    228, 149, 0, 0, 1, 24, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 237, 1, 190, 130, 227, 195, 28, 1, 2, 228, 149, 0, 0, 1, 24, 0, 0, 1, 24, 0,
    0, 1, 0, 1, 237, 0,
  ]),
  tooLargeGcItem: new Uint8Array([
    143, 1, 128, 0, 0, 0, 1, 170, 1, 0, 1, 2, 0, 0, 22, 2, 0, 229, 196, 67, 20, 231, 166, 139, 147, 174, 181, 253, 93, 232, 38, 154,
    138, 89, 0, 49, 213, 15, 18, 1, 48, 0, 0, 0,
  ]),
  overLimit: new Uint8Array([
    0, 1, 35, 0, 0, 0, 1, 2, 129, 0, 0, 16, 0, 199, 220, 0, 196, 122, 128, 0, 65, 171, 234, 214, 0, 1, 0, 0, 1, 0, 0, 132, 0, 0, 16,
    255, 199, 220, 255, 0, 0, 0,
  ]),
};

/**
 * A V1 update with one struct of `length` at `clock` for `client`. Such a struct silently claims
 * the client's clock range, and lengths near 2^53 lose integer precision.
 */
export function craftStruct(kind: 'gc' | 'deleted' | 'skip', length: number, clock = 0, client = 7): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1); // one client
  encoding.writeVarUint(e, 1); // one struct
  encoding.writeVarUint(e, client);
  encoding.writeVarUint(e, clock);
  const info = kind === 'gc' ? 0 : kind === 'skip' ? 10 : 1;
  encoding.writeUint8(e, info);
  if (kind === 'deleted') {
    encoding.writeVarUint(e, 1); // parent is a root type…
    encoding.writeVarString(e, 't'); // …named 't'
  }
  encoding.writeVarUint(e, length);
  encoding.writeVarUint(e, 0); // empty delete set
  return encoding.toUint8Array(e);
}

/** A V1 update deleting `len` items of `client` from `clock`. */
export function craftDeleteRange(client: number, clock: number, len: number): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0); // no structs
  encoding.writeVarUint(e, 1); // one client in the delete set
  encoding.writeVarUint(e, client);
  encoding.writeVarUint(e, 1);
  encoding.writeVarUint(e, clock);
  encoding.writeVarUint(e, len);
  return encoding.toUint8Array(e);
}

/** A realistic update touching text, maps and arrays, with deletions. */
export function sampleUpdate(): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = 4242;
  doc.transact(() => {
    const text = doc.getText('t');
    text.insert(0, 'The quick brown fox');
    text.format(4, 5, { bold: true });
    text.delete(10, 6);
    const map = doc.getMap('m');
    map.set('n', 42);
    map.set('nested', new Y.Map([['k', 'v']]));
    const array = doc.getArray<unknown>('a');
    array.insert(0, [1, 'two', { three: 3 }, new Uint8Array([4])]);
    array.delete(1, 1);
  });
  return Y.encodeStateAsUpdate(doc);
}

/** A V1 update whose one value is `depth` arrays nested in each other. */
export function craftNestedValue(depth: number): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1); // one client
  encoding.writeVarUint(e, 1); // one struct
  encoding.writeVarUint(e, 5); // client
  encoding.writeVarUint(e, 0); // clock
  encoding.writeUint8(e, 8); // ContentAny, no origins: parent follows
  encoding.writeVarUint(e, 1);
  encoding.writeVarString(e, 'a');
  encoding.writeVarUint(e, 1); // one value…
  for (let i = 0; i < depth; i++) {
    encoding.writeUint8(e, 117); // …an array
    encoding.writeVarUint(e, 1); // of one element
  }
  encoding.writeUint8(e, 126); // null at the bottom
  encoding.writeVarUint(e, 0); // empty delete set
  return encoding.toUint8Array(e);
}
