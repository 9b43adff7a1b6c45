import { parseArgs } from "node:util";
import type { Readable } from "node:stream";
import { HacrmError } from "@hacrm/common";
import { checkWarnings, problemLine, readCib } from "@hacrm/cib";
import { validateCibFile } from "@hacrm/cib/file";
import { validateCibText, type TextValidation } from "@hacrm/cib/validate";
import { ExitStatus, writeLine, type Command } from "../command.js";
import { createAgentCatalog } from "../crm/session/installed-agents.js";
import { askDaemon, socketPath } from "../daemon-client.js";

const usage = `Usage: hacrm verify [--xml-file FILE | -x FILE | --xml-pipe | -p] [-q]

Check a CIB like crm_verify: the JSON Schemas of cib-schemas/ (structure,
required attributes, allowed values) and the checks a schema cannot express
(duplicate ids, references to resources that do not exist, scores, agent
classes, roles, rules that cannot be evaluated, order loops).

Warnings, where crmsh warns, do not make the CIB invalid: a location on a
node the CIB does not list, fencing enabled without a fencing device (no
resource starts), an agent not installed on this machine, an order loop
that needs an optional order. They are printed as "warning: where: what:
why" on stderr.

Without --xml-file or --xml-pipe, checks the file named by the CIB_file
environment variable, else the running cluster's CIB (from the local hacrmd,
--socket PATH or HACRM_SOCKET). Exit 0 and one OK line when valid; exit 1 and one line
per problem ("where: what: why") on stderr otherwise; exit 2 on a usage error.

Options:
  -x, --xml-file FILE   the CIB to check
  -p, --xml-pipe        read the CIB from standard input
  -q, --quiet           print nothing when valid`;

/** Largest CIB read from a pipe, in bytes (the file path has its own limit check). */
const pipeBytesMax = 512 * 1024 * 1024;

export const command: Command = {
  name: "verify",
  summary: "check a CIB for errors (like crm_verify)",
  usage,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        "xml-file": { type: "string", short: "x" },
        "xml-pipe": { type: "boolean", short: "p" },
        quiet: { type: "boolean", short: "q" },
      },
      strict: true,
    });
    const named = values["xml-pipe"] ? "<stdin>" : (values["xml-file"] ?? io.env["CIB_file"]);
    const live = named === undefined || named === "";
    const file = live ? "live" : named;
    let result: TextValidation;
    if (live) {
      // The running cluster's CIB, from the local hacrmd.
      const socket = socketPath(undefined, io.env);
      const reply = await askDaemon<{ ok: true; xml: string }>(socket, { cmd: "cib-query" });
      result = validateCibText(reply.xml, `live CIB (${socket})`);
    } else
      result = values["xml-pipe"] ? validateCibText(await readAll(io.stdin), file) : validateCibFile(file);
    const { tree, problems } = result;
    if (problems.length > 0 || !tree) {
      for (const p of problems) writeLine(io.stderr, problemLine(p));
      const n = problems.length;
      writeLine(io.stderr, `hacrm verify: ${file}: ${n} problem${n === 1 ? "" : "s"}, CIB not valid`);
      return ExitStatus.invalid;
    }
    const agents = createAgentCatalog({ env: io.env });
    const warnings = checkWarnings(tree, {
      agentInstalled: (cls, provider, type) =>
        agents.installed([cls, provider, type].filter((x) => x !== undefined).join(":")) ?? true,
    });
    for (const w of warnings) writeLine(io.stderr, `warning: ${problemLine(w)}`);
    if (!values.quiet) {
      const cib = readCib(tree);
      const v = cib.version;
      const counts = `${cib.configuration.resources.length} resources, ${cib.configuration.constraints.length} constraints`;
      const n = warnings.length;
      const warned = n > 0 ? `, ${n} warning${n === 1 ? "" : "s"}` : "";
      writeLine(
        io.stdout,
        `${file}: OK (version ${v.admin_epoch}.${v.epoch}.${v.num_updates}, ${counts}${warned})`,
      );
    }
    return ExitStatus.ok;
  },
};

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    bytes += buf.length;
    if (bytes > pipeBytesMax) {
      throw new HacrmError({
        code: "CIB_TOO_LARGE",
        where: "<stdin>",
        message: `input over ${pipeBytesMax} bytes`,
      });
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}
