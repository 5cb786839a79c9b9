/**
 * `BENCH_PATH=1`: where an edit's time goes on its way through a benchmark server, read from the
 * server's own sockets the same way for every server (Accord, the relay, Hocuspocus). For each chunk a
 * client's socket delivers (at light load, one edit), it notes how long until the server's first write to
 * a client socket, until its `observers`-th write (the observers connect first, and every server writes
 * to its clients in connection order, so these are the writes to the observers), and until its last
 * write before the next chunk arrives. At high load chunks carry several edits and a busy server's writes
 * fall after later reads: the figures are for light load.
 *
 * It wraps `net.Socket`'s `push`, `_write` and `_writev` (a clock read on every read and write of every
 * accepted socket; database connections are not accepted sockets and are not counted), so it is off by
 * default and its runs are not the benchmark's figures.
 */
import { Socket } from 'node:net';

/** Median and 99th percentile, ms. */
export interface Quantiles {
  p50: number;
  p99: number;
}

export interface PathFigures {
  /** Chunks read from client sockets in the window. */
  reads: number;
  /** From a read to the first write it was followed by. */
  first: Quantiles;
  /** … to the write to the last observer (the `observers`-th write). */
  observers: Quantiles;
  /** … to the last write before the next read. */
  last: Quantiles;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

export function quantiles(values: number[]): Quantiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

/** Installs the wrappers (once per process); `start` and `stop` bound the measured window. */
export function tracePath(observers: number): { start(): void; stop(): PathFigures } {
  let on = false;
  let readAt = NaN;
  let writes = 0;
  let lastWriteAt = NaN;
  let reads = 0;
  const first: number[] = [];
  const toObservers: number[] = [];
  const last: number[] = [];
  const endRead = () => {
    if (writes > 0) last.push(lastWriteAt - readAt);
  };
  const proto = Socket.prototype as unknown as {
    push(this: Socket, ...args: unknown[]): boolean;
    _write(this: Socket, ...args: unknown[]): unknown;
    _writev(this: Socket, ...args: unknown[]): unknown;
  };
  // An accepted socket has its server; a database connection does not.
  const accepted = (s: Socket) => (s as unknown as { server?: unknown }).server != null;
  const { push, _write: write, _writev: writev } = proto;
  proto.push = function (this: Socket, ...args: unknown[]) {
    const chunk = args[0] as Uint8Array | null | undefined;
    if (on && chunk && chunk.byteLength > 0 && accepted(this)) {
      endRead();
      reads++;
      readAt = now();
      writes = 0;
    }
    return push.apply(this, args);
  };
  const noteWrite = (s: Socket) => {
    if (!on || Number.isNaN(readAt) || !accepted(s)) return;
    const t = now();
    writes++;
    if (writes === 1) first.push(t - readAt);
    if (writes === observers) toObservers.push(t - readAt);
    lastWriteAt = t;
  };
  proto._write = function (this: Socket, ...args: unknown[]) {
    noteWrite(this);
    return write.apply(this, args);
  };
  proto._writev = function (this: Socket, ...args: unknown[]) {
    noteWrite(this);
    return writev.apply(this, args);
  };
  return {
    start() {
      on = true;
      readAt = NaN;
      writes = 0;
      reads = 0;
      first.length = toObservers.length = last.length = 0;
    },
    stop() {
      endRead();
      on = false;
      return { reads, first: quantiles(first), observers: quantiles(toObservers), last: quantiles(last) };
    },
  };
}
