import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseClusterConfig } from "@hacrm/common";
import { loadExecutorSettings, runDaemon } from "@hacrm/controller";

// hacrmd reads the config's `executor { }` section (issue 9): a bad value
// stops it at start, before it reads its key or joins anyone.
const dir = mkdtempSync(join(tmpdir(), "hacrmd-executor-"));
const config = (executor: string) => `totem {
  version: 2
  cluster_name: t
  transport: udpu
}
nodelist {
  node {
    ring0_addr: 127.0.0.1
    name: n1
    nodeid: 1
  }
}
${executor}
`;

describe("hacrmd and the executor section", () => {
  it("reads the executor settings and no longer calls the section unknown", () => {
    const path = join(dir, "good.conf");
    const text = config(
      "executor {\n  ocf_path: /srv/ra:/opt/ra\n  kill_grace: 3s\n  actions_in_flight_max: 4\n}",
    );
    writeFileSync(path, text);
    expect(loadExecutorSettings(path)).toEqual({
      ocfDirs: ["/srv/ra", "/opt/ra"],
      killGraceMs: 3000,
      actionsInFlightMax: 4,
    });
    expect(parseClusterConfig(text, path).warnings).toEqual([]);
  });

  it("refuses to start on a bad executor value, naming the line", async () => {
    const path = join(dir, "bad.conf");
    writeFileSync(path, config("executor {\n  kill_grace: 10x\n}"));
    await expect(
      runDaemon({
        config: path,
        socket: join(dir, "s.sock"),
        stateDir: join(dir, "state"),
        pretty: false,
        node: undefined,
      }),
    ).rejects.toThrow(/10x/);
    await expect(
      runDaemon({
        config: path,
        socket: join(dir, "s.sock"),
        stateDir: join(dir, "state"),
        pretty: false,
        node: undefined,
      }),
    ).rejects.toMatchObject({ code: "DURATION", where: `${path}:14` });
  });
});
