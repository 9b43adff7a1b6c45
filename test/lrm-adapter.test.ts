import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createSilentLogger } from "@hacrm/common/logger";
import { type TimerHandle, type TimerHost } from "@hacrm/common";
import {
  Executor,
  type AgentInvocation,
  type OpResult,
  type ProcessRunner,
  type RunOutcome,
} from "@hacrm/lrm";

/**
 * The Executor adapter with an injected runner and a manual timer host: no
 * processes, no real time. Shows what the adapter adds to the core: meta-data
 * read once per agent, runner failures turned into results, timers wired.
 */
const root = mkdtempSync(`${tmpdir()}/hacrm-adapter-`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

class ManualTimers implements TimerHost {
  private next = 1;
  readonly pending = new Map<number, { atMs: number; fire: () => void }>();
  nowMs = 0;
  setTimer(delayMs: number, fire: () => void): TimerHandle {
    const id = this.next++;
    this.pending.set(id, { atMs: this.nowMs + delayMs, fire });
    return { id };
  }
  clearTimer(h: TimerHandle): void {
    this.pending.delete(h.id);
  }
  advance(ms: number): void {
    const end = this.nowMs + ms;
    for (;;) {
      const due = [...this.pending.entries()]
        .filter(([, t]) => t.atMs <= end)
        .sort((a, b) => a[1].atMs - b[1].atMs)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.nowMs = due[1].atMs;
      due[1].fire();
    }
    this.nowMs = end;
  }
}

const dummyMetadata = `<resource-agent name="Dummy"><version>1.1</version><longdesc/><shortdesc/>
<parameters><parameter name="state"><content type="string"/></parameter></parameters>
<actions><action name="start" timeout="20s"/></actions></resource-agent>`;

function outcome(exitCode: number, stdout = ""): RunOutcome {
  return {
    status: "done",
    exitCode,
    signal: null,
    stdout,
    stderr: "",
    outputTruncated: false,
    durationMs: 1,
  };
}

function setup(runner: ProcessRunner): { ex: Executor; timers: ManualTimers; results: OpResult[] } {
  const timers = new ManualTimers();
  const ex = new Executor(
    { nodeName: "n1", stateDir: mkdtempSync(`${root}/s-`), journalPath: ":memory:" },
    {
      clock: { nowMs: () => timers.nowMs, wallMs: () => timers.nowMs },
      timers,
      logger: createSilentLogger(),
      runner,
    },
  );
  const results: OpResult[] = [];
  ex.onResult((r) => results.push(r));
  return { ex, timers, results };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("Executor adapter", () => {
  it("reads an agent's meta-data once, however many operations run", async () => {
    const calls: string[] = [];
    const { ex } = setup(async (inv: AgentInvocation) => {
      calls.push(inv.argv[0] ?? "");
      return inv.argv[0] === "meta-data" ? outcome(0, dummyMetadata) : outcome(0);
    });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        ex.execute({
          resource: `r${i}`,
          agent: "ocf:hacrm:Dummy",
          action: "start",
          intervalMs: 0,
          timeoutMs: 1000,
          params: { state: "/x" },
        }),
      ),
    );
    expect(calls.filter((c) => c === "meta-data")).toHaveLength(1);
    expect(calls.filter((c) => c === "start")).toHaveLength(20);
    await ex.close();
  });

  it("turns a runner that throws into an error result and keeps going", async () => {
    let n = 0;
    const { ex } = setup(async (inv) => {
      if (inv.argv[0] === "meta-data") return outcome(0, dummyMetadata);
      if (n++ === 0) throw new Error("spawn exploded");
      return outcome(0);
    });
    const first = ex.execute({
      resource: "r",
      agent: "ocf:hacrm:Dummy",
      action: "start",
      intervalMs: 0,
      timeoutMs: 1000,
      params: {},
    });
    const second = ex.execute({
      resource: "r",
      agent: "ocf:hacrm:Dummy",
      action: "monitor",
      intervalMs: 0,
      timeoutMs: 1000,
      params: {},
    });
    expect(await first).toMatchObject({ status: "error", rc: 1, reason: "Error: spawn exploded" });
    expect(await second).toMatchObject({ status: "done", rc: 0 });
    await ex.close();
  });

  it("runs a recurring monitor on the timer host and reports only changes and failures", async () => {
    let rc = 0;
    const { ex, timers, results } = setup(async (inv) =>
      inv.argv[0] === "meta-data" ? outcome(0, dummyMetadata) : outcome(rc),
    );
    await ex.execute({
      resource: "r",
      agent: "ocf:hacrm:Dummy",
      action: "monitor",
      intervalMs: 5000,
      timeoutMs: 1000,
      params: {},
    });
    for (let i = 0; i < 3; i++) {
      timers.advance(5000);
      await flush();
    }
    expect(results.map((r) => r.rc)).toEqual([0]);
    rc = 7;
    timers.advance(5000);
    await flush();
    timers.advance(5000);
    await flush();
    expect(results.map((r) => r.rc)).toEqual([0, 7, 7]);
    ex.cancel("r", "monitor", 5000);
    expect(timers.pending.size).toBe(0);
    expect(results.at(-1)?.status).toBe("cancelled");
    await ex.close();
  });
});
