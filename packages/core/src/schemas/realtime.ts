/**
 * Socket.IO events of the live-document channel (`noun:verb`). The binary frames inside `doc:msg`
 * are @accord/collab's protocol (packages/collab/PROTOCOL.md); this file only types the envelope.
 * Every client event with an ack answers `{ ok: true, data } | { ok: false, error }`.
 */
import { z } from 'zod';
import type { CalibrationState } from './calibration.ts';

export const DOC_KINDS = ['rubric', 'dispute', 'calibration'] as const;
export type DocKind = (typeof DOC_KINDS)[number];

/** `rubric:<projectId>`, `dispute:<disputeId>`, `calibration:<sessionId>` — lower-case UUIDs only. */
export const DOC_NAME_RE = /^(rubric|dispute|calibration):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const DocNameSchema = z.string().max(64).regex(DOC_NAME_RE, { message: 'must be rubric:<uuid>, dispute:<uuid> or calibration:<uuid>' });

export const docName = (kind: DocKind, id: string): string => `${kind}:${id}`;
export function parseDocName(name: string): { kind: DocKind; id: string } | null {
  if (typeof name !== 'string' || !DOC_NAME_RE.test(name)) return null;
  const i = name.indexOf(':');
  return { kind: name.slice(0, i) as DocKind, id: name.slice(i + 1) };
}

export type SocketErrorCode = 'bad_request' | 'not_found' | 'forbidden' | 'unavailable' | 'rate_limited' | 'not_joined';
export interface SocketError {
  code: SocketErrorCode;
  message: string;
}
export type Ack<T> = { ok: true; data: T } | { ok: false; error: SocketError };

export interface DocJoined {
  access: 'read' | 'write';
}

export interface ClientToServerEvents {
  'doc:join': (name: string, ack: (result: Ack<DocJoined>) => void) => void;
  'doc:leave': (name: string, ack?: (result: Ack<null>) => void) => void;
  /** One collab frame for a joined document. */
  'doc:msg': (name: string, bytes: Uint8Array) => void;
  /** Follow a project's quality figures (leads and reviewers; rights checked now and on each event). */
  'quality:join': (projectId: string, ack: (result: Ack<null>) => void) => void;
  'quality:leave': (projectId: string, ack?: (result: Ack<null>) => void) => void;
  /** Follow a calibration session's live state (its participants and the project's leads); answers the state now. */
  'calibration:join': (sessionId: string, ack: (result: Ack<CalibrationState>) => void) => void;
  'calibration:leave': (sessionId: string, ack?: (result: Ack<null>) => void) => void;
}

export interface ServerToClientEvents {
  'doc:msg': (name: string, bytes: Uint8Array) => void;
  /**
   * The server closed this document for the socket: 4403 access removed or kicked, 4429 overloaded,
   * 4500 load failed, 4503 room closed (join again). Not sent for a `doc:leave`.
   */
  'doc:closed': (name: string, code: number, reason: string) => void;
  /** A `doc:msg` the server could not take (not joined, not binary, too large). */
  'doc:error': (name: string, error: SocketError) => void;
  /** A joined project's quality figures changed (a judgment was submitted or imported): refetch them. Carries no figures. */
  'quality:changed': (event: QualityChanged) => void;
  /** A followed calibration session changed (phase, round, who has submitted): never anyone's judgment. */
  'calibration:state': (state: CalibrationState) => void;
  /**
   * A joined project's disputes or consensus labels changed (a dispute opened, signed off, committed;
   * a label committed or reopened): refetch the queue or the dispute. Sent to sockets that joined the
   * project with `quality:join` (leads and reviewers). Carries no content.
   */
  'disputes:changed': (event: DisputesChanged) => void;
}

export interface DisputesChanged {
  projectId: string;
  /** The dispute that changed, when one did (null: many, e.g. after an import). */
  disputeId: string | null;
  at: string;
}

export interface QualityChanged {
  projectId: string;
  /** When the change was committed (ISO). */
  at: string;
}
