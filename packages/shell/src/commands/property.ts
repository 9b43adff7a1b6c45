import type { Command } from "../command.js";
import { ExitStatus, writeLine } from "../command.js";
import { section } from "../crm/lang/doc.js";
import { joinArgs, runBatch, sessionDeps, takeJson } from "../crm/session/script.js";
import { Session } from "../crm/session/session.js";

export const command: Command = {
  name: "property",
  summary: "show or set cluster properties (crm_config)",
  usage: [
    "Usage: hacrm property [show] [--json]",
    "       hacrm property [$id=SET|SET:] NAME=VALUE ...",
    "       hacrm property delete NAME",
    "",
    "Sets cluster options such as stonith-enabled=false or no-quorum-policy=stop, at once.",
  ].join("\n"),
  async run(args, io) {
    const { json, rest } = takeJson(args);
    if (rest.length === 0 || (rest.length === 1 && rest[0] === "show")) {
      const cib = await new Session(sessionDeps(io, json)).cib();
      const sets = section(cib, "crm_config").children.map((s) => ({
        id: s.attrs["id"] ?? "",
        properties: Object.fromEntries(
          s.children
            .filter((c) => c.name === "nvpair")
            .map((c) => [c.attrs["name"] ?? "", c.attrs["value"] ?? ""]),
        ),
      }));
      if (json) writeLine(io.stdout, JSON.stringify({ sets }));
      else
        for (const s of sets)
          for (const [k, v] of Object.entries(s.properties))
            writeLine(io.stdout, `${k}=${v}${s.id === "cib-bootstrap-options" ? "" : ` (${s.id})`}`);
      return ExitStatus.ok;
    }
    if (rest[0] === "delete") {
      const name = rest[1];
      if (!name) {
        writeLine(io.stderr, this.usage);
        return ExitStatus.usage;
      }
      const session = new Session(sessionDeps(io, json));
      const cib = await session.cib();
      for (const s of section(cib, "crm_config").children)
        s.children = s.children.filter((c) => c.attrs["name"] !== name);
      await session.commit("<command line>");
      return ExitStatus.ok;
    }
    await runBatch(io, "configure", `property ${joinArgs(rest)}`, "<command line>", json);
    return ExitStatus.ok;
  },
};
