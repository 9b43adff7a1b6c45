import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { HacrmError } from "@hacrm/common";
import {
  child,
  configurationSections,
  parseXml,
  serializeXml,
  toJsonForm,
  type XmlElement,
} from "@hacrm/cib";
import { ExitStatus, writeLine, type Command, type CommandIo } from "../command.js";

const sections = ["configuration", "status", ...configurationSections];

const usage = `Usage: hacrm cib show [--section NAME] [--json] [--xml-file FILE]

Print the CIB named by CIB_file (or --xml-file): the whole document, or one
section, as XML; with --json as its JSON form (attributes as "@name",
child elements as arrays under their name; see docs/cib.md).

Sections: ${sections.join(", ")}`;

export const command: Command = {
  name: "cib",
  summary: "show the CIB or one section of it (XML or JSON)",
  usage,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub !== "show") {
      writeLine(
        io.stderr,
        sub === undefined ? usage : `hacrm cib: unknown subcommand '${sub}' (try 'hacrm cib show')`,
      );
      return ExitStatus.usage;
    }
    return show(rest, io);
  },
};

function show(args: string[], io: CommandIo): number {
  const { values } = parseArgs({
    args,
    options: {
      section: { type: "string", short: "s" },
      json: { type: "boolean" },
      "xml-file": { type: "string", short: "x" },
    },
    strict: true,
  });
  const file = values["xml-file"] ?? io.env["CIB_file"];
  if (file === undefined || file === "") {
    writeLine(io.stderr, "hacrm cib: no CIB given: set CIB_file or use --xml-file FILE");
    return ExitStatus.usage;
  }
  if (values.section !== undefined && !sections.includes(values.section)) {
    writeLine(io.stderr, `hacrm cib: unknown section '${values.section}'; sections: ${sections.join(", ")}`);
    return ExitStatus.usage;
  }
  const tree = parseXml(readCibText(file), file);
  const selected = values.section === undefined ? tree : findSection(tree, values.section, file);
  io.stdout.write(
    values.json ? `${JSON.stringify(toJsonForm(selected).root, null, 2)}\n` : serializeXml(selected),
  );
  return ExitStatus.ok;
}

function readCibText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new HacrmError({
      code: "CIB_FILE",
      where: file,
      message: `cannot read the CIB file: ${(err as Error).message}`,
    });
  }
}

function findSection(tree: XmlElement, name: string, file: string): XmlElement {
  const configuration = child(tree, "configuration");
  const found =
    name === "configuration" || name === "status"
      ? child(tree, name)
      : configuration && child(configuration, name);
  if (found) return found;
  // An absent optional section is empty, as Pacemaker's tools treat it.
  if (name !== "configuration") return { name, attrs: {}, children: [] };
  throw new HacrmError({ code: "CIB_INVALID", where: file, message: "the CIB has no configuration section" });
}
