import { parseArgs } from "node:util";
import type { MembershipStatus } from "@hacrm/membership";
import { ExitStatus, writeLine, type Command } from "../command.js";
import { askDaemon, defaultSocket, socketPath } from "../daemon-client.js";

/** Ask the local hacrmd for its membership status. */
export async function queryStatus(path: string): Promise<MembershipStatus> {
  return (await askDaemon<{ ok: true; status: MembershipStatus }>(path, { cmd: "status" })).status;
}

function ago(ms: number | null): string {
  return ms === null ? "never" : `${ms} ms ago`;
}

export function formatMembership(s: MembershipStatus): string {
  const lines = [`Node: ${s.node} (nodeid ${s.nodeid}, incarnation ${s.incarnation})  cluster: ${s.cluster}`];
  if (s.view) {
    const at = new Date(s.view.installedAtWallMs).toISOString();
    lines.push(`View: ${s.view.id}  members: ${s.view.members.join(" ")}  (since ${at})`);
  } else lines.push("View: none yet");
  const q = s.quorum;
  lines.push(
    `Quorum: ${q.quorate ? "quorate" : "NOT quorate"} (votes ${q.votes}, expected ${q.expected}, needed ${q.quorum})${q.waitForAllPending ? " waiting for all nodes" : ""}`,
  );
  lines.push("Peers:");
  for (const p of s.peers) {
    const links = p.links.map((l) => `link${l.link} ${l.addr} ${l.up ? "up" : "down"}`).join(", ");
    lines.push(
      `  ${p.name.padEnd(12)} nodeid ${String(p.nodeid).padEnd(4)} ${p.member ? "member " : p.heard ? "seen   " : "lost   "} last heard ${ago(p.lastHeardAgoMs)}; ${links}`,
    );
  }
  const dropped = Object.entries(s.datagrams.dropped)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  lines.push(
    `Datagrams: received ${s.datagrams.received}, sent ${s.datagrams.sent}, dropped: ${dropped || "none"}`,
  );
  return lines.join("\n");
}

export const command: Command = {
  name: "membership",
  summary: "show this node's view, peers, links and quorum (from hacrmd)",
  usage: `Usage: hacrm membership [--json] [--socket PATH]

Ask the local hacrmd for the current cluster view (ring id and members),
every peer with its links, and quorum.

Options:
  --json           print one JSON object: {"node", "view": {"id", "members"},
                   "quorum": {"quorate", "votes", "expected"}, "peers", ...}
  --socket PATH    hacrmd's socket (default $HACRM_SOCKET or ${defaultSocket})`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { json: { type: "boolean", default: false }, socket: { type: "string" } },
      strict: true,
    });
    const status = await queryStatus(socketPath(values.socket, io.env));
    writeLine(io.stdout, values.json ? JSON.stringify(status) : formatMembership(status));
    return ExitStatus.ok;
  },
};
