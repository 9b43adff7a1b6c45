/**
 * Hostile input to hacrmd's local socket server (the code every request goes
 * through): random, truncated, oversized and malformed requests, many idle
 * and slow connections. Invariant: no crash, a clear error, nothing changes
 * (the request handler never sees a bad request).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSilentLogger } from "@hacrm/common/logger";
import { clearStaleSocket, serveLocalSocket, type LocalSocket } from "../src/local-socket.js";

const dir = mkdtempSync(join(tmpdir(), "hacrm-sock-"));
const path = join(dir, "d.sock");
const limits = { requestBytesMax: 4096, connectionsMax: 32, requestTimeoutMs: 400 };
const codes = new Set([
  "REQUEST_TOO_LARGE",
  "REQUEST_NOT_JSON",
  "REQUEST_INVALID",
  "REQUEST_TIMEOUT",
  "BUSY",
  "UNKNOWN_COMMAND",
]);
let handled = 0;
let server: LocalSocket;

/** Send raw bytes (optionally without ending), return what came back when the server closed. */
function exchange(bytes: Buffer | string, opts: { end?: boolean; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(path);
    let out = "";
    const t = setTimeout(() => {
      c.destroy();
      reject(new Error("no answer"));
    }, opts.timeoutMs ?? 3000);
    c.on("connect", () => {
      c.write(bytes);
      if (opts.end) c.end();
    });
    c.on("data", (d) => (out += d.toString()));
    c.on("error", () => undefined);
    c.on("close", () => {
      clearTimeout(t);
      resolve(out);
    });
  });
}

const replyOf = (text: string) => JSON.parse(text) as { ok: boolean; code?: string; error?: string };

describe("local socket against hostile clients", () => {
  beforeAll(async () => {
    const umask = process.umask(0);
    server = await serveLocalSocket(
      path,
      { gid: undefined },
      limits,
      async (req) => {
        if (req.cmd !== "status") return { ok: false, code: "UNKNOWN_COMMAND", error: "unknown" };
        handled++;
        return { ok: true };
      },
      createSilentLogger(),
    );
    process.umask(umask);
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is root-only (0600) without a group, whatever the umask", () => {
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("answers 300 random requests with a clear error each, the handler never sees one", async () => {
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
    const shapes = [
      () => Buffer.from(Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256))),
      () => `{"cmd":${JSON.stringify("x".repeat(Math.floor(rnd() * 50)))}`,
      () =>
        ["[]", "1", "null", '"status"', '{"cmd":5}', "{}", '{"cmd":["status"]}', "\u0000\u001b[2J"][
          Math.floor(rnd() * 8)
        ] ?? "",
      () => JSON.stringify({ cmd: "status" }).slice(0, Math.floor(rnd() * 16)),
    ];
    for (let i = 0; i < 300; i++) {
      const shape = shapes[i % shapes.length] as () => Buffer | string;
      const body = shape();
      const withNewline = Buffer.concat([Buffer.from(body).filter((b) => b !== 0x0a), Buffer.from("\n")]);
      const r = replyOf(
        await exchange(i % 2 ? withNewline : Buffer.from(body).filter((b) => b !== 0x0a), { end: true }),
      );
      expect(r.ok).toBe(false);
      expect(codes.has(r.code ?? "")).toBe(true);
      expect(r.error).toBeTruthy();
    }
    expect(handled).toBe(0);
    expect(replyOf(await exchange('{"cmd":"status"}\n'))).toEqual({ ok: true });
    expect(handled).toBe(1);
  });

  it("refuses an oversized request without reading it all", async () => {
    const r = replyOf(await exchange(Buffer.alloc(1 << 20, 0x41)));
    expect(r).toMatchObject({ ok: false, code: "REQUEST_TOO_LARGE" });
    expect(r.error).toContain("4096 bytes");
  });

  it("cuts off a slow client at the request deadline", async () => {
    const started = Date.now();
    const text = await new Promise<string>((resolve) => {
      const c = connect(path);
      let out = "";
      const drip = setInterval(() => c.write("{"), 50);
      c.on("data", (d) => (out += d.toString()));
      c.on("error", () => undefined);
      c.on("close", () => {
        clearInterval(drip);
        resolve(out);
      });
    });
    expect(replyOf(text)).toMatchObject({ ok: false, code: "REQUEST_TIMEOUT" });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("500 idle connections: the ones over the limit get BUSY, all are cut off, then it serves again", async () => {
    // A connection the kernel turns away (its backlog full on a loaded machine) ends with an
    // error and no reply: it was refused too, just before hacrmd saw it.
    const conns = Array.from({ length: 500 }, () => {
      const c = connect(path);
      let out = "";
      let err = "";
      c.on("data", (d) => (out += d.toString()));
      c.on("error", (e: NodeJS.ErrnoException) => (err = e.code ?? "error"));
      return new Promise<{ out: string; err: string }>((resolve) =>
        c.on("close", () => resolve({ out, err })),
      );
    });
    const ends = await Promise.all(conns);
    const refusedByKernel = ends.filter(
      (e) => e.out === "" && ["EAGAIN", "ECONNREFUSED"].includes(e.err),
    ).length;
    const replies = ends.filter((e) => e.out !== "").map((e) => replyOf(e.out));
    expect(replies.length + refusedByKernel).toBe(500);
    const busy = replies.filter((r) => r.code === "BUSY").length;
    // Slots free up as the first ones time out, so somewhat more than the limit are served.
    expect(busy + refusedByKernel).toBeGreaterThan(0);
    expect(replies.length - busy).toBeGreaterThanOrEqual(limits.connectionsMax);
    expect(replies.every((r) => r.code === "BUSY" || r.code === "REQUEST_TIMEOUT")).toBe(true);
    // hacrmd frees a slot when it sees the connection close, which may come just after the
    // client saw it: a client asking again (as hacrm's does on BUSY) is served within moments.
    let again = replyOf(await exchange('{"cmd":"status"}\n'));
    for (let i = 0; i < 20 && again.code === "BUSY"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = replyOf(await exchange('{"cmd":"status"}\n'));
    }
    expect(again).toEqual({ ok: true });
  });

  it("--socket: a regular file and a live socket are refused, a stale socket is removed", async () => {
    const log = createSilentLogger();
    const file = join(dir, "file");
    writeFileSync(file, "data");
    await expect(clearStaleSocket(file, log)).rejects.toThrow(/exists and is not a socket/);
    expect(readFileSync(file, "utf8")).toBe("data");
    await expect(clearStaleSocket(path, log)).rejects.toThrow(/another process is listening/);
    const stalePath = join(dir, "stale.sock");
    const s = createServer();
    await new Promise<void>((r) => s.listen(stalePath, () => r()));
    // Close the listening fd without unlinking, as a killed process would leave it.
    (s as unknown as { _handle: { close(): void } })._handle.close();
    await clearStaleSocket(stalePath, log);
    expect(() => statSync(stalePath)).toThrow();
  });
});
