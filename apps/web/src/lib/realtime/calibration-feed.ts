/**
 * Following a calibration session's live state: `calibration:join` on the app's socket (again after
 * every reconnection) and a callback on each `calibration:state` — phase, round, who joined and who
 * submitted; never what anyone submitted. The page refetches the session through the API on change.
 */
import type { CalibrationState } from '@accord/core';
import { appSocket } from './socket.ts';

type JoinAck = { ok: true; data: CalibrationState } | { ok: false; error: { code: string; message: string } };

export function followCalibration(sessionId: string, onState: (s: CalibrationState) => void, onStatus?: (status: 'live' | 'offline' | 'refused', message?: string) => void): () => void {
  const socket = appSocket();
  let stopped = false;
  const state = (s: CalibrationState) => {
    if (!stopped && s.sessionId === sessionId) onState(s);
  };
  const join = () =>
    socket.emit('calibration:join', sessionId, (ack: JoinAck) => {
      if (stopped) return;
      if (ack.ok) {
        onStatus?.('live');
        onState(ack.data);
      } else onStatus?.('refused', ack.error.message);
    });
  const lost = () => onStatus?.('offline');
  socket.on('calibration:state', state);
  socket.on('connect', join);
  socket.on('disconnect', lost);
  if (socket.connected) join();
  return () => {
    stopped = true;
    socket.off('calibration:state', state);
    socket.off('connect', join);
    socket.off('disconnect', lost);
    if (socket.connected) socket.emit('calibration:leave', sessionId);
  };
}
