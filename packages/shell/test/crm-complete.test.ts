import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { complete, prompt } from "../src/crm/session/repl.js";
import { casesDir, memoryStore, newSession } from "./crm-helpers.js";

const initial = readFileSync(`${casesDir}cmd-delete.initial.xml`, "utf8");

async function tab(level: "top" | "configure" | "resource" | "node", line: string): Promise<string[]> {
  const s = newSession(memoryStore(initial));
  s.level = level;
  return (await complete(s, line))[0];
}

describe("interactive completion", () => {
  it("completes commands of the level", async () => {
    expect(await tab("configure", "prim")).toEqual(["primitive "]);
    expect(await tab("top", "conf")).toEqual(["configure "]);
    expect(await tab("resource", "mo")).toEqual(["move "]);
  });

  it("completes resource ids in constraints, groups and resource commands", async () => {
    expect(await tab("configure", "colocation c inf: d")).toEqual(["d1 ", "d2 ", "d3 ", "d4 ", "d5 "]);
    expect(await tab("configure", "group g2 cl")).toEqual(["cl-d5 "]);
    expect(await tab("resource", "stop g")).toEqual(["g1 "]);
    expect(await tab("top", "resource move d1 no")).toEqual(["node1 "]);
    expect(await tab("configure", "delete d1-")).toEqual(["d1-pref ", "d1-then-g1 "]);
  });

  it("completes agent names, their parameters and op attributes", async () => {
    expect(await tab("configure", "primitive x ocf:heartbeat:Dumm")).toEqual(["ocf:heartbeat:Dummy "]);
    expect(await tab("configure", "primitive x ocf:heartbeat:Dummy params fa")).toEqual(["fake="]);
    expect(await tab("configure", "primitive x Dummy params fake=1 st")).toEqual(["state="]);
    expect(await tab("configure", "primitive x ocf:heartbeat:Dummy op mon")).toEqual(["monitor "]);
    expect(await tab("configure", "primitive x ocf:heartbeat:Dummy op monitor inter")).toEqual([
      "interval-origin=",
      "interval=",
    ]);
  });

  it("shows the CIB and the level in the prompt", () => {
    expect(prompt("live", "configure")).toBe("hacrm(live)configure# ");
    expect(prompt("cib.xml", "top")).toBe("hacrm(cib.xml)# ");
  });
});
