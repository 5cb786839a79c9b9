/**
 * A RoomClock whose time and event-loop turns advance only when a test says so.
 */
import type { RoomClock, TimerHandle } from '../clock.ts';

export interface ManualClock extends RoomClock {
  /** Moves time forward, firing due timers in order (each followed by the turns it deferred). */
  advance(ms: number): void;
  /** Runs deferred end-of-turn callbacks, including ones they defer; returns how many ran. */
  runDeferred(): number;
  readonly pendingTimers: number;
  readonly pendingDeferred: number;
}

export function createManualClock(start = 0): ManualClock {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, { due: number; fn: () => void }>();
  let deferred: Array<() => void> = [];

  const runDeferred = (): number => {
    let ran = 0;
    while (deferred.length > 0) {
      const fns = deferred;
      deferred = [];
      for (const fn of fns) {
        fn();
        ran++;
      }
    }
    return ran;
  };

  return {
    now: () => now,
    setTimeout(fn, ms): TimerHandle {
      const id = nextId++;
      timers.set(id, { due: now + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    defer(fn) {
      deferred.push(fn);
    },
    advance(ms) {
      const target = now + ms;
      runDeferred();
      for (;;) {
        let next: [number, { due: number; fn: () => void }] | undefined;
        for (const entry of timers) if (entry[1].due <= target && (!next || entry[1].due < next[1].due)) next = entry;
        if (!next) break;
        timers.delete(next[0]);
        now = Math.max(now, next[1].due);
        next[1].fn();
        runDeferred();
      }
      now = target;
    },
    runDeferred,
    get pendingTimers() {
      return timers.size;
    },
    get pendingDeferred() {
      return deferred.length;
    },
  };
}
