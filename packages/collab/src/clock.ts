/**
 * Time and scheduling seen by a room. Injected so tests can step time and event-loop turns
 * deterministically instead of sleeping.
 */
export type TimerHandle = unknown;

export interface RoomClock {
  /** Milliseconds, only ever compared with earlier readings (spacing, throttles, reservations). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Runs `fn` once the current event-loop turn is over (setImmediate in Node). */
  defer(fn: () => void): void;
}

export const systemClock: RoomClock = {
  // Monotonic, so a wall-clock step cannot stretch a throttle or a reservation, and below the millisecond.
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  defer: (fn) => {
    if (typeof setImmediate === 'function') setImmediate(fn);
    else setTimeout(fn, 0);
  },
};
