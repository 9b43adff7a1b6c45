/**
 * The one client of the local hacrmd's socket: a JSON line out, a JSON line
 * back. Every live command uses it (`hacrm cib`, `status`, `membership`,
 * `quorum`, and the shell's live CIB store).
 */
import { connect } from "node:net";
import { HacrmError } from "@hacrm/common";

export const defaultSocket = "/run/hacrm/hacrmd.sock";

/** --socket PATH, else HACRM_SOCKET, else the default. */
export function socketPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? env["HACRM_SOCKET"] ?? defaultSocket;
}

/** How long to wait for hacrmd's answer by default (a write waits for every member to have it on disk). */
const replyTimeoutMs = 15_000;
/** A daemon that is starting, or has every connection busy, did nothing: ask again for this long. */
const retryForMs = 3000;
const retryPauseMs = 100;

export interface AskOptions {
  timeoutMs?: number;
}

/** The daemon's own refusal of a request (not of a CIB write: those come back in `result`). */
interface Refusal {
  ok: false;
  code?: string;
  error?: string;
}

/**
 * Send `request` to hacrmd at `path` and return its answer when `ok`.
 * Errors: DAEMON_UNREACHABLE (nothing listens there, no answer in time, or the
 * answer is not JSON), PERMISSION_DENIED (the socket is for root and the
 * cluster group only), DAEMON_REFUSED (hacrmd answered `ok: false`; its code
 * and reason are in the message).
 */
export async function askDaemon<T extends { ok: boolean }>(
  path: string,
  request: object,
  opts: AskOptions = {},
): Promise<T> {
  const until = Date.now() + retryForMs;
  for (;;) {
    const reply = await exchange<T | Refusal>(path, request, opts.timeoutMs ?? replyTimeoutMs);
    if (reply.ok) return reply as T;
    const r = reply as Refusal;
    if ((r.code === "STARTING" || r.code === "BUSY") && Date.now() < until) {
      await new Promise((res) => setTimeout(res, retryPauseMs));
      continue;
    }
    throw new HacrmError({
      code: "DAEMON_REFUSED",
      where: path,
      message: `hacrmd refused the request: ${r.code ? `${r.code}: ` : ""}${r.error ?? "no reason given"}`,
    });
  }
}

function exchange<T>(path: string, request: object, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const fail = (message: string) =>
      reject(
        new HacrmError({
          code: "DAEMON_UNREACHABLE",
          where: path,
          message,
          hint: "is hacrmd running? pass --socket PATH or set HACRM_SOCKET",
        }),
      );
    const conn = connect(path);
    let buf = "";
    const timer = setTimeout(() => {
      conn.destroy();
      fail(`no answer within ${timeoutMs} ms`);
    }, timeoutMs);
    conn.setEncoding("utf8");
    conn.on("connect", () => conn.write(`${JSON.stringify(request)}\n`));
    conn.on("data", (d: string) => (buf += d));
    conn.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === "EACCES" || err.code === "EPERM") {
        reject(
          new HacrmError({
            code: "PERMISSION_DENIED",
            where: path,
            message: "permission denied: hacrmd's socket is for root and the members of the cluster group",
            hint: "run as root, or be a member of the group hacrmd runs with (default haclient)",
          }),
        );
        return;
      }
      fail(`cannot connect: ${err.message}`);
    });
    conn.on("end", () => {
      clearTimeout(timer);
      if (buf === "") {
        fail("hacrmd closed the connection without answering");
        return;
      }
      try {
        resolve(JSON.parse(buf) as T);
      } catch {
        fail("the answer is not JSON");
      }
    });
  });
}
