/**
 * Issue 21 for real: three hacrmd in network namespaces, every node dropping
 * 20% of its inbound UDP (`iptables -m statistic`, as the issue measured).
 * For 20 s no daemon changes its view; then kill -9 of one node is still seen
 * by both survivors within token + 0.5 s, with the loss applied.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Harness,
  NetnsBridge,
  agreedView,
  buildOnce,
  sleep,
  waitFor,
  writeConfig,
} from "./membership-e2e-lib.js";

const tokenMs = 1000;
const lossSeconds = 20;
const tag = `hm${process.pid % 100000}`;
const net = (i: number) => `10.236.${(process.pid % 200) + 1}.${i}`;
const names = ["m1", "m2", "m3"];
const h = new Harness();
const bridge = new NetnsBridge(h, tag, 3, net);

function viewChanges(name: string): { time: number; left: string[] }[] {
  return h
    .logText(name)
    .split("\n")
    .filter((l) => l.includes('"view_changed"'))
    .map((l) => JSON.parse(l) as { time: number; left: string[] });
}

describe("membership with 20% inbound loss on every node", () => {
  beforeAll(async () => {
    buildOnce();
    bridge.build();
    h.makeKey();
    writeConfig(h.config, {
      nodes: names.map((name, i) => ({ name, nodeid: i + 1, addrs: [net(i + 1)] })),
      port: 5405,
      tokenMs,
      keyFile: h.keyFile,
    });
    for (const [i, name] of names.entries())
      h.start(name, { netns: bridge.ns(i + 1), env: { HACRM_LOG_LEVEL: "info" } });
    await waitFor("3-node view", 30_000, () => agreedView(h, names, names));
  });
  afterAll(() => h.cleanup());

  it(`no view change in ${lossSeconds} s, then a kill -9 is seen within token + 0.5 s`, async () => {
    bridge.inboundLoss("-A", 0.2);
    const from = Date.now();
    expect(names.every((n) => viewChanges(n).length > 0)).toBe(true); // the logs do record views
    await sleep(lossSeconds * 1000);
    const during = names.flatMap((n) => viewChanges(n).filter((e) => e.time >= from));
    expect(during).toEqual([]);

    const killedAt = h.kill9("m3");
    const all = await waitFor("2-node view", 10_000, () => agreedView(h, ["m1", "m2"], ["m1", "m2"]));
    for (const s of all)
      expect((s.view?.installedAtWallMs ?? Infinity) - killedAt).toBeLessThanOrEqual(tokenMs + 500);
  });
});
