// A Corosync 1.x/2.x corosync.conf as the seeds have it (multicast, no nodelist,
// secauth off): the error says what to add; with a nodelist added it is accepted,
// the multicast keys and the 1.x sections ignored with warnings.
import { describe, expect, it } from "vitest";
import { HacrmError, parseClusterConfig } from "@hacrm/common";

const legacy = `totem {
  version: 2
  secauth: off
  cluster_name: seed
  interface {
    ringnumber: 0
    bindnetaddr: 192.168.122.0
    mcastaddr: 239.255.1.1
    mcastport: 5405
    ttl: 1
  }
}
service {
  name: pacemaker
  ver: 1
}
quorum {
  provider: corosync_votequorum
  two_node: 1
}
`;

const nodelist = `nodelist {
  node {
    ring0_addr: 192.168.122.11
    nodeid: 1
    name: node1
  }
  node {
    ring0_addr: 192.168.122.12
    nodeid: 2
    name: node2
  }
}
`;

describe("a Corosync 1.x/2.x multicast corosync.conf", () => {
  it("is refused with what to add: a nodelist of every node's address", () => {
    let err: unknown;
    try {
      parseClusterConfig(legacy, "/etc/corosync/corosync.conf");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HacrmError);
    const line = (err as HacrmError).toLine();
    expect(line).toContain("no nodelist section: this is a multicast configuration");
    expect(line).toContain("bindnetaddr 192.168.122.0, mcastaddr 239.255.1.1");
    expect(line).toContain("nodelist { node { ring0_addr: ADDR  nodeid: 1  name: NODE1 }");
  });

  it("is accepted once a nodelist is added; the 1.x service section and secauth off are warnings", () => {
    const c = parseClusterConfig(legacy + nodelist, "corosync.conf");
    expect(c.nodes.map((n) => n.name)).toEqual(["node1", "node2"]);
    expect(c.quorum.twoNode).toBe(true);
    const messages = c.warnings.map((w) => w.message);
    expect(messages).toContain("unknown section service ignored");
    expect(messages.some((m) => m.includes("hacrm always authenticates"))).toBe(true);
  });
});
