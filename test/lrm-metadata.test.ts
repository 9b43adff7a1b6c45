import { describe, expect, it } from "vitest";
import { parseConfTree, type HacrmError } from "@hacrm/common";
import {
  executorSettingsFromConf,
  resolveAgentPaths,
  checkParameters,
  defaultTimeoutMs,
  failureClass,
  lsbMetadataXml,
  mapLsbExit,
  ocfOperationEnv,
  parseAgentMetadata,
  parseAgentSpec,
  stonithStdin,
} from "@hacrm/lrm";

const xml = `<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="Web" version="2.0">
<version>1.1</version>
<longdesc lang="en">A web server.</longdesc>
<shortdesc lang="en">Web &amp; more</shortdesc>
<parameters>
<parameter name="config" required="1" unique="1">
<longdesc lang="en">Configuration file.</longdesc>
<shortdesc lang="en">Config file</shortdesc>
<content type="string"/>
</parameter>
<parameter name="port">
<longdesc lang="en">Port.</longdesc>
<shortdesc lang="en">Port</shortdesc>
<content type="integer" default="80"/>
</parameter>
<parameter name="mode">
<longdesc lang="en">Mode.</longdesc>
<shortdesc lang="en">Mode</shortdesc>
<content type="select" default="fast"><option value="fast"/><option value="safe"/></content>
</parameter>
</parameters>
<actions>
<action name="start" timeout="40s"/>
<action name="stop" timeout="1min"/>
<action name="monitor" timeout="20s" interval="10s" depth="0"/>
<action name="monitor" timeout="30s" interval="20s" depth="10"/>
</actions>
</resource-agent>`;

describe("agent meta-data", () => {
  const md = parseAgentMetadata(xml);

  it("parses parameters with required, unique, type, default and shortdesc", () => {
    expect(md.name).toBe("Web");
    expect(md.shortdesc).toBe("Web & more");
    expect(md.parameters.map((p) => [p.name, p.required, p.unique, p.type, p.default, p.shortdesc])).toEqual([
      ["config", true, true, "string", undefined, "Config file"],
      ["port", false, false, "integer", "80", "Port"],
      ["mode", false, false, "select", "fast", "Mode"],
    ]);
  });

  it("gives each action its default timeout, monitors by interval", () => {
    expect(defaultTimeoutMs(md, "start")).toBe(40_000);
    expect(defaultTimeoutMs(md, "stop")).toBe(60_000);
    expect(defaultTimeoutMs(md, "monitor", 20_000)).toBe(30_000);
    expect(defaultTimeoutMs(md, "monitor", 10_000)).toBe(20_000);
    expect(defaultTimeoutMs(md, "promote")).toBeUndefined();
  });

  it("refuses unknown and missing required parameters, bad integers and values outside a select", () => {
    expect(checkParameters(md, { config: "/etc/web.conf" })).toEqual([]);
    const problems = checkParameters(md, { prot: "8080", port: "eighty", mode: "slow" });
    expect(problems.map((p) => [p.code, p.parameter])).toEqual([
      ["PARAM_UNKNOWN", "prot"],
      ["PARAM_TYPE", "port"],
      ["PARAM_SELECT", "mode"],
      ["PARAM_REQUIRED", "config"],
    ]);
    expect(problems[0]?.message).toContain("has no parameter 'prot'");
    // a fence agent's required action/plug come from the fencer, not the configuration
    expect(checkParameters(md, {}, { supplied: (n) => n === "config" })).toEqual([]);
  });

  it("rejects malformed meta-data with a typed error", () => {
    expect(() => parseAgentMetadata("<resource-agent><oops></resource-agent>")).toThrow(/meta-data/);
    expect(() => parseAgentMetadata("<other/>")).toThrow(/no <resource-agent>/);
  });

  it("builds LSB meta-data from the init script header", () => {
    const lsb = parseAgentMetadata(
      lsbMetadataXml("svc", "### BEGIN INIT INFO\n# Short-Description: my <svc>\n### END INIT INFO\n"),
    );
    expect(lsb.shortdesc).toBe("my <svc>");
    expect(lsb.parameters).toEqual([]);
    expect(lsb.actions.map((a) => a.name)).toContain("status");
  });
});

