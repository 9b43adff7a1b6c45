import { describe, expect, it } from "vitest";
import { isHacrmError, type HacrmError } from "@hacrm/common";
import { splitCommands } from "../src/crm/lang/lexer.js";
import { parseConfigure } from "../src/crm/lang/parser.js";
import { memoryStore, newSession, corpusDir } from "./crm-helpers.js";
import { readFileSync } from "node:fs";

const empty = readFileSync(`${corpusDir}empty-cib.xml`, "utf8");

function parseError(text: string): HacrmError {
  try {
    for (const line of splitCommands(text, "t.crm")) parseConfigure(line, "t.crm");
  } catch (err) {
    if (isHacrmError(err)) return err;
    throw err;
  }
  throw new Error(`no error for: ${text}`);
}

async function scriptError(text: string): Promise<{ err: HacrmError; writes: number }> {
  const store = memoryStore(empty);
  try {
    await newSession(store).runScript(text, "t.crm");
  } catch (err) {
    if (isHacrmError(err)) return { err, writes: store.writes.length };
    throw err;
  }
  throw new Error(`no error for: ${text}`);
}

describe("crm lexer", () => {
  it("joins continuations, skips comment and blank lines, keeps positions", () => {
    const lines = splitCommands('# c\n\nproperty a=1 \\\n\tb="x y"\nprimitive d ocf:heartbeat:Dummy\n', "t");
    expect(lines).toHaveLength(2);
    expect(lines[0]?.tokens.map((t) => t.text)).toEqual(["property", "a=1", "b=x y"]);
    expect(lines[0]?.tokens[2]?.pos).toEqual({ line: 4, col: 2 });
    expect(lines[1]?.pos).toEqual({ line: 5, col: 1 });
  });

  it("splits name=value at the first unquoted '=' and honours escapes", () => {
    const [line] = splitCommands(`params fake="a=b" s='it''s' d="q \\"in\\" q"`, "t");
    expect(line?.tokens.slice(1).map((t) => [t.text, t.eq])).toEqual([
      ["fake=a=b", 4],
      ["s=its", 1],
      ['d=q "in" q', 1],
    ]);
  });

  it("reports an unterminated quote where it starts", () => {
    const err = parseError('property a="open\n');
    expect(err.where).toBe("t.crm:1:12");
    expect(err.message).toMatch(/unterminated double quote/);
  });
});

describe("crm parser errors name line, column and what was expected", () => {
  it.each([
    ["primitive p1", "t.crm:1:13", /expected a resource agent/, undefined],
    ["colocation c1 inf d1 d2", "t.crm:1:15", /expected <score>: near 'inf'/, /did you mean 'inf:'/],
    ["order o1 advisory: d1 d2", "t.crm:1:10", /invalid kind: advisory/, /Mandatory, Optional, Serialize/],
    ["colocation c1 inf: d1:Leader d2", "t.crm:1:23", /invalid role 'Leader' for 'd1'/, undefined],
    ["order o1 Mandatory: d1:begin d2", "t.crm:1:24", /invalid action 'begin'/, undefined],
    ["property stonith-enabled=false # no", "t.crm:1:32", /unexpected '#'/, /own/],
    ["primitive 1abc ocf:heartbeat:Dummy", "t.crm:1:11", /1abc: invalid id/, undefined],
    ["\n  primitve d1 ocf:heartbeat:Dummy", "t.crm:2:3", /No such command/, /did you mean 'primitive'\?/],
    [
      "primitive d1 ocf:heartbeat:Dummy parms a=1",
      "t.crm:1:34",
      /expected params, meta/,
      /did you mean 'params'\?/,
    ],
    ["location l1 d1 rule 10: #uname eqq node1", "t.crm:1:32", /expected an operator/, /did you mean 'eq'\?/],
    ["colocation c1 inf: a ( b c", "t.crm:1:27", /'\)' to close the set opened at 1:22/, undefined],
    [
      "primitive d1 ocf:heartbeat:Dummy op monitor interval=10s role=Leadr",
      "t.crm:1:63",
      /invalid role 'Leadr'/,
      /did you mean 'Leader'|did you mean 'Master'|Slave|Started/,
    ],
  ])("%s", (text, where, message, hint) => {
    const err = parseError(text);
    expect(err.code).toBe("CRM_SYNTAX");
    expect(err.where).toBe(where);
    expect(err.message).toMatch(message);
    if (hint) expect(err.hint).toMatch(hint);
  });
});

