/** The corosync.conf-syntax cluster config parser (packages/common). */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keyFileWarning } from "@hacrm/controller";
import { describe, expect, it } from "vitest";
import { HacrmError, parseClusterConfig } from "@hacrm/common";

const knet = `# a two-link knet cluster as pcs writes it
totem {
    version: 2
    cluster_name: prod
    transport: knet
    token: 3000
    token_coefficient: 650
    crypto_cipher: aes256
    crypto_hash: sha256
    interface {
        linknumber: 0
        knet_transport: udp
    }
    interface {
        linknumber: 1
        mcastport: 5410
    }
}

nodelist {
    node {
        ring0_addr: 10.0.0.1
        ring1_addr: 192.168.1.1
        name: alpha
        nodeid: 1
    }
    node {
        ring0_addr: 10.0.0.2
        ring1_addr: 192.168.1.2
        name: beta
        nodeid: 2
        quorum_votes: 2
    }
}

quorum {
    provider: corosync_votequorum
    two_node: 1
}

logging {
    to_logfile: yes
    logfile: /var/log/cluster/corosync.log
    to_syslog: yes
    timestamp: on
}
`;

const udpu = `totem {
  version: 2
  secauth: off
  cluster_name: old
  transport: udpu
}
nodelist {
  node {
    ring0_addr: node-a
    nodeid: 1
  }
  node {
    ring0_addr: node-b
    nodeid: 2
  }
  node {
    ring0_addr: node-c
    nodeid: 3
  }
}
quorum {
  provider: corosync_votequorum
  expected_votes: 3
  wait_for_all: 1
  last_man_standing: 1
  last_man_standing_window: 20000
  auto_tie_breaker: 1
}
`;

function errorOf(text: string): HacrmError {
  try {
    parseClusterConfig(text, "/etc/hacrm/hacrm.conf");
  } catch (e) {
    if (e instanceof HacrmError) return e;
    throw e;
  }
  throw new Error("expected a config error");
}

