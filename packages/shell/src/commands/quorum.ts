import { parseArgs } from "node:util";
import type { MembershipStatus } from "@hacrm/membership";
import { ExitStatus, writeLine, type Command } from "../command.js";
import { defaultSocket, socketPath } from "../daemon-client.js";
import { queryStatus } from "./membership.js";

/** Quorum status in the layout of `corosync-quorumtool -s`. */
export function formatQuorum(s: MembershipStatus, wallMs: number): string {
  const q = s.quorum;
  const row = (k: string, v: string | number) => `${`${k}:`.padEnd(18)}${v}`;
  const lines = [
    "Quorum information",
    "------------------",
    row("Date", new Date(wallMs).toUTCString()),
    row("Quorum provider", q.provider === "none" ? "corosync_votequorum (default)" : q.provider),
    row("Nodes", s.view?.members.length ?? 0),
    row("Node ID", s.nodeid),
    row("Ring ID", s.view?.id ?? "none"),
    row("Quorate", q.quorate ? "Yes" : "No"),
    "",
    "Votequorum information",
    "----------------------",
    row("Expected votes", q.expected),
    row("Total votes", q.votes),
    row("Quorum", `${q.quorum}${q.quorate ? "" : "  Activity blocked"}`),
    row("Flags", q.flags.join(" ") || "none"),
    "",
    "Membership information",
    "----------------------",
    "    Nodeid      Votes Name",
  ];
  for (const [i, name] of (s.view?.members ?? []).entries()) {
    const id = s.view?.memberIds[i] ?? 0;
    const local = id === s.nodeid ? " (local)" : "";
    lines.push(`${String(id).padStart(10)} ${String(s.votes[name] ?? 1).padStart(10)} ${name}${local}`);
  }
  return lines.join("\n");
}

export const command: Command = {
  name: "quorum",
  summary: "show quorum like corosync-quorumtool -s (from hacrmd)",
  usage: `Usage: hacrm quorum [--json] [--socket PATH]

Show votequorum state: expected and total votes, votes needed, flags
(Quorate, 2Node, WaitForAll, LastManStanding, AutoTieBreaker) and members.
Exit status: 0 quorate, 3 not quorate, 1 hacrmd unreachable.

Options:
  --json           print {"quorate", "votes", "expected", "quorum", "flags", "ringId", "members"}
  --socket PATH    hacrmd's socket (default $HACRM_SOCKET or ${defaultSocket})`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { json: { type: "boolean", default: false }, socket: { type: "string" } },
      strict: true,
    });
    const s = await queryStatus(socketPath(values.socket, io.env));
    if (values.json) {
      writeLine(
        io.stdout,
        JSON.stringify({ ...s.quorum, ringId: s.view?.id ?? null, members: s.view?.members ?? [] }),
      );
    } else {
      writeLine(io.stdout, formatQuorum(s, Date.now()));
    }
    return s.quorum.quorate ? ExitStatus.ok : 3;
  },
};