describe("crm semantic errors are refused with a position, nothing committed", () => {
  it.each([
    [
      "primitive d1 ocf:heartbeat:Dummy\nprimitive d1 ocf:heartbeat:Dummy",
      "t.crm:2:11",
      /Found existing primitive/,
    ],
    ["primitive d1 ocf:heartbeat:Dummy\ncolocation c inf: d1 ghost", "t.crm:2:22", /unknown ID "ghost"/],
    [
      "primitive d1 ocf:heartbeat:Dummy params nosuch=1",
      "t.crm:1:41",
      /parameter "nosuch" is not known to ocf:heartbeat:Dummy/,
    ],
    ["group g a b", "t.crm:1:9", /g refers to missing object a/],
    [
      "primitive a ocf:heartbeat:Dummy\nclone c a\nlocation l a 1: n1",
      "t.crm:3:12",
      /not a valid resource or tag/,
    ],
    ["primitive d1 ocf:heartbeat:Dummy meta target-role=Bogus", "t.crm:1:11", /Unknown role: Bogus/],
    ["primitive d1 Dumy", "t.crm:1:14", /no resource agent 'Dumy'/],
  ])("%s", async (text, where, message) => {
    const { err, writes } = await scriptError(text);
    if (text.endsWith("Dumy")) expect(err.hint).toMatch(/did you mean 'Dummy'\?/);
    expect(err.where).toBe(where);
    expect(err.message).toMatch(message);
    expect(writes).toBe(0);
  });

  it("keeps an explicit commit and drops what follows a failed line", async () => {
    const store = memoryStore(empty);
    await expect(
      newSession(store).runScript(
        "primitive d1 ocf:heartbeat:Dummy\ncommit\nprimitive d2 ocf:heartbeat:Dummy\nfrobnicate",
        "t",
      ),
    ).rejects.toThrow(/No such command/);
    expect(store.writes).toHaveLength(1);
    const ids = JSON.stringify(store.cib);
    expect(ids).toContain('"d1"');
    expect(ids).not.toContain('"d2"');
  });

  it("bumps the epoch once per commit and resets num_updates", async () => {
    const store = memoryStore(empty.replace('num_updates="0"', 'num_updates="7"'));
    await newSession(store).runScript(
      "primitive d1 ocf:heartbeat:Dummy\ncommit\nprimitive d2 ocf:heartbeat:Dummy",
      "t",
    );
    expect(store.writes.map((w) => [w.attrs["epoch"], w.attrs["num_updates"]])).toEqual([
      ["2", "0"],
      ["3", "0"],
    ]);
  });
});

describe("edit", () => {
  it("applies the edited crm text and keeps ids", async () => {
    const store = memoryStore(empty);
    const out: string[] = [];
    const { Session } = await import("../src/crm/session/session.js");
    const { agents } = await import("./crm-helpers.js");
    let shown = "";
    const s = new Session({
      store,
      agents: agents(),
      out: (t) => out.push(t),
      info: (t) => out.push(t),
      now: () => new Date(0),
      editText: (t) => {
        shown = t;
        return Promise.resolve(
          t.replace("fake=1", "fake=2").replace("primitive d2 ocf:heartbeat:Dummy\n", ""),
        );
      },
    });
    s.level = "configure";
    await s.runScript(
      "primitive d1 ocf:heartbeat:Dummy params fake=1\nprimitive d2 ocf:heartbeat:Dummy\nedit",
      "t",
    );
    expect(shown).toContain("primitive d1 ocf:heartbeat:Dummy \\\n\tparams fake=1");
    const xml = JSON.stringify(store.cib);
    expect(xml).toContain('"id":"d1-instance_attributes-fake","name":"fake","value":"2"');
    expect(xml).not.toContain('"d2"');
  });
});

describe("edit refuses what crm syntax cannot carry", () => {
  it("does not open the editor when the configuration holds elements show cannot print", async () => {
    const store = memoryStore(
      empty.replace(
        "<resources/>",
        '<resources><primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"><frob id="x"/></primitive></resources>',
      ),
    );
    const { Session } = await import("../src/crm/session/session.js");
    const { agents } = await import("./crm-helpers.js");
    let opened = false;
    const s = new Session({
      store,
      agents: agents(),
      out: () => undefined,
      info: () => undefined,
      now: () => new Date(0),
      editText: (t) => {
        opened = true;
        return Promise.resolve(t);
      },
    });
    s.level = "configure";
    await expect(s.runScript("edit", "t")).rejects.toThrow(/edit would lose parts/);
    expect(opened).toBe(false);
  });
});

describe("advice that does not stop a command", () => {
  it("warns about misspelt property and meta names, with the close known name", async () => {
    const store = memoryStore(empty);
    const out: string[] = [];
    await newSession(store, out).runScript(
      "property stonith-enable=false\nprimitive d1 ocf:heartbeat:Dummy meta target_role=Stopped op monitor interval=10s timeout=5s",
      "t.crm",
    );
    expect(out).toContain(
      "WARNING: t.crm:1:10: cib-bootstrap-options: unknown property 'stonith-enable' (did you mean 'stonith-enabled'?)",
    );
    expect(out).toContain(
      "WARNING: t.crm:2:39: d1: unknown meta attribute 'target_role' (did you mean 'target-role'?)",
    );
    expect(
      out.some((l) => /d1: specified timeout 5s for monitor is smaller than the advised 20s/.test(l)),
    ).toBe(true);
    expect(store.writes).toHaveLength(1);
  });

  it("warns when a required agent parameter is left out", async () => {
    const out: string[] = [];
    await newSession(memoryStore(empty), out).runScript("primitive vip ocf:heartbeat:IPaddr2", "t.crm");
    expect(out).toContain(
      "WARNING: t.crm:1:11: vip: required parameter ip of ocf:heartbeat:IPaddr2 is not set",
    );
  });
});

describe("erase", () => {
  it("keeps the nodes (not the cluster properties, as crmsh), unless told to erase nodes", async () => {
    const store = memoryStore(readFileSync(`${corpusDir}cases/cmd-delete.initial.xml`, "utf8"));
    await newSession(store).runScript("erase", "t");
    const conf = JSON.stringify(store.cib);
    expect(conf).not.toContain("stonith-enabled");
    expect(conf).toContain('"uname":"node1"');
    expect(conf).not.toContain('"d1"');
    await newSession(store).runScript("erase nodes", "t");
    expect(JSON.stringify(store.cib)).not.toContain('"uname":"node1"');
  });
});
