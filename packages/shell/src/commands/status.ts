import { parseArgs } from "node:util";
import { ExitStatus, writeLine, type Command } from "../command.js";
import { askDaemon, socketPath } from "../daemon-client.js";

/** `hacrm status --json`: the contract in docs/controller.md. */
interface ClusterStatus {
  cluster: {
    name: string;
    dc: string | null;
    quorate: boolean;
    cib: { admin_epoch: number; epoch: number; num_updates: number };
  };
  nodes: { name: string; id: number; state: string; dc: boolean }[];
  resources: { id: string; agent: string; role: string; node: string | null; managed: boolean }[];
  failures: { resource: string; node: string; operation: string; failCount: number }[];
}

const usage = `Usage: hacrm status [--json] [--socket PATH]

The cluster as the local hacrmd sees it, in the style of crm_mon -1: the
cluster name, the DC, quorum, the CIB version, every node with its state
(online, offline, standby, maintenance, unclean, pending), the resources
and their fail counts. --json prints one object (docs/controller.md).`;

export const command: Command = {
  name: "status",
  summary: "cluster name, DC, quorum, CIB version and nodes, from the running cluster",
  usage,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { json: { type: "boolean" }, socket: { type: "string" } },
      strict: true,
    });
    const reply = await askDaemon<{ ok: boolean; status: ClusterStatus }>(socketPath(values.socket, io.env), {
      cmd: "cluster-status",
    });
    const s = reply.status;
    if (values.json) {
      writeLine(io.stdout, JSON.stringify(s));
      return ExitStatus.ok;
    }
    const v = s.cluster.cib;
    const online = s.nodes.filter((n) => n.state === "online").map((n) => n.name);
    writeLine(io.stdout, `Cluster Summary:`);
    writeLine(io.stdout, `  * Cluster name: ${s.cluster.name}`);
    writeLine(
      io.stdout,
      `  * Current DC: ${s.cluster.dc ?? "NONE"} (${s.cluster.quorate ? "partition with quorum" : "partition WITHOUT quorum"})`,
    );
    writeLine(io.stdout, `  * CIB version: ${v.admin_epoch}.${v.epoch}.${v.num_updates}`);
    writeLine(io.stdout, `  * ${s.nodes.length} nodes configured`);
    writeLine(io.stdout, "");
    writeLine(io.stdout, "Node List:");
    if (online.length > 0) writeLine(io.stdout, `  * Online: [ ${online.join(" ")} ]`);
    for (const n of s.nodes.filter((x) => x.state !== "online"))
      writeLine(io.stdout, `  * Node ${n.name}: ${n.state.toUpperCase()}`);
    writeLine(io.stdout, "");
    writeLine(io.stdout, "Full List of Resources:");
    if (s.resources.length === 0) writeLine(io.stdout, "  * No resources");
    for (const r of s.resources) {
      const where = r.node ? ` ${r.node}` : "";
      const unmanaged = r.managed ? "" : " (unmanaged)";
      writeLine(io.stdout, `  * ${r.id}\t(${r.agent}):\t ${r.role}${where}${unmanaged}`);
    }
    if (s.failures.length > 0) {
      writeLine(io.stdout, "");
      writeLine(io.stdout, "Migration Summary:");
      for (const f of s.failures) {
        const count = f.failCount >= 1_000_000 ? "INFINITY" : String(f.failCount);
        writeLine(io.stdout, `  * Node ${f.node}: ${f.resource}: fail-count=${count} (${f.operation})`);
      }
    }
    return ExitStatus.ok;
  },
};
