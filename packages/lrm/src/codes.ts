/**
 * OCF exit codes (OCF 1.1 as Pacemaker runs agents), the failure classes the
 * cluster gives them, and the mapping of LSB init-script codes onto them.
 */
export const OcfCode = {
  success: 0,
  errGeneric: 1,
  errArgs: 2,
  errUnimplemented: 3,
  errPerm: 4,
  errInstalled: 5,
  errConfigured: 6,
  notRunning: 7,
  runningPromoted: 8,
  failedPromoted: 9,
} as const;
export type OcfCode = (typeof OcfCode)[keyof typeof OcfCode];

/** Names as operators see them in status output. */
export const ocfCodeNames: Record<number, string> = {
  0: "ok",
  1: "error",
  2: "invalid parameter",
  3: "unimplemented feature",
  4: "insufficient privileges",
  5: "not installed",
  6: "not configured",
  7: "not running",
  8: "promoted",
  9: "promoted (failed)",
};

export function ocfCodeName(code: number): string {
  return ocfCodeNames[code] ?? `unknown exit code ${code}`;
}

/**
 * How far a failure reaches: `soft` = retry here (restart), `hard` = the
 * resource cannot run on this node, `fatal` = it cannot run anywhere
 * (configuration problem). `none` = not a failure.
 */
export type FailureClass = "none" | "soft" | "hard" | "fatal";

export function failureClass(code: number): FailureClass {
  switch (code) {
    case 0:
    case 7:
    case 8:
      return "none";
    case 2:
    case 6:
      return "fatal";
    case 3:
    case 4:
    case 5:
      return "hard";
    default:
      return "soft";
  }
}

/** Whether `code` is the expected outcome of `action` (for monitors: `expected` role). */
export function isExpected(action: string, code: number, expectedRc = 0): boolean {
  if (action === "monitor" || action === "status") return code === expectedRc;
  return code === 0;
}

/**
 * LSB init scripts: `status` has its own codes (0 running, 1 dead+pid file,
 * 2 dead+lock file, 3 not running, 4 unknown). Pacemaker treats 1-3 as "not
 * running" and 4 (and anything above) as an error. Start/stop codes follow OCF
 * 0-7 except that stopping a stopped service must succeed.
 */
export function mapLsbExit(action: string, exitCode: number): number {
  if (action === "status" || action === "monitor") {
    if (exitCode === 0) return OcfCode.success;
    if (exitCode >= 1 && exitCode <= 3) return OcfCode.notRunning;
    return OcfCode.errGeneric;
  }
  if (exitCode >= 0 && exitCode <= 7) return exitCode;
  return OcfCode.errGeneric;
}

/** Result status of one operation, beyond the agent's exit code. */
export type OpStatus =
  | "done" // the agent ran and exited; see `rc`
  | "timeout" // ended at its timeout
  | "cancelled" // a recurring monitor cancelled, or an op cancelled before it ran
  | "not-found" // the agent does not exist
  | "not-executable" // the agent exists but cannot be run
  | "invalid-params" // parameter check failed before running
  | "error"; // the executor itself failed to run it (spawn error, signal)
