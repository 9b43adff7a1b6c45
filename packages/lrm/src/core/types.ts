import type { OperationRequest } from "../classes.js";
import type { OpStatus } from "../codes.js";

/** What a process run left behind: shared by the runner's and the executor's outcomes. */
export interface ProcessOutput {
  /** The raw exit status (0..255), null when the process did not exit by itself. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputTruncated: boolean;
  readonly durationMs: number;
  readonly reason?: string;
}

/** The output of an operation that never ran a process. */
export const noProcessOutput = {
  exitCode: null,
  signal: null,
  stdout: "",
  stderr: "",
  outputTruncated: false,
  durationMs: 0,
} as const satisfies ProcessOutput;

/** What happened when an operation ran (filled in by the process adapter). */
export interface OpOutcome extends ProcessOutput {
  readonly status: OpStatus;
  /** The OCF code (mapped from the exit status by the agent's class). */
  readonly rc: number;
  /** The agent's own explanation: its last `ocf-exit-reason:` line on stderr. */
  readonly exitReason?: string;
}

/** One reported result. */
export interface OpResult extends OpOutcome {
  readonly callId: number;
  /** `resource_action_intervalMs`, Pacemaker's operation key. */
  readonly key: string;
  readonly resource: string;
  readonly agent: string;
  readonly action: string;
  readonly intervalMs: number;
  readonly finishedMs: number;
  /** Recurring monitors: how many runs gave this same result in a row (1 = changed). */
  readonly repeat: number;
  /** The request's transitionKey, unchanged. */
  readonly transitionKey?: string;
}

export type CoreEffect =
  | { readonly kind: "spawn"; readonly callId: number; readonly op: OperationRequest }
  | { readonly kind: "setTimer"; readonly timerId: number; readonly delayMs: number }
  | { readonly kind: "clearTimer"; readonly timerId: number }
  | { readonly kind: "report"; readonly result: OpResult }
  | {
      readonly kind: "journal";
      readonly resource: string;
      readonly agent: string;
      readonly state: "maybe-active" | "stopped";
      readonly params: Readonly<Record<string, string>>;
    };

export function operationKey(resource: string, action: string, intervalMs: number): string {
  return `${resource}_${action}_${intervalMs}`;
}
