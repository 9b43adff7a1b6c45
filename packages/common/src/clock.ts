/**
 * Time as data (style.md habit 2). Cores take `now` in milliseconds as an
 * argument; adapters own a `Clock` and a `TimerHost`. The simulator provides
 * virtual implementations of both.
 */
export interface Clock {
  /** Milliseconds on a monotonic timeline (not wall-clock time). */
  nowMs(): number;
  /** Wall-clock time in milliseconds since the epoch, for records shown to people. */
  wallMs(): number;
}

export type TimerHandle = { readonly id: number };

export interface TimerHost {
  setTimer(delayMs: number, fire: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  nowMs: () => performance.timeOrigin + performance.now(),
  wallMs: () => Date.now(),
};

export function createSystemTimerHost(): TimerHost {
  let nextId = 1;
  const live = new Map<number, NodeJS.Timeout>();
  return {
    setTimer(delayMs, fire) {
      const id = nextId++;
      const t = setTimeout(() => {
        live.delete(id);
        fire();
      }, delayMs);
      live.set(id, t);
      return { id };
    },
    clearTimer(handle) {
      const t = live.get(handle.id);
      if (t) clearTimeout(t);
      live.delete(handle.id);
    },
  };
}
