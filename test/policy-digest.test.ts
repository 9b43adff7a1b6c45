/**
 * Operation parameter digests: hacrm restarts a running resource whose
 * recorded op-digest no longer matches its configured parameters, and leaves
 * resources alone while the digests match (CIBs from gen-cib.mjs carry
 * Pacemaker's exact digests).
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { element, parseXml, walk, type XmlElement } from "@hacrm/cib";
import { paramsDigest, schedule } from "@hacrm/policy";
import { genCib } from "./policy-differential-lib.js";

function runningCib(): XmlElement {
  const xml = execFileSync(
    "node",
    [genCib, "--seed", "3", "--nodes", "3", "--resources", "4", "--groups", "0", "--running"],
    { encoding: "utf8" },
  );
  return parseXml(xml, "gen-cib");
}

function primitive(cib: XmlElement, id: string): XmlElement {
  for (const el of walk(cib)) if (el.name === "primitive" && el.attrs.id === id) return el;
  throw new Error(`no primitive ${id}`);
}

function runningPrimitive(cib: XmlElement): string {
  const res = schedule(cib, 0);
  const touched = new Set(res.actions.map((a) => a.resource));
  const r = res.placement.find((p) => p.role === "Started" && !touched.has(p.resource));
  if (!r) throw new Error("nothing runs");
  return r.resource;
}

const verbs = (cib: XmlElement): string[] => schedule(cib, 0).actions.map((a) => `${a.action} ${a.resource}`);

describe("operation parameter digests", () => {
  it("computes Pacemaker's digests (MD5 of the sorted <parameters/> element)", () => {
    expect(paramsDigest(new Map())).toBe("f2317cad3d54cec5d7d7aa7d0bf35cf8");
    expect(paramsDigest(new Map([["CRM_meta_timeout", "20000"]]))).toBe("4811cef7f7f94e3a35a70be7916cb2fd");
    const a = paramsDigest(
      new Map([
        ["b", "2"],
        ["a", "1"],
      ]),
    );
    expect(a).toBe(
      paramsDigest(
        new Map([
          ["a", "1"],
          ["b", "2"],
        ]),
      ),
    );
  });

  it("keeps resources whose digests match, restarts one whose parameters changed", () => {
    const cib = runningCib();
    expect(verbs(cib).filter((v) => v.startsWith("restart"))).toEqual([]);
    const id = runningPrimitive(cib);
    const p = primitive(cib, id);
    p.children.unshift(
      element("instance_attributes", { id: `${id}-ia` }, [
        element("nvpair", { id: `${id}-ia-state`, name: "state", value: "/run/x" }),
      ]),
    );
    expect(verbs(cib)).toContain(`restart ${id}`);
  });
});
