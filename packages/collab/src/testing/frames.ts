/**
 * Assertion helpers over the frames a test client received.
 */
import * as Y from 'yjs';
import { decodeFrame, encodeFrame, type Frame } from '../protocol.ts';
import type { TestClient } from './test-network.ts';

export const framesOf = (client: TestClient, since = 0): Frame[] => client.received.slice(since).map((b) => decodeFrame(b));

export const countFrames = (client: TestClient, type: Frame['type'], since = 0): number =>
  framesOf(client, since).filter((f) => f.type === type).length;

export const updateFrame = (update: Uint8Array): Uint8Array => encodeFrame({ type: 'sync-update', update });
export const step2Frame = (update: Uint8Array): Uint8Array => encodeFrame({ type: 'sync-step2', update });

/** Byte-level state of a document, comparable across replicas that hold the same content. */
export const contentOf = (doc: Y.Doc): unknown => ({
  t: doc.getText('t').toString(),
  m: doc.getMap('m').toJSON(),
  a: doc.getArray('a').toJSON(),
});

/** The update a change to `doc` produces, captured without sending it anywhere. */
export function captureUpdate(doc: Y.Doc, change: (doc: Y.Doc) => void): Uint8Array {
  const updates: Uint8Array[] = [];
  const capture = (u: Uint8Array): void => {
    updates.push(u);
  };
  doc.on('update', capture);
  try {
    doc.transact(() => change(doc));
  } finally {
    doc.off('update', capture);
  }
  return updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates);
}
