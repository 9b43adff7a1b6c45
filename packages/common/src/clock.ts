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

/** setTimeout's largest delay (2^31 - 1 ms, ~24.8 days); a longer one fires at once. */
export const timerDelayMsMax = 2 ** 31 - 1;

export function createSystemTimerHost(): TimerHost {
  let nextId = 1;
  const live = new Map<number, NodeJS.Timeout>();
  return {
    setTimer(delayMs, fire) {
      const id = nextId++;
      // Longer delays are chained in steps setTimeout can hold (a 600 h timeout once fired after 1 ms).
      const arm = (leftMs: number): void => {
        const stepMs = Math.min(Math.max(0, leftMs), timerDelayMsMax);
        const t = setTimeout(() => {
          if (leftMs > stepMs) return arm(leftMs - stepMs);
          live.delete(id);
          fire();
        }, stepMs);
        live.set(id, t);
      };
      arm(delayMs);
      return { id };
    },
    clearTimer(handle) {
      const t = live.get(handle.id);
      if (t) clearTimeout(t);
      live.delete(handle.id);
    },
  };
}
