/**
 * Wire format of Accord's document channel (rules in PROTOCOL.md). One binary frame carries one
 * message for one document; the transport carries the document name beside it. Sync frames are
 * byte-compatible with y-protocols/sync, awareness frames with y-protocols/awareness, so stock Yjs
 * tooling can read captures.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

export const MessageType = { sync: 0, awareness: 1, error: 2, access: 3 } as const;
export const SyncType = { step1: 0, step2: 1, update: 2 } as const;

export type Access = 'read' | 'write';

/** Codes of error frames ([P16]); stable strings so clients can branch on them. */
export const ErrorCode = {
  readOnly: 'read_only',
  updateTooLarge: 'update_too_large',
  malformedUpdate: 'malformed_update',
  malformedMessage: 'malformed_message',
  unexpectedMessage: 'unexpected_message',
  awarenessRefused: 'awareness_refused',
  overloaded: 'overloaded',
  kicked: 'kicked',
  loadFailed: 'load_failed',
  roomClosed: 'room_closed',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Close codes passed to `peer.close`, in the WebSocket application range, HTTP-like. */
export const CloseCode = {
  /** A document socket's join refused: the name or request is malformed ([P26]). */
  badRequest: 4400,
  /** A document socket's credentials do not authenticate (session ended, token revoked) ([P26]). */
  unauthenticated: 4401,
  /** Access removed (or, on a document socket before it joined, refused). */
  kicked: 4403,
  /** A document socket's join refused: no such document, or not for this user ([P26]). */
  notFound: 4404,
  overloaded: 4429,
  loadFailed: 4500,
  roomClosed: 4503,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

export type Frame =
  | { type: 'sync-step1'; stateVector: Uint8Array }
  | { type: 'sync-step2'; update: Uint8Array }
  | { type: 'sync-update'; update: Uint8Array }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'error'; code: string; message: string }
  | { type: 'access'; access: Access };

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

export function encodeFrame(frame: Frame): Uint8Array {
  const e = encoding.createEncoder();
  switch (frame.type) {
    case 'sync-step1':
      encoding.writeVarUint(e, MessageType.sync);
      encoding.writeVarUint(e, SyncType.step1);
      encoding.writeVarUint8Array(e, frame.stateVector);
      break;
    case 'sync-step2':
      encoding.writeVarUint(e, MessageType.sync);
      encoding.writeVarUint(e, SyncType.step2);
      encoding.writeVarUint8Array(e, frame.update);
      break;
    case 'sync-update':
      encoding.writeVarUint(e, MessageType.sync);
      encoding.writeVarUint(e, SyncType.update);
      encoding.writeVarUint8Array(e, frame.update);
      break;
    case 'awareness':
      encoding.writeVarUint(e, MessageType.awareness);
      encoding.writeVarUint8Array(e, frame.update);
      break;
    case 'error':
      encoding.writeVarUint(e, MessageType.error);
      encoding.writeVarString(e, frame.code);
      encoding.writeVarString(e, frame.message);
      break;
    case 'access':
      encoding.writeVarUint(e, MessageType.access);
      encoding.writeVarString(e, frame.access);
      break;
  }
  return encoding.toUint8Array(e);
}

/**
 * Throws ProtocolError on anything that is not exactly one well-formed frame header; the payload
 * (an update, a state vector) is returned as a view and checked by whoever uses it.
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  try {
    const d = decoding.createDecoder(bytes);
    const type = decoding.readVarUint(d);
    switch (type) {
      case MessageType.sync: {
        const sub = decoding.readVarUint(d);
        const payload = decoding.readVarUint8Array(d);
        if (sub === SyncType.step1) return { type: 'sync-step1', stateVector: payload };
        if (sub === SyncType.step2) return { type: 'sync-step2', update: payload };
        if (sub === SyncType.update) return { type: 'sync-update', update: payload };
        throw new ProtocolError(`unknown sync message ${sub}`);
      }
      case MessageType.awareness:
        return { type: 'awareness', update: decoding.readVarUint8Array(d) };
      case MessageType.error:
        return { type: 'error', code: decoding.readVarString(d), message: decoding.readVarString(d) };
      case MessageType.access: {
        const access = decoding.readVarString(d);
        if (access !== 'read' && access !== 'write') throw new ProtocolError(`unknown access ${access}`);
        return { type: 'access', access };
      }
      default:
        throw new ProtocolError(`unknown message type ${type}`);
    }
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(err instanceof Error ? err.message : 'malformed frame');
  }
}

/** One client's entry in an awareness update; `state === null` means the client left. */
export interface AwarenessEntry {
  clientId: number;
  clock: number;
  state: Record<string, unknown> | null;
}

/** Decodes a y-protocols awareness update without an Awareness instance, so the server can vet it. */
export function decodeAwarenessUpdate(update: Uint8Array, maxEntries: number): AwarenessEntry[] {
  try {
    const d = decoding.createDecoder(update);
    const count = decoding.readVarUint(d);
    if (count > maxEntries) throw new ProtocolError(`awareness update has ${count} entries`);
    const entries: AwarenessEntry[] = [];
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(d);
      const clock = decoding.readVarUint(d);
      const parsed: unknown = JSON.parse(decoding.readVarString(d));
      let state: Record<string, unknown> | null;
      if (parsed === null) state = null;
      else if (typeof parsed === 'object' && !Array.isArray(parsed)) state = parsed as Record<string, unknown>;
      else state = {};
      entries.push({ clientId, clock, state });
    }
    return entries;
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(err instanceof Error ? err.message : 'malformed awareness update');
  }
}

/** `json` is the state already serialized (`'null'` for a removal): the server stores it that way. */
export function encodeAwarenessEntries(entries: ReadonlyArray<{ clientId: number; clock: number; json: string }>): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, entries.length);
  for (const entry of entries) {
    encoding.writeVarUint(e, entry.clientId);
    encoding.writeVarUint(e, entry.clock);
    encoding.writeVarString(e, entry.json);
  }
  return encoding.toUint8Array(e);
}
