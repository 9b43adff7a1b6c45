/**
 * hacrmd's local control socket, generic over requests: where it may be
 * created (only over nothing or a stale socket), who may connect (root and the
 * cluster group, whatever the umask), and the limits every request meets
 * (bytes, time, connections). Framing: one JSON object per line in, one JSON
 * line out, then the connection ends. Whatever a client sends, the daemon
 * answers with `{ok: false, code, error}` or closes; it never throws.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { HacrmError, type Logger } from "@hacrm/common";

export interface LocalSocketLimits {
  /** Largest request line, in bytes (newline excluded). */
  readonly requestBytesMax: number;
  /** Connections open at once; the next one gets BUSY and is closed. */
  readonly connectionsMax: number;
  /** From accept to a complete request line, in ms (slow clients are cut off). */
  readonly requestTimeoutMs: number;
}

export const defaultSocketLimits: LocalSocketLimits = {
  requestBytesMax: 64 * 1024,
  connectionsMax: 128,
  requestTimeoutMs: 5000,
};

/** Who may connect: the socket is 0660 root:group, or 0600 root-only without a group. */
export interface SocketAccess {
  readonly gid: number | undefined;
}

export type SocketErrorCode =
  | "REQUEST_TOO_LARGE"
  | "REQUEST_NOT_JSON"
  | "REQUEST_INVALID"
  | "REQUEST_TIMEOUT"
  | "BUSY"
  | "STARTING"
  | "UNKNOWN_COMMAND"
  | "INTERNAL";

export interface SocketErrorReply {
  ok: false;
  code: SocketErrorCode;
  error: string;
}

export const socketError = (code: SocketErrorCode, error: string): SocketErrorReply => ({
  ok: false,
  code,
  error,
});

/** A request is a JSON object with a string `cmd`; the handler decides the rest. */
export type Request = { cmd: string } & Record<string, unknown>;
export type RequestHandler = (req: Request) => Promise<unknown>;

