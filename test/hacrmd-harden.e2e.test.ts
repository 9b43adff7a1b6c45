/**
 * A hostile or careless local user, a full disk, a corrupt state file and a
 * replay flood against real hacrmd processes on 127.0.0.1-3 (issue 14,
 * items 1, 4, 5, 6, 7). The unprivileged tries run as the real user nobody.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCodec, type HeartbeatWire } from "@hacrm/membership";
import {
  Harness,
  agreedView,
  buildOnce,
  hacrmdCli,
  request,
  sleep,
  status,
  waitFor,
  writeLoopbackConfig,
} from "./membership-e2e-lib.js";

const port = 33000 + (process.pid % 3000) * 2;
const names = ["h1", "h2", "h3"];
const h = new Harness();
const sock = (n: string) => h.daemons.get(n)?.socket ?? "";
const pid = (n: string) => h.daemons.get(n)?.proc?.pid ?? 0;
const haclientGid = () =>
  Number(execFileSync("getent", ["group", "haclient"], { encoding: "utf8" }).split(":")[2]);

/** Run a command as the unprivileged user nobody. */
function asNobody(cmd: string[]): { status: number | null; out: string } {
  const r = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", ...cmd], {
    encoding: "utf8",
    timeout: 10_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** hacrmd with extra arguments, run to completion (for the ones that must refuse to start). */
function runHacrmd(args: string[], env: Record<string, string> = {}): { status: number | null; err: string } {
  const r = spawnSync(process.execPath, [hacrmdCli, "--config", h.config, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 15_000,
  });
  return { status: r.status, err: `${r.stderr}` };
}

async function cibQuery(socket: string): Promise<{ ok: boolean; xml: string; digest: string }> {
  return (await request(socket, { cmd: "cib-query" })) as unknown as {
    ok: boolean;
    xml: string;
    digest: string;
  };
}

/** The same CIB with fencing off (a configuration change that crm_verify accepts). */
function withStonithOff(xml: string): string {
  if (!xml.includes("<crm_config/>")) throw new Error("expected the empty crm_config of a new cluster");
  return xml.replace(
    "<crm_config/>",
    '<crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="opt-stonith" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>',
  );
}

function listensTcp(p: number): boolean {
  return execFileSync("ss", ["-ltnpH"], { encoding: "utf8" }).includes(`pid=${p},`);
}

describe("hacrmd against local users, full disks, bad state and floods", () => {
  beforeAll(async () => {
    buildOnce();
    execFileSync("sh", ["-c", "getent group haclient >/dev/null || groupadd --system haclient"]);
    writeLoopbackConfig(h, names, port); // h4 configured, never started
    chmodSync(h.dir, 0o755); // let nobody reach the socket itself, so its own mode is what is tested
    // h1 under umask 000: its modes must not follow it.
    const umask = process.umask(0);
    h.start("h1");
    process.umask(umask);
    h.start("h2");
    h.start("h3");
    await waitFor("the 3-node view", 20_000, () => agreedView(h, names, names));
  });
  afterAll(async () => {
    await h.cleanup(process.env["KEEP"] === "1");
  });

  it("SIGUSR1/SIGUSR2 step the log level and open no debugger; SIGHUP is logged and ignored", async () => {
    const p = pid("h1");
    process.kill(p, "SIGUSR1");
    await sleep(300);
    process.kill(p, "SIGUSR1");
    await sleep(300);
    process.kill(p, "SIGUSR2");
    process.kill(p, "SIGHUP");
    await sleep(500);
    expect(listensTcp(p)).toBe(false); // Node's default would be the inspector on 127.0.0.1:9229
    const nobody = asNobody([
      process.execPath,
      "-e",
      "fetch('http://127.0.0.1:9229/json/list').then(r=>r.text()).then(t=>console.log(t))",
    ]);
    expect(nobody.out).not.toContain(`"pid":${p}`);
    const log = h.logText("h1");
    expect(log).toMatch(/"event":"log_level_changed","signal":"SIGUSR1","from":"info","to":"debug"/);
    expect(log).toMatch(/"event":"log_level_changed","signal":"SIGUSR1","from":"debug","to":"trace"/);
    expect(log).toMatch(/"event":"log_level_changed","signal":"SIGUSR2","from":"trace","to":"debug"/);
    expect(log).toMatch(/"event":"signal_ignored","signal":"SIGHUP"/);
    expect((await status(sock("h1"))).view?.members).toEqual(names);
  });

  it("refuses to start when NODE_OPTIONS or a flag asks for a debugger", () => {
    const inspectPort = port + 100;
    const r = runHacrmd(
      ["--node", "h4", "--socket", join(h.dir, "x.sock"), "--state-dir", join(h.dir, "sx")],
      {
        NODE_OPTIONS: `--inspect=127.0.0.1:${inspectPort}`,
      },
    );
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/refusing to run with a debugger: NODE_OPTIONS asks for a debugger/);
    expect(existsSync(join(h.dir, "x.sock"))).toBe(false);
    // A config that is a directory: one line naming it, not a stack trace (item 13).
    const d = runHacrmd(["--config", h.dir, "--node", "h4"]);
    expect(d.status).toBe(1);
    expect(d.err).toBe(
      `hacrmd: CONFIG_UNREADABLE: ${h.dir}: cannot read the cluster config: is a directory\n`,
    );
  });

  it("the socket and state dir are root and haclient only, whatever the umask; nobody cannot connect", () => {
    const gid = haclientGid();
    const s = statSync(sock("h1"));
    expect(s.mode & 0o777).toBe(0o660);
    expect(s.gid).toBe(gid);
    const dir = statSync(join(h.dir, "state-h1"));
    expect(dir.mode & 0o777).toBe(0o750);
    expect(dir.gid).toBe(gid);
    expect(statSync(join(h.dir, "state-h1", "membership.json")).mode & 0o007).toBe(0);
    const r = asNobody([
      process.execPath,
      "-e",
      `require('net').connect(${JSON.stringify(sock("h1"))}).on('connect',()=>{console.log('CONNECTED');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(3)})`,
    ]);
    expect(r.out).toContain("EACCES");
  });

  it("--socket removes only a stale socket: a regular file and a live socket are refused", async () => {
    const file = join(h.dir, "precious.txt");
    writeFileSync(file, "keep me\n");
    const a = runHacrmd(["--node", "h4", "--socket", file, "--state-dir", join(h.dir, "s4")]);
    expect(a.status).toBe(1);
    expect(a.err).toMatch(/precious.txt: exists and is not a socket/);
    expect(readFileSync(file, "utf8")).toBe("keep me\n");
    const b = runHacrmd(["--node", "h4", "--socket", sock("h2"), "--state-dir", join(h.dir, "s4")]);
    expect(b.status).toBe(1);
    expect(b.err).toMatch(/SOCKET_IN_USE: .*another process is listening/);
    expect((await status(sock("h2"))).view?.members).toEqual(names);
    // A stale socket (bound, nobody listening) is replaced; a missing group means root only.
    const stale = join(h.dir, "stale.sock");
    execFileSync("python3", [
      "-c",
      `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(stale)})`,
    ]);
    const d = spawn(
      process.execPath,
      [
        hacrmdCli,
        "--config",
        h.config,
        "--node",
        "h4",
        "--socket",
        stale,
        "--state-dir",
        join(h.dir, "s4"),
        "--group",
        "nosuchgroup",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    d.stdout.on("data", (c: Buffer) => (out += c.toString()));
    try {
      await waitFor("h4 on the stale socket", 10_000, async () =>
        (await status(stale)).node === "h4" ? true : undefined,
      );
      expect(statSync(stale).mode & 0o777).toBe(0o600);
      expect(out).toMatch(/"event":"stale_socket_removed"/);
      expect(out).toMatch(/"event":"group_missing","group":"nosuchgroup"/);
    } finally {
      d.kill("SIGTERM");
      await new Promise((r) => d.once("exit", r));
    }
    expect(existsSync(stale)).toBe(false);
    await waitFor("h4 gone from the view", 10_000, () => agreedView(h, names, names));
  });

  it("a state file with an absurd ring seq is refused by name; a peer's absurd ring seq is dropped", async () => {
    const before = await status(sock("h1"));
    const key = readFileSync(h.keyFile);
    const inc = Math.floor(Date.now() / 1000) + 1000; // above any incarnation h4 had
    const as4 = createCodec(
      { clusterName: "e2e", key, cipher: "none", hash: "sha256", selfId: 4, nodeIds: [1, 2, 3, 4] },
      inc,
    );
    const evil: HeartbeatWire = {
      t: "hb",
      rows: [{ id: 4, inc, ver: 1, heard: [1, 2, 3, 4] }],
      prop: { seq: 1e308, rep: 1, members: [1, 2, 3, 4].map((id) => ({ id, inc })) },
      view: null,
      wfaCleared: false,
      lms: null,
    };
    const udp = createSocket("udp4");
    await new Promise<void>((r) => udp.bind(0, "127.0.0.4", () => r()));
    for (const i of [1, 2, 3])
      await new Promise<void>((r) => udp.send(as4.encode(evil), port, `127.0.0.${i}`, () => r()));
    udp.close();
    await sleep(300);
    const after = await status(sock("h1"));
    expect(after.datagrams.dropped.malformed ?? 0).toBeGreaterThan(before.datagrams.dropped.malformed ?? 0);
    expect(after.view?.id).toBe(before.view?.id);
    // The file: stop h3, plant 1e308, start it: refused with the file's name, the others unaffected.
    h.kill9("h3");
    await waitFor("h1+h2", 10_000, () => agreedView(h, ["h1", "h2"], ["h1", "h2"]));
    const file = join(h.dir, "state-h3", "membership.json");
    writeFileSync(file, '{"ringSeq":1e308}');
    const r = runHacrmd([
      "--node",
      "h3",
      "--socket",
      join(h.dir, "h3b.sock"),
      "--state-dir",
      join(h.dir, "state-h3"),
    ]);
    expect(r.status).toBe(1);
    expect(r.err).toContain(`membership state file ${file} rejected: ringSeq 1e+308 is not an integer`);
    expect(existsSync(join(h.dir, "h3b.sock"))).toBe(false);
    writeFileSync(file, "{ torn");
    expect(
      runHacrmd(["--node", "h3", "--socket", join(h.dir, "h3b.sock"), "--state-dir", join(h.dir, "state-h3")])
        .err,
    ).toMatch(/rejected: not JSON/);
    rmSync(file);
    h.start("h3");
    const views = await waitFor("3-node view again", 20_000, () => agreedView(h, names, names));
    expect(views[0]?.view?.id).toMatch(/^1\.\d{1,6}$/);
  });

  it("full disk: membership and the CIB go on in memory, the files are named, and it recovers by itself", async () => {
    const mnt = join(h.dir, "small");
    mkdirSync(mnt);
    // Room for the state directory (the executor's SQLite journal alone takes 48 KiB), then filled up.
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt]);
    try {
      h.kill9("h3");
      await waitFor("h1+h2", 10_000, () => agreedView(h, ["h1", "h2"], ["h1", "h2"]));
      const stateDir = join(mnt, "state-h3");
      const d = h.start("h3", { stateDir });
      const logOf = () => h.logText("h3");
      await waitFor("3-node view", 20_000, () => agreedView(h, names, names));
      // h3 holds the DC's copy before the disk fills (the DC is h1: lowest id, up longest).
      await waitFor("h3 has the DC's CIB", 20_000, async () => {
        const [a, b] = await Promise.all([cibQuery(sock("h1")), cibQuery(d.socket)]);
        return a.ok && a.digest === b.digest && existsSync(join(stateDir, "cib-state.json"))
          ? true
          : undefined;
      });
      spawnSync("dd", ["if=/dev/zero", `of=${join(mnt, "filler")}`, "bs=4k"], { stdio: "ignore" });
      const cibFile = join(stateDir, "cib-state.json");
      // A write through the DC: h3 cannot make it durable, so it does not confirm it yet.
      const pending = request(
        sock("h1"),
        {
          cmd: "cib-write",
          write: { op: "replace", xml: withStonithOff((await cibQuery(sock("h1"))).xml), base: null },
        },
        30_000,
      ) as Promise<{ ok: boolean; result?: { ok: boolean } }>;
      await waitFor("h3 logs the CIB it cannot write", 10_000, () =>
        logOf().includes(`"event":"cib_persist_failed","file":"${cibFile}","error":"ENOSPC`)
          ? true
          : undefined,
      );
      // A write through h3 itself is refused at once, naming the file; nothing changes.
      const refused = (await request(d.socket, {
        cmd: "cib-write",
        write: { op: "replace", xml: (await cibQuery(d.socket)).xml, base: null },
      })) as unknown as { result: { ok: boolean; error: { code: string; message: string } } };
      expect(refused.result.ok).toBe(false);
      expect(refused.result.error.code).toBe("NOT_DURABLE");
      expect(refused.result.error.message).toContain(`${cibFile}: ENOSPC`);
      h.kill9("h2"); // a view change: h3 must write its ring seq, and cannot
      await waitFor("h1+h3", 10_000, () => agreedView(h, ["h1", "h3"], ["h1", "h3"]));
      const s = await status(d.socket);
      expect(s.persistence).toMatchObject({ ok: false, file: join(stateDir, "membership.json") });
      expect(s.persistence.error).toMatch(/ENOSPC/);
      expect(logOf()).toContain(
        `"event":"state_persist_failed","file":"${join(stateDir, "membership.json")}"`,
      );
      expect(d.proc?.exitCode).toBeNull();
      rmSync(join(mnt, "filler"));
      await waitFor("persistence recovered", 5000, async () =>
        (await status(d.socket)).persistence.ok && logOf().includes('"event":"cib_persist_recovered"')
          ? true
          : undefined,
      );
      expect(logOf()).toMatch(/"event":"state_persist_recovered"/);
      const saved = JSON.parse(readFileSync(join(stateDir, "membership.json"), "utf8")) as {
        ringSeq: number;
      };
      expect(`1.${saved.ringSeq}`).toBe(s.view?.id);
      // The copy on disk is the one in memory, the write through the DC included.
      const onDisk = JSON.parse(readFileSync(cibFile, "utf8")) as { digest: string; xml: string };
      expect(onDisk.digest).toBe((await cibQuery(d.socket)).digest);
      expect(onDisk.xml).toContain('name="stonith-enabled" value="false"');
      await pending.catch(() => undefined); // acknowledged or interrupted by the view change: either is honest
      h.start("h2");
      await waitFor("3-node view", 20_000, () => agreedView(h, names, names));
    } finally {
      // Put h3 back on its own state dir (and h2, if the test ended before restarting it),
      // without letting a failure here hide the test's own.
      h.kill9("h3");
      await sleep(200);
      execFileSync("umount", ["-l", mnt]);
      h.start("h3");
      if (!h.daemons.get("h2")?.proc) h.start("h2");
      await waitFor("3-node view", 20_000, () => agreedView(h, names, names)).catch((e: Error) =>
        console.error(`full disk: restoring the cluster: ${e.message}`),
      );
    }
  });

  it("a replay flood from another address and from a member's own address changes no view", async () => {
    // Capture one real heartbeat of h2 by listening on h4's address.
    const cap = createSocket("udp4");
    const captured = await new Promise<Buffer>((resolve, reject) => {
      // h2 heartbeats every nodelist member, h4 included, every token/10: seconds are plenty.
      const timer = setTimeout(
        () => reject(new Error("no heartbeat of h2 reached 127.0.0.4 in 10 s")),
        10_000,
      );
      cap.on("message", (m) => {
        if (m.readUInt32BE(4) !== 2) return;
        clearTimeout(timer);
        resolve(m);
      });
      cap.bind(port, "127.0.0.4");
    }).finally(() => cap.close());
    // A view that has held for 3 s (an earlier test restarted h3).
    const stable = async () => {
      const a = await agreedView(h, names, names);
      return a && Date.now() - (a[0]?.view?.installedAtWallMs ?? 0) > 3000 ? a : undefined;
    };
    const before = await waitFor("a stable 3-node view", 20_000, stable);
    const seconds = 5;
    // A Python loop sends faster than a Node one (no callback per datagram).
    const flood = (from: string) =>
      new Promise<number>((resolve) => {
        const script = [
          "import socket, time, base64, sys",
          `b = base64.b64decode("${captured.toString("base64")}")`,
          "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
          `s.bind(("${from}", 0))`,
          `dst = [("127.0.0.%d" % i, ${port}) for i in (1, 2, 3)]`,
          `n = 0; until = time.time() + ${seconds}`,
          "while time.time() < until:",
          "    for _ in range(200):",
          "        for d in dst:",
          "            try: s.sendto(b, d); n += 1",
          "            except OSError: pass",
          "print(n)",
        ].join("\n");
        const c = spawn("python3", ["-c", script], { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        c.stdout.on("data", (d: Buffer) => (out += d.toString()));
        c.on("exit", () => resolve(Number(out.trim())));
      });
    const [fromOther, fromMember] = await Promise.all([flood("127.0.0.9"), flood("127.0.0.2")]);
    const after = await Promise.all(names.map((n) => status(sock(n))));
    console.log(
      `replay flood: ${Math.round(fromOther / seconds / 3)}/s per node from 127.0.0.9 and ${Math.round(fromMember / seconds / 3)}/s per node from 127.0.0.2; drops at h1: ${JSON.stringify(after[0]?.datagrams.dropped)}`,
    );
    expect(after.map((s) => s.view?.id)).toEqual(before.map((s) => s.view?.id));
    expect(after.map((s) => s.view?.installedAtWallMs)).toEqual(before.map((s) => s.view?.installedAtWallMs));
    expect(after[0]?.datagrams.dropped.wrong_source ?? 0).toBeGreaterThan(
      before[0]?.datagrams.dropped.wrong_source ?? 0,
    );
    expect(after.every((s) => s.quorum.quorate)).toBe(true);
  });

  it("the local socket answers garbage with a clear error and keeps working", async () => {
    expect(await request(sock("h1"), { cmd: "nope" })).toMatchObject({ ok: false, code: "UNKNOWN_COMMAND" });
    expect(await request(sock("h1"), { cmd: "debug-block", ms: 5000 })).toMatchObject({ ok: false });
  });
});
