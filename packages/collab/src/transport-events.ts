/**
 * The listener sets behind a `DocTransport`'s `onMessage` / `onOpen` / `onClose`, shared by the
 * transports (socket-transport.ts, ws-transport.ts). Emitting iterates over a copy, so a listener may
 * unsubscribe itself.
 */
import type { DocTransport } from './provider.ts';

type CloseEvent = { code?: number; reason?: string };

export function createTransportEvents() {
  const messages = new Set<(bytes: Uint8Array) => void>();
  const opens = new Set<() => void>();
  const closes = new Set<(event?: CloseEvent) => void>();
  const subscribe = <L>(set: Set<L>, l: L) => {
    set.add(l);
    return () => void set.delete(l);
  };
  const on: Pick<DocTransport, 'onMessage' | 'onOpen' | 'onClose'> = {
    onMessage: (l) => subscribe(messages, l),
    onOpen: (l) => subscribe(opens, l),
    onClose: (l) => subscribe(closes, l),
  };
  return {
    on,
    message(bytes: Uint8Array) {
      for (const l of [...messages]) l(bytes);
    },
    open() {
      for (const l of [...opens]) l();
    },
    close(event?: CloseEvent) {
      for (const l of [...closes]) l(event);
    },
  };
}