/** The numeric id of group `name` from /etc/group, or undefined if there is none. */
export function groupId(name: string, groupFile = "/etc/group"): number | undefined {
  let text: string;
  try {
    text = readFileSync(groupFile, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f[0] === name && f[2] !== undefined && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  return undefined;
}

/** chown to root:gid when running as root (a non-root test run keeps its own ids). */
function ownBy(path: string, gid: number | undefined): void {
  if (gid === undefined || process.getuid?.() !== 0) return;
  chownSync(path, 0, gid);
}

/** Create `dir` (0750, root:group) if missing; a directory that exists keeps its mode. */
export function makePrivateDir(dir: string, access: SocketAccess, enforce: boolean): void {
  let created = false;
  try {
    lstatSync(dir);
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    created = true;
  }
  if (created || enforce) {
    const st = lstatSync(dir);
    if (!st.isDirectory()) {
      throw new HacrmError({ code: "NOT_A_DIRECTORY", where: dir, message: "exists and is not a directory" });
    }
    chmodSync(dir, access.gid === undefined ? 0o700 : 0o750);
    ownBy(dir, access.gid);
  }
}

function probe(path: string): Promise<"live" | string> {
  return new Promise((resolve) => {
    const c = connect(path);
    c.once("connect", () => {
      c.destroy();
      resolve("live");
    });
    c.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/**
 * Make `path` free for a new socket: nothing there is fine; a socket nobody
 * listens on (connect fails with ECONNREFUSED) is a stale one and is removed;
 * anything else (a regular file, a directory, a live socket) is refused.
 */
export async function clearStaleSocket(path: string, log: Logger): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  if (!isSocket) {
    throw new HacrmError({
      code: "SOCKET_PATH_TAKEN",
      where: path,
      message: "exists and is not a socket; hacrmd does not remove it",
      hint: "pass another --socket PATH, or remove the file yourself if it is yours",
    });
  }
  const r = await probe(path);
  if (r === "live") {
    throw new HacrmError({
      code: "SOCKET_IN_USE",
      where: path,
      message: "another process is listening on this socket (is hacrmd already running?)",
      hint: "stop it first, or pass another --socket PATH",
    });
  }
  if (r !== "ECONNREFUSED") {
    throw new HacrmError({
      code: "SOCKET_PATH_TAKEN",
      where: path,
      message: `cannot tell whether the socket there is stale (${r}); not removing it`,
    });
  }
  unlinkSync(path);
  log.warn({ event: "stale_socket_removed", socket: path });
}

export interface LocalSocket {
  readonly server: Server;
  /** Stop listening and remove the socket file if it is still the one this daemon made. */
  close(): void;
}

export async function serveLocalSocket(
  path: string,
  access: SocketAccess,
  limits: LocalSocketLimits,
  handle: RequestHandler,
  log: Logger,
): Promise<LocalSocket> {
  makePrivateDir(dirname(path), access, false);
  await clearStaleSocket(path, log);
  let open = 0;
  const server = createServer((conn) => {
    if (open >= limits.connectionsMax) {
      conn.on("error", () => conn.destroy());
      conn.end(reply(socketError("BUSY", `${limits.connectionsMax} connections are open; try again`)));
      return;
    }
    open++;
    conn.once("close", () => open--);
    serveConn(conn, limits, handle, log);
  });
  server.on("error", (e) => log.error({ event: "socket_error", socket: path, err: e.message }));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  // The mode is set explicitly: the umask of whoever started hacrmd plays no part.
  chmodSync(path, access.gid === undefined ? 0o600 : 0o660);
  ownBy(path, access.gid);
  const ino = lstatSync(path).ino;
  const close = (): void => {
    server.close();
    try {
      if (lstatSync(path).ino === ino) unlinkSync(path);
    } catch {
      // already gone
    }
  };
  return { server, close };
}

const reply = (r: unknown): string => `${JSON.stringify(r)}\n`;

function serveConn(conn: Socket, limits: LocalSocketLimits, handle: RequestHandler, log: Logger): void {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let done = false;
  const finish = (r: unknown): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    conn.removeAllListeners("data");
    conn.end(reply(r));
  };
  const timer = setTimeout(
    () =>
      finish(socketError("REQUEST_TIMEOUT", `no complete request line within ${limits.requestTimeoutMs} ms`)),
    limits.requestTimeoutMs,
  );
  conn.on("error", () => {
    clearTimeout(timer);
    conn.destroy();
  });
  conn.on("end", () => {
    if (!done) finish(socketError("REQUEST_INVALID", "connection ended before a complete request line"));
  });
  conn.on("data", (chunk: Buffer) => {
    const nl = chunk.indexOf(0x0a);
    const part = nl < 0 ? chunk : chunk.subarray(0, nl);
    bytes += part.length;
    if (bytes > limits.requestBytesMax) {
      return finish(
        socketError("REQUEST_TOO_LARGE", `request is longer than ${limits.requestBytesMax} bytes`),
      );
    }
    chunks.push(part);
    if (nl < 0) return;
    const line = Buffer.concat(chunks).toString("utf8");
    conn.pause();
    clearTimeout(timer);
    const req = parseRequest(line);
    if ("code" in req) return finish(req);
    handle(req).then(finish, (e: unknown) => {
      log.error({ event: "request_failed", cmd: req.cmd, err: (e as Error).message });
      finish(socketError("INTERNAL", `${req.cmd} failed: ${(e as Error).message}`));
    });
  });
}

export function parseRequest(line: string): Request | SocketErrorReply {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return socketError("REQUEST_NOT_JSON", "request is not JSON (one JSON object per line)");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    return socketError("REQUEST_INVALID", "request is not a JSON object");
  }
  const cmd = (v as Record<string, unknown>)["cmd"];
  if (typeof cmd !== "string") return socketError("REQUEST_INVALID", 'request has no string "cmd"');
  return v as Request;
}