describe("cluster config (corosync.conf syntax)", () => {
  it("accepts a knet corosync.conf with two links as it is", () => {
    const c = parseClusterConfig(knet, "corosync.conf");
    expect(c).toMatchObject({
      clusterName: "prod",
      tokenMs: 3000,
      consensusMs: 3600,
      cryptoCipher: "aes256",
      cryptoHash: "sha256",
      transport: "knet",
      linkPorts: [5405, 5410],
    });
    expect(c.nodes).toEqual([
      { name: "alpha", nodeid: 1, addrs: ["10.0.0.1", "192.168.1.1"], votes: 1 },
      { name: "beta", nodeid: 2, addrs: ["10.0.0.2", "192.168.1.2"], votes: 2 },
    ]);
    expect(c.quorum).toMatchObject({ twoNode: true, waitForAll: true, lastManStanding: false });
    expect(c.warnings).toEqual([]);
  });

  it("accepts a udpu corosync.conf; names default to the ring0 address", () => {
    const c = parseClusterConfig(udpu, "corosync.conf");
    expect(c.transport).toBe("udpu");
    expect(c.tokenMs).toBe(1000);
    expect(c.nodes.map((n) => n.name)).toEqual(["node-a", "node-b", "node-c"]);
    expect(c.quorum).toMatchObject({
      expectedVotes: 3,
      waitForAll: true,
      lastManStanding: true,
      lastManStandingWindowMs: 20000,
      autoTieBreaker: true,
      twoNode: false,
    });
  });

  it("reads the distribution's own /etc/corosync/corosync.conf when present", () => {
    if (!existsSync("/etc/corosync/corosync.conf")) return;
    const c = parseClusterConfig(
      readFileSync("/etc/corosync/corosync.conf", "utf8"),
      "/etc/corosync/corosync.conf",
    );
    expect(c.nodes.length).toBeGreaterThan(0);
  });

  it("warns about unknown keys and sections with file and line", () => {
    const c = parseClusterConfig(
      knet.replace("    token: 3000\n", "    token: 3000\n    tokne: 5\n").concat("\nresources {\n}\n"),
      "/etc/x.conf",
    );
    expect(c.warnings).toContainEqual({ where: "/etc/x.conf:7", message: "unknown key totem.tokne ignored" });
    expect(c.warnings.some((w) => w.message === "unknown section resources ignored")).toBe(true);
  });

  it("a wrong enumerated value is an error naming file, line and the allowed values", () => {
    const e = errorOf(udpu.replace("transport: udpu", "transport: tcp"));
    expect(e.code).toBe("CONFIG_INVALID");
    expect(e.where).toBe("/etc/hacrm/hacrm.conf:5");
    expect(e.toLine()).toContain("allowed values: udpu, knet, udp");
  });

  it("reads auto_tie_breaker_node: lowest (default), highest, or a list of node ids", () => {
    const withNode = (v: string) =>
      parseClusterConfig(
        udpu.replace("auto_tie_breaker: 1", `auto_tie_breaker: 1\n  auto_tie_breaker_node: ${v}`),
        "c",
      ).quorum.autoTieBreakerNode;
    expect(parseClusterConfig(udpu, "c").quorum.autoTieBreakerNode).toBe("lowest");
    expect(withNode("highest")).toBe("highest");
    expect(withNode("3 1")).toEqual([3, 1]);
    const e = errorOf(
      udpu.replace("auto_tie_breaker: 1", "auto_tie_breaker: 1\n  auto_tie_breaker_node: first"),
    );
    expect(e.where).toBe("/etc/hacrm/hacrm.conf:28");
    expect(e.toLine()).toContain("auto_tie_breaker_node 'first' is not valid");
  });

  it("a wrong number is an error with its range", () => {
    const e = errorOf(udpu.replace("wait_for_all: 1", "wait_for_all: yes"));
    expect(e.where).toBe("/etc/hacrm/hacrm.conf:24");
    expect(e.toLine()).toContain("allowed values: 0, 1");
    expect(errorOf(knet.replace("token: 3000", "token: -5")).toLine()).toMatch(
      /:6: totem.token is '-5' \(allowed: an integer from 10/,
    );
  });

  it("rejects structural mistakes clearly", () => {
    expect(errorOf("totem {\n  version: 2\n").toLine()).toContain("section 'totem' is not closed");
    expect(errorOf("totem {\n}\n}\n").where).toBe("/etc/hacrm/hacrm.conf:3");
    expect(errorOf("totem {\n  what is this\n}\n").where).toBe("/etc/hacrm/hacrm.conf:2");
    expect(errorOf("totem {\n}\n").message).toContain("no nodelist");
    expect(errorOf(udpu.replace("nodeid: 3", "nodeid: 2")).message).toContain("nodeid 2 is used twice");
    expect(errorOf(udpu.replace("    ring0_addr: node-c\n", "")).message).toContain("no ring0_addr");
    expect(
      errorOf(knet.replace("consensus", "x").replace("token: 3000", "token: 3000\n    consensus: 100"))
        .message,
    ).toContain("below totem.token");
  });

  it("two nodes with the same address are refused (issue 14, item 14)", () => {
    const e = errorOf(knet.replace("ring0_addr: 10.0.0.2", "ring0_addr: 10.0.0.1"));
    expect(e.message).toBe("nodes alpha and beta have the same address 10.0.0.1");
  });

  it("garbage is shown escaped and cut, never raw (issue 14, item 14)", () => {
    const junk = `totem {\n  \u001b]0;owned\u0007\u0000${"x".repeat(500)}\n}\n`;
    const line = errorOf(junk).toLine();
    expect(line).toMatch(/cannot parse '\\u001b\]0;owned\\u0007\\u0000x+\.\.\.'/);
    expect(line).not.toMatch(/[\u0000-\u001f]/);
    expect(line.length).toBeLessThan(250);
    expect(errorOf(knet.replace("token: 3000", "token: 3\u001b[2J")).toLine()).toContain(
      "totem.token is '3\\u001b[2J'",
    );
  });

  it("warns when the cluster key is readable by others, as Corosync does (issue 14, item 14)", () => {
    const dir = mkdtempSync(join(tmpdir(), "hacrm-key-"));
    const file = join(dir, "authkey");
    writeFileSync(file, Buffer.alloc(64, 1), { mode: 0o400 });
    chmodSync(file, 0o400);
    expect(keyFileWarning(file)).toBeUndefined();
    chmodSync(file, 0o644);
    expect(keyFileWarning(file)).toMatch(/has mode 0644: others can read it .*chmod 0400/);
    rmSync(dir, { recursive: true });
  });
});
