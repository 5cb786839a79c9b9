/**
 * Following a project's quality figures: `quality:join` on the app's socket (again after every
 * reconnection, since the server forgets a dropped socket's rooms), and a debounced callback on each
 * `quality:changed`. The event carries no figures; the dashboard refetches them. Rights are checked
 * by the server on join and on each event, so a member demoted to trainer stops receiving them.
 */
import { appSocket } from './socket.ts';

interface QualityChangedEvent {
  projectId: string;
  at: string;
}

type JoinAck = { ok: true } | { ok: false; error: { code: string; message: string } };

export interface QualityFeedOptions {
  /** Called after a burst of changes has settled (or at the latest `maxWaitMs` after the first). */
  onChange: () => void;
  /** The live state, for the dashboard's indicator. */
  onStatus?: (status: 'live' | 'offline' | 'refused', message?: string) => void;
  debounceMs?: number;
  maxWaitMs?: number;
}

export function followQuality(projectId: string, options: QualityFeedOptions): () => void {
  const { onChange, onStatus, debounceMs = 250, maxWaitMs = 1500 } = options;
  const socket = appSocket();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let first = 0;
  let stopped = false;

  const fire = () => {
    timer = null;
    first = 0;
    if (!stopped) onChange();
  };
  const changed = (event: QualityChangedEvent) => {
    if (event.projectId !== projectId) return;
    const now = Date.now();
    if (!first) first = now;
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, Math.max(0, Math.min(debounceMs, first + maxWaitMs - now)));
  };
  const join = () => {
    socket.emit('quality:join', projectId, (ack: JoinAck) => {
      if (stopped) return;
      if (ack.ok) onStatus?.('live');
      else onStatus?.('refused', ack.error.message);
    });
  };
  // Figures that changed while the socket was away are fetched again once it is back.
  let connectedBefore = false;
  const connected = () => {
    join();
    if (connectedBefore) onChange();
    connectedBefore = true;
  };
  const lost = () => onStatus?.('offline');

  socket.on('quality:changed', changed);
  socket.on('disconnect', lost);
  socket.on('connect', connected);
  if (socket.connected) connected();

  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    socket.off('quality:changed', changed);
    socket.off('disconnect', lost);
    socket.off('connect', connected);
    if (socket.connected) socket.emit('quality:leave', projectId);
  };
}
