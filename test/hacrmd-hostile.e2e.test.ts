/**
 * Hostile datagrams against a real 3-node hacrmd cluster on 127.0.0.1-3:
 * wrong key, truncated, replayed, oversized, unknown sender, stale
 * incarnation, and 100,000 random datagrams. Every one is dropped and
 * counted, the daemons keep their view, and the log is not flooded.
 */
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCodec, type HeartbeatWire } from "@hacrm/membership";
import { PassThrough } from "node:stream";
import { command as membershipCommand } from "../packages/shell/src/commands/membership.js";
import { command as quorumCommand } from "../packages/shell/src/commands/quorum.js";
import {
  Harness,
  agreedView,
  buildOnce,
  sleep,
  status,
  waitFor,
  writeLoopbackConfig,
} from "./membership-e2e-lib.js";

const port = 31000 + (process.pid % 4000) * 2;
const names = ["h1", "h2", "h3"];
const h = new Harness();
const fuzzCount = 100_000;

const hb = (): HeartbeatWire => ({
  t: "hb",
  rows: [],
  prop: { seq: 1, rep: 4, members: [{ id: 4, inc: 1 }] },
  view: null,
  wfaCleared: false,
  lms: null,
});

describe("hostile input to hacrmd", () => {
  const udp = createSocket("udp4");
  const target = "127.0.0.1";
  const send = (b: Uint8Array) => new Promise<void>((res) => udp.send(b, port, target, () => res()));

  beforeAll(async () => {
    buildOnce();
    writeLoopbackConfig(h, names, port); // h4 configured, never started
    for (const n of names) h.start(n);
    // Node 4's address: datagrams naming node 4 as sender from anywhere else
    // are dropped as wrong_source before any other check.
    await new Promise<void>((res) => udp.bind(0, "127.0.0.4", () => res()));
    await waitFor("the 3-node view", 20_000, () => agreedView(h, names, names));
  });
  afterAll(async () => {
    udp.close();
    await h.cleanup();
  });

  it("hacrm membership --json and hacrm quorum read the daemon (HACRM_SOCKET or --socket)", async () => {
    const io = () => {
      const stdout = new PassThrough();
      let text = "";
      stdout.on("data", (d: Buffer) => (text += d.toString()));
      return {
        stdin: new PassThrough(),
        stdout,
        stderr: new PassThrough(),
        env: { HACRM_SOCKET: h.daemons.get("h2")?.socket ?? "" },
        cwd: h.dir,
        text: () => text,
      };
    };
    const a = io();
    expect(await membershipCommand.run(["--json"], a)).toBe(0);
    const j = JSON.parse(a.text()) as {
      node: string;
      view: { id: string; members: string[] };
      quorum: { quorate: boolean; votes: number; expected: number };
    };
    expect(j.node).toBe("h2");
    expect(j.view.members).toEqual(names);
    expect(j.quorum).toMatchObject({ quorate: true, votes: 3, expected: 4 });
    const b = io();
    expect(await quorumCommand.run(["--socket", h.daemons.get("h1")?.socket ?? ""], b)).toBe(0);
    expect(b.text()).toMatch(/Quorate:\s+Yes/);
    expect(b.text()).toMatch(/Expected votes:\s+4/);
    expect(b.text()).toMatch(/1\s+1 h1 \(local\)/);
    const c = io();
    expect(await membershipCommand.run([], c)).toBe(0);
    expect(c.text()).toMatch(/h4\s+nodeid 4\s+lost\s+last heard never/);
    await expect(membershipCommand.run(["--socket", `${h.dir}/nope.sock`], io())).rejects.toThrow(
      /cannot connect/,
    );
  });

  it("drops and counts each kind of bad datagram", async () => {
    const key = readFileSync(h.keyFile);
    const as4 = createCodec(
      { clusterName: "e2e", key, cipher: "none", hash: "sha256", selfId: 4, nodeIds: [1, 2, 3, 4] },
      5,
    );
    const wrongKey = createCodec(
      {
        clusterName: "e2e",
        key: Buffer.alloc(64, 7),
        cipher: "none",
        hash: "sha256",
        selfId: 4,
        nodeIds: [1, 2, 3, 4],
      },
      6,
    );
    const unknown = createCodec(
      { clusterName: "e2e", key, cipher: "none", hash: "sha256", selfId: 99, nodeIds: [1, 2, 3, 4, 99] },
      5,
    );
    const stale = createCodec(
      { clusterName: "e2e", key, cipher: "none", hash: "sha256", selfId: 4, nodeIds: [1, 2, 3, 4] },
      4,
    );
    const good = as4.encode(hb());
    await send(good);
    await send(good); // replayed
    await send(wrongKey.encode(hb()));
    await send(good.subarray(0, 20)); // truncated
    const next = as4.encode(hb());
    await send(Buffer.concat([next.subarray(0, next.length - 1), Buffer.from([next[next.length - 1]! ^ 1])])); // tampered
    await send(unknown.encode(hb()));
    await send(stale.encode(hb())); // older incarnation of node 4
    await send(Buffer.alloc(65_400, 1)); // oversized
    await sleep(300);
    const s = await status(h.daemons.get("h1")?.socket ?? "");
    expect(s.datagrams.dropped).toMatchObject({
      replayed: 1,
      truncated: 1,
      unknown_node: 1,
      stale_incarnation: 1,
      oversized: 1,
    });
    expect(s.datagrams.dropped.auth_failed).toBe(2);
    expect(s.view?.members).toEqual(names);
  });

  it(`survives ${fuzzCount.toLocaleString("en")} random datagrams, counts them, and logs without flooding`, async () => {
    const before = await status(h.daemons.get("h1")?.socket ?? "");
    let seed = 12345;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
    const total = (x: Awaited<ReturnType<typeof status>>) =>
      Object.values(x.datagrams.dropped).reduce((a, c) => a + (c ?? 0), 0);
    const sock1 = h.daemons.get("h1")?.socket ?? "";
    // Send in paced batches until the daemon itself has counted fuzzCount
    // drops (the kernel may drop some when its receive buffer is full).
    let sent = 0;
    let counted = 0;
    let after = before;
    while (counted < fuzzCount && sent < 3 * fuzzCount) {
      for (let k = 0; k < 2000; k++, sent++) {
        const b = Buffer.alloc(Math.floor(rnd() * 600));
        for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
        if (b.length > 16 && sent % 2 === 0) {
          b.write("HC", 0, "latin1");
          b[2] = 1;
          b.writeUInt32BE(1 + (sent % 4), 4);
        }
        udp.send(b, port, target);
        if (k % 250 === 249) await sleep(1);
      }
      await sleep(20);
      after = await status(sock1);
      counted = total(after) - total(before);
    }
    expect(counted).toBeGreaterThanOrEqual(fuzzCount);
    console.log(`random datagrams dropped: ${JSON.stringify(after.datagrams.dropped)}`);
    expect(after.view?.members).toEqual(names);
    expect(after.view?.id).toBe(before.view?.id);
    const views = await Promise.all(names.map((n) => status(h.daemons.get(n)?.socket ?? "")));
    expect(new Set(views.map((v) => v.view?.id)).size).toBe(1);
    const dropLines = h
      .logText("h1")
      .split("\n")
      .filter((l) => l.includes("datagrams_dropped"));
    expect(dropLines.length).toBeLessThanOrEqual(6);
    expect(h.daemons.get("h1")?.proc?.exitCode).toBeNull();
  });
});
