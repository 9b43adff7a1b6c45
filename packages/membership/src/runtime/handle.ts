/**
 * Main-thread side of the membership worker: start it, ask for status,
 * receive its events, stop it. The worker keeps heartbeats going whatever the
 * main thread is doing.
 */
import { Worker } from "node:worker_threads";
import type { MembershipEvent } from "../core/types.js";
import type { MembershipStatus, WorkerInit, WorkerReply, WorkerRequest } from "./worker.js";

export interface MembershipHandle {
  status(): Promise<MembershipStatus>;
  send(to: number[], body: Uint8Array): void;
  /** A pino level for the worker's logger (SIGUSR1/SIGUSR2 in hacrmd). */
  setLogLevel(level: string): void;
  stop(): Promise<void>;
}

export interface MembershipDeps {
  onEvent: (event: MembershipEvent, wallMs: number) => void;
  onExit: (err: Error | null) => void;
}

export async function startMembershipWorker(
  init: WorkerInit,
  deps: MembershipDeps,
): Promise<MembershipHandle> {
  const worker = new Worker(new URL("./worker.js", import.meta.url), { workerData: init });
  const waiting = new Map<number, (s: MembershipStatus) => void>();
  let nextId = 1;
  let stopping = false;
  const post = (m: WorkerRequest) => worker.postMessage(m);
  await new Promise<void>((resolve, reject) => {
    worker.on("message", (m: WorkerReply) => {
      if (m.type === "ready") resolve();
      else if (m.type === "status") {
        waiting.get(m.id)?.(m.status);
        waiting.delete(m.id);
      } else deps.onEvent(m.event, m.wallMs);
    });
    worker.once("error", (err) => {
      reject(err);
      deps.onExit(err);
    });
    worker.once("exit", (code) => {
      if (!stopping) deps.onExit(code === 0 ? null : new Error(`membership worker exited with code ${code}`));
    });
  });
  return {
    status: () =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        post({ type: "status", id });
      }),
    send: (to, body) => post({ type: "send", to, body }),
    setLogLevel: (level) => post({ type: "log-level", level }),
    stop: async () => {
      stopping = true;
      post({ type: "stop" });
      await worker.terminate();
    },
  };
}