describe("agent names, durations, codes", () => {
  it("parses agent names and refuses bad ones", () => {
    expect(parseAgentSpec("ocf:heartbeat:IPaddr2")).toEqual({
      cls: "ocf",
      provider: "heartbeat",
      type: "IPaddr2",
    });
    expect(parseAgentSpec("lsb:ssh")).toEqual({ cls: "lsb", type: "ssh" });
    expect(parseAgentSpec("stonith:fence_hacrm")).toEqual({ cls: "stonith", type: "fence_hacrm" });
    expect(() => parseAgentSpec("ocf:Dummy")).toThrow(/provider/);
    expect(() => parseAgentSpec("ocf:x:../../bin/sh")).toThrow(/bad characters/);
    expect(() => parseAgentSpec("upstart2:x")).toThrow(/unknown class/);
    expect(parseAgentSpec("heartbeat:x")).toEqual({ cls: "heartbeat", type: "x" });
  });

  it("classes failures as Pacemaker does and maps LSB status codes", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(failureClass)).toEqual([
      "none",
      "soft",
      "fatal",
      "hard",
      "hard",
      "hard",
      "fatal",
      "none",
      "none",
      "soft",
    ]);
    expect([0, 1, 2, 3, 4, 150].map((c) => mapLsbExit("status", c))).toEqual([0, 7, 7, 7, 1, 1]);
    expect([0, 1, 5, 7, 42].map((c) => mapLsbExit("start", c))).toEqual([0, 1, 5, 7, 1]);
  });

  it("passes parameters and meta attributes as OCF_RESKEY_ variables, interval and timeout in ms", () => {
    const env = ocfOperationEnv({
      resource: "r:0",
      agent: "ocf:x:y",
      action: "monitor",
      intervalMs: 10_000,
      timeoutMs: 20_000,
      checkLevel: 10,
      params: { msg: "a b 'c' \"d\"\nline2" },
      meta: { "clone-max": "2", notify_type: "pre" },
    });
    expect(env).toMatchObject({
      OCF_RESKEY_msg: "a b 'c' \"d\"\nline2",
      OCF_RESKEY_CRM_meta_clone_max: "2",
      OCF_RESKEY_CRM_meta_notify_type: "pre",
      OCF_RESKEY_CRM_meta_interval: "10000",
      OCF_RESKEY_CRM_meta_timeout: "20000",
      OCF_CHECK_LEVEL: "10",
    });
    expect(() =>
      ocfOperationEnv({
        resource: "r",
        agent: "ocf:x:y",
        action: "start",
        intervalMs: 0,
        timeoutMs: 1,
        params: { "bad name": "1" },
      }),
    ).toThrow(/cannot be passed/);
  });

  it("sends fence agents key=value lines, leaving Pacemaker's pcmk_ options out", () => {
    const text = stonithStdin({
      resource: "f",
      agent: "stonith:fence_x",
      action: "off",
      intervalMs: 0,
      timeoutMs: 1,
      params: { plug: "n1", pcmk_host_list: "n1" },
    });
    expect(text).toBe("action=off\nplug=n1\n");
  });
});

describe("executor settings from the config file", () => {
  it("reads the executor section; the ocf_path folders come after HACRM_OCF_PATH and before the defaults", () => {
    const tree = parseConfTree(
      "totem {\n  version: 2\n}\nexecutor {\n  ocf_path: /opt/ra:/srv/ra\n  actions_in_flight_max: 3\n  kill_grace: 2s\n}\n",
      "hacrm.conf",
    );
    const s = executorSettingsFromConf(tree, "hacrm.conf");
    expect(s).toEqual({ ocfDirs: ["/opt/ra", "/srv/ra"], actionsInFlightMax: 3, killGraceMs: 2000 });
    const paths = resolveAgentPaths({
      env: { HACRM_OCF_PATH: "/first" },
      configOcfDirs: s.ocfDirs,
      agentsDir: "/repo/agents",
    });
    expect(paths.ocfDirs).toEqual([
      "/first",
      "/opt/ra",
      "/srv/ra",
      "/repo/agents/ocf/resource.d",
      "/usr/lib/ocf/resource.d",
    ]);
  });

  it("names the line of a bad key or value", () => {
    expect(() =>
      executorSettingsFromConf(parseConfTree("executor {\n  actions_in_flight_max: 0\n}\n", "c"), "c"),
    ).toThrow(/positive integer/);
    try {
      executorSettingsFromConf(parseConfTree("executor {\n\n  ocf_pth: /x\n}\n", "c"), "c");
      expect.unreachable();
    } catch (err) {
      expect((err as HacrmError).where).toBe("c:3");
    }
  });
});
