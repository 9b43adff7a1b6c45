/**
 * Clone notifications in the transition graph against Pacemaker's own graph
 * (`crm_simulate -S -x F -G graph.xml`): the same notify actions (instance,
 * node, pre/post, operation) carrying the same CRM_meta_notify_* lists.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseXml, type XmlElement } from "@hacrm/cib";
import { schedule } from "@hacrm/policy";
import { corpusDir, CORPUS_NOW, repoRoot } from "./policy-conformance-lib.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hacrm-notify-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** "instance node type operation" -> its CRM_meta_notify_* lists, from a graph. */
type Notifies = Record<string, Record<string, string>>;

function lists(attrs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (k.startsWith("CRM_meta_notify_")) out[k] = v;
  return out;
}

function theirs(file: string): Notifies {
  const graph = path.join(dir, "graph.xml");
  execFileSync("crm_simulate", ["-S", "-x", file, "-G", graph], { stdio: "ignore" });
  const out: Notifies = {};
  const visit = (e: XmlElement): void => {
    const prim = e.children.find((c) => c.name === "primitive");
    // Actions themselves, not their mentions as another action's input.
    if (e.name === "rsc_op" && e.attrs.operation === "notify" && prim) {
      const attrs = e.children.find((c) => c.name === "attributes")?.attrs ?? {};
      const id = prim?.attrs["long-id"] ?? prim?.attrs.id ?? "";
      out[`${id} ${e.attrs.on_node} ${attrs.CRM_meta_notify_type} ${attrs.CRM_meta_notify_operation}`] =
        lists(attrs);
      return;
    }
    for (const c of e.children) visit(c);
  };
  visit(parseXml(fs.readFileSync(graph, "utf8"), graph));
  return out;
}

function ours(file: string): Notifies {
  const res = schedule(parseXml(fs.readFileSync(file, "utf8"), file), CORPUS_NOW);
  const out: Notifies = {};
  for (const a of res.graph.actions) {
    if (a.task !== "notify" || !a.params) continue;
    out[`${a.resource} ${a.node} ${a.params.CRM_meta_notify_type} ${a.params.CRM_meta_notify_operation}`] =
      lists(a.params);
  }
  return out;
}

const files = [
  path.join(repoRoot, "test/fixtures/policy/moosefs-failcount.xml"),
  ...["notify-0", "notify-1", "notify-2", "notify-3"].map((c) => path.join(corpusDir, "cases", `${c}.xml`)),
];

describe("clone notifications against Pacemaker's graph", () => {
  for (const file of files) {
    it(path.basename(file, ".xml"), () => {
      const expected = theirs(file);
      expect(ours(file)).toEqual(expected);
    });
  }

  it("the MooseFS stack notifies both disk instances before and after the demote and the promote", () => {
    const keys = Object.keys(ours(files[0]!)).sort();
    expect(keys).toHaveLength(8);
    expect(keys).toContain("drbd-mfs:0 mfs1 pre demote");
    expect(keys).toContain("drbd-mfs:1 mfs2 post promote");
  });
});
