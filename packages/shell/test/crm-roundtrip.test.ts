import { describe, expect, it } from "vitest";
import { serializeXml } from "@hacrm/cib";
import { showObjects } from "../src/crm/lang/printer.js";
import { corpusDir, loadCases, memoryStore, newSession } from "./crm-helpers.js";

// The corpus's own canonical form (plain .mjs, read in place).
const { normalize } = (await import(`${corpusDir}normalize.mjs`)) as { normalize: (xml: string) => string };
const empty = (await import("node:fs")).readFileSync(`${corpusDir}empty-cib.xml`, "utf8");
const positives = loadCases().filter((c) => c.expected !== undefined);

describe("crm configure, in process, on the crmsh corpus", () => {
  it("has the 64 positive cases", () => {
    expect(positives).toHaveLength(64);
  });

  it.each(positives.map((c) => [c.name, c] as const))(
    "%s: same CIB as crmsh, and show reads back to the same CIB",
    async (_name, c) => {
      const store = memoryStore(c.initial);
      await newSession(store).runScript(c.script, c.name);
      const built = serializeXml(store.cib);
      expect(normalize(built)).toBe(normalize(c.expected as string));

      const text = showObjects(store.cib);
      const again = memoryStore(empty);
      await newSession(again).runScript(text, `${c.name} (show)`);
      expect(normalize(serializeXml(again.cib))).toBe(normalize(built));
      // show is stable: printing the read-back CIB gives the same text
      expect(showObjects(again.cib)).toBe(text);
    },
  );
});
