/**
 * One request to the local hacrmd over its socket: a JSON line out, a JSON
 * line back. Used by every live command (`hacrm cib`, `hacrm status`).
 */
import { connect } from "node:net";
import { HacrmError } from "@hacrm/common";

/** How long to wait for hacrmd's answer (a write waits for every member). */
const replyTimeoutMs = 15_000;

export function askDaemon<T extends { ok: boolean; error?: string }>(
  path: string,
  request: object,
): Promise<T> {
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
      fail(`no answer within ${replyTimeoutMs} ms`);
    }, replyTimeoutMs);
    conn.setEncoding("utf8");
    conn.on("connect", () => conn.write(`${JSON.stringify(request)}\n`));
    conn.on("data", (d: string) => (buf += d));
    conn.on("error", (err) => {
      clearTimeout(timer);
      fail(`cannot connect: ${err.message}`);
    });
    conn.on("end", () => {
      clearTimeout(timer);
      let reply: T;
      try {
        reply = JSON.parse(buf) as T;
      } catch {
        fail("reply is not JSON");
        return;
      }
      if (reply.ok) resolve(reply);
      else reject(new HacrmError({ code: "DAEMON_REFUSED", where: path, message: reply.error ?? "refused" }));
    });
  });
}
