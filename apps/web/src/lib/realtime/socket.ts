/**
 * The app's one Socket.IO connection (websocket only, msgpack: one frame per message), opened on
 * first use. The browser sends the session cookie and its Origin with the upgrade; the server checks
 * both. It carries quality and calibration events; live documents have their own sockets (live-doc.svelte.ts).
 */
import { io, type Socket } from 'socket.io-client';
import msgpackParser from 'socket.io-msgpack-parser';

let socket: Socket | null = null;

export function appSocket(): Socket {
  socket ??= io({ transports: ['websocket'], parser: msgpackParser, reconnectionDelay: 500, reconnectionDelayMax: 5000 });
  return socket;
}

/** Signing out ends the socket too (the server would refuse it on reconnect anyway). */
export function closeAppSocket(): void {
  socket?.close();
  socket = null;
}
