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

/**
 * Retries with jittered exponential backoff (base × 2^attempt, at most 5 s, times 0.5–1.5), so a
 * restarted server is not hit by every client in the same millisecond. One retry is pending at a time.
 */
export function createBackoff(baseMs: number, retry: () => void) {
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  return {
    get pending() {
      return timer !== null;
    },
    schedule() {
      if (timer) return;
      const wait = Math.min(5_000, baseMs * 2 ** Math.min(attempt++, 5)) * (0.5 + Math.random());
      timer = setTimeout(() => {
        timer = null;
        retry();
      }, wait);
    },
    /** A success: the next retry waits the base again. */
    reset() {
      attempt = 0;
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
