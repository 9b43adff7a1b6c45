/**
 * Virtual time: a clock and a queue of callbacks ordered by (time, insertion).
 * Later layers (CIB replication, the controller) schedule on the same queue.
 */
import type { Clock, TimerHandle, TimerHost } from "@hacrm/common";

interface Entry {
  atMs: number;
  seq: number;
  fire: () => void;
  live: boolean;
}

export class Scheduler implements Clock, TimerHost {
  private heap: Entry[] = [];
  private seq = 0;
  private now = 0;
  private handles = new Map<number, Entry>();

  nowMs(): number {
    return this.now;
  }
  wallMs(): number {
    return 1_700_000_000_000 + this.now;
  }

  at(atMs: number, fire: () => void): Entry {
    const e: Entry = { atMs: Math.max(atMs, this.now), seq: this.seq++, fire, live: true };
    this.push(e);
    return e;
  }

  setTimer(delayMs: number, fire: () => void): TimerHandle {
    const e = this.at(this.now + delayMs, fire);
    this.handles.set(e.seq, e);
    return { id: e.seq };
  }
  clearTimer(handle: TimerHandle): void {
    const e = this.handles.get(handle.id);
    if (e) e.live = false;
    this.handles.delete(handle.id);
  }

  /** Run the next event; false when none is left before `untilMs`. */
  runOne(untilMs: number): boolean {
    for (;;) {
      const top = this.heap[0];
      if (!top || top.atMs > untilMs) {
        this.now = Math.max(this.now, untilMs === Infinity ? this.now : untilMs);
        return false;
      }
      this.pop();
      if (!top.live) continue;
      this.handles.delete(top.seq);
      this.now = top.atMs;
      top.fire();
      return true;
    }
  }

  private less(a: Entry, b: Entry): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  }
  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i] as Entry, h[p] as Entry)) break;
      [h[i], h[p]] = [h[p] as Entry, h[i] as Entry];
      i = p;
    }
  }
  private pop(): void {
    const h = this.heap;
    const last = h.pop() as Entry;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l] as Entry, h[m] as Entry)) m = l;
      if (r < h.length && this.less(h[r] as Entry, h[m] as Entry)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m] as Entry, h[i] as Entry];
      i = m;
    }
  }
}
