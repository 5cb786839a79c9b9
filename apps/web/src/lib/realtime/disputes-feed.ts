/**
 * Following a project's disputes: `disputes:changed` arrives on sockets that joined the project with
 * `quality:join` (leads and reviewers; the server checks rights on join and on each event). The
 * event carries no content: the queue or the room refetches. Joined again after every reconnection,
 * and refetched then, since changes made while away were missed. Bursts are debounced.
 */
import { appSocket } from './socket.ts';

interface DisputesChangedEvent {
  projectId: string;
  disputeId: string | null;
  at: string;
}

type JoinAck = { ok: true } | { ok: false; error: { code: string; message: string } };

export interface DisputesFeedOptions {
  /** Called once a burst of changes has settled, with the dispute that changed (null: many, or unknown). */
  onChange: (disputeId: string | null) => void;
  onStatus?: (status: 'live' | 'offline' | 'refused', message?: string) => void;
  debounceMs?: number;
}

export function followDisputes(projectId: string, options: DisputesFeedOptions): () => void {
  const { onChange, onStatus, debounceMs = 200 } = options;
  const socket = appSocket();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let changedIds = new Set<string | null>();
  let stopped = false;

  const fire = () => {
    timer = null;
    const ids = changedIds;
    changedIds = new Set();
    if (stopped) return;
    onChange(ids.size === 1 ? [...ids][0]! : null);
  };
  const changed = (event: DisputesChangedEvent) => {
    if (event.projectId !== projectId) return;
    changedIds.add(event.disputeId);
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
  };
  const join = () =>
    socket.emit('quality:join', projectId, (ack: JoinAck) => {
      if (stopped) return;
      if (ack.ok) onStatus?.('live');
      else onStatus?.('refused', ack.error.message);
    });
  let connectedBefore = false;
  const connected = () => {
    join();
    if (connectedBefore) onChange(null);
    connectedBefore = true;
  };
  const lost = () => onStatus?.('offline');

  socket.on('disputes:changed', changed);
  socket.on('disconnect', lost);
  socket.on('connect', connected);
  if (socket.connected) connected();

  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    socket.off('disputes:changed', changed);
    socket.off('disconnect', lost);
    socket.off('connect', connected);
    // Not `quality:leave`: another view of the project (the dashboard) may still follow it; the
    // socket leaves the project's room when it closes.
  };
}
