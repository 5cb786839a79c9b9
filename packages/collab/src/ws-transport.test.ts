import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeFrame } from './protocol.ts';
import { createWebSocketDocTransport, docSocketUrl, type WebSocketLike } from './ws-transport.ts';

/** A hand-driven WebSocket (the browser's API): the test plays the server's side of [P26]. */
class HandSocket {
  static all: HandSocket[] = [];
  binaryType = 'blob';
  readyState = 0;
  sent: unknown[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  onopen: ((ev: unknown) => unknown) | null = null;
  onmessage: ((ev: { data: unknown }) => unknown) | null = null;
  onclose: ((ev: { code: number; reason: string }) => unknown) | null = null;
  onerror: ((ev: unknown) => unknown) | null = null;
  constructor(readonly url: string) {
    HandSocket.all.push(this);
  }
  send(data: unknown) {
    this.sent.push(data);
  }
  close(code?: number, reason?: string) {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }
  // the server's side
  accept(access: 'read' | 'write' = 'write') {
    this.readyState = 1;
    this.onopen?.({});
    this.onmessage?.({ data: JSON.stringify({ joined: { access } }) });
  }
  deliver(data: unknown) {
    this.onmessage?.({ data });
  }
  drop(code: number, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

const connect = (url: string) => new HandSocket(url) as unknown as WebSocketLike;
const last = () => HandSocket.all.at(-1)!;

afterEach(() => {
  HandSocket.all = [];
  vi.useRealTimers();
});

describe('createWebSocketDocTransport ([P26])', () => {
  it('names the document in the path, URI-encoded, on ws:// or wss://', () => {
    expect(docSocketUrl('http://localhost:3000/', 'rubric:0f8e')).toBe('ws://localhost:3000/collab/rubric%3A0f8e');
    expect(docSocketUrl('https://accord.example', 'dispute:1')).toBe('wss://accord.example/collab/dispute%3A1');
  });

  it('opens on the joined message, not on the upgrade; frames before it are not delivered; binary frames both ways after', () => {
    const t = createWebSocketDocTransport({ url: 'ws://x/collab/rubric%3A1', connect });
    const opened: number[] = [];
    const got: Uint8Array[] = [];
    t.onOpen(() => opened.push(1));
    t.onMessage((b) => got.push(b));
    const s = last();
    expect(s.binaryType).toBe('arraybuffer');
    s.readyState = 1;
    s.onopen?.({});
    s.deliver(new Uint8Array([9]).buffer);
    expect(t.open).toBe(false);
    t.send(new Uint8Array([1]));
    expect(s.sent).toEqual([]);
    s.deliver(JSON.stringify({ joined: { access: 'read' } }));
    expect(t.open).toBe(true);
    expect(t.access).toBe('read');
    expect(opened).toEqual([1]);
    const frame = encodeFrame({ type: 'sync-step1', stateVector: new Uint8Array([0]) });
    s.deliver(frame.slice().buffer);
    expect(got.map((b) => Array.from(b))).toEqual([Array.from(frame)]);
    t.send(new Uint8Array([2]));
    expect(s.sent).toHaveLength(1);
    // A second text message changes nothing (only the first is the join's answer).
    s.deliver(JSON.stringify({ joined: { access: 'write' } }));
    expect(t.access).toBe('read');
  });

  it('a refused join is reported with its code and reason and not retried; a kick after joining is `kicked`', () => {
    vi.useFakeTimers();
    const cases: Array<[number, boolean, string]> = [
      [4404, false, 'not_found'],
      [4403, false, 'forbidden'],
      [4401, false, 'unauthenticated'],
      [4400, false, 'bad_request'],
      [4403, true, 'kicked'],
    ];
    for (const [code, joined, expected] of cases) {
      const refused: Array<{ code: string; message: string }> = [];
      const t = createWebSocketDocTransport({ url: 'ws://x/collab/a', connect, onRefused: (e) => refused.push(e) });
      const s = last();
      if (joined) s.accept();
      s.drop(code, 'the reason');
      vi.advanceTimersByTime(60_000);
      expect(refused, `${code}`).toEqual([{ code: expected, message: 'the reason' }]);
      expect(last()).toBe(s); // no new connection
      expect(t.open).toBe(false);
    }
  });

  it('any other close reconnects with a growing jittered backoff, and a join resets it', () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // the jitter's middle: the waits are exact
    const closes: Array<number | undefined> = [];
    const t = createWebSocketDocTransport({ url: 'ws://x/collab/a', connect, rejoinDelayMs: 100 });
    t.onClose((e) => closes.push(e?.code));
    last().accept();
    last().drop(1006);
    expect(closes).toEqual([1006]);
    expect(HandSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(99);
    expect(HandSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(HandSocket.all).toHaveLength(2);
    last().drop(4503); // room closed: try again, later
    vi.advanceTimersByTime(199);
    expect(HandSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(HandSocket.all).toHaveLength(3);
    last().accept();
    expect(t.open).toBe(true);
    last().drop(4429);
    vi.advanceTimersByTime(100);
    expect(HandSocket.all).toHaveLength(4);
    vi.restoreAllMocks();
  });

  it('close() leaves: the socket is closed with 1000, no reconnection follows', () => {
    vi.useFakeTimers();
    const t = createWebSocketDocTransport({ url: 'ws://x/collab/a', connect });
    const s = last();
    s.accept();
    t.close();
    expect(s.closedWith).toEqual({ code: 1000, reason: 'left' });
    s.drop(1000);
    vi.advanceTimersByTime(60_000);
    expect(HandSocket.all).toHaveLength(1);
    expect(t.open).toBe(false);
  });

  it('without a global WebSocket and no `connect`, it says so at once', () => {
    const g = globalThis as { WebSocket?: unknown };
    const saved = g.WebSocket;
    delete g.WebSocket;
    try {
      expect(() => createWebSocketDocTransport({ url: 'ws://x/collab/a' })).toThrow(/no global WebSocket/);
    } finally {
      if (saved !== undefined) g.WebSocket = saved;
    }
  });
});
