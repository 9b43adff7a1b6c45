import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkWarnings, parseXml, problemLine } from "@hacrm/cib";
import { validateCib } from "@hacrm/cib/validate";
import { schedule } from "@hacrm/policy";
import { crmVerifyText, hacrmIn } from "./hacrm-cli-lib.js";

// Issue 14 item 8: an order loop. Debian's crm_verify accepts one (and
// aborts on a resource ordered after itself); its scheduler writes a graph
// with a cycle that never completes. hacrm refuses a loop of mandatory
// orders in verify and at commit, naming every order of the loop, warns
// about a loop that needs an optional order, and its scheduler blocks the
// actions of a loop it meets anyway instead of asserting.
const cib = (resources: string, constraints: string, status = "") =>
  `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9" have-quorum="1" dc-uuid="1"><configuration>` +
  `<crm_config><cluster_property_set id="opts"><nvpair id="opts-st" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>` +
  `<nodes><node id="1" uname="n1"/></nodes><resources>${resources}</resources><constraints>${constraints}</constraints></configuration>` +
  `<status>${status}</status></cib>`;
const prim = (id: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"/>`;
const order = (id: string, first: string, then: string, extra = "") =>
  `<rsc_order id="${id}" first="${first}" then="${then}"${extra}/>`;
const online = '<node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member"/>';
const abc = prim("a") + prim("b") + prim("c");

const lines = (text: string) => validateCib(parseXml(text)).map(problemLine);

const dir = mkdtempSync(join(tmpdir(), "hacrm-loops-"));
const crmVerify = (text: string, name: string) => crmVerifyText(dir, name, text);

const refused: { name: string; text: string; line: string }[] = [
  {
    name: "two orders",
    text: cib(abc, order("o1", "a", "b") + order("o2", "b", "a")),
    line: "rsc_order[id=o2]: order loop: a then b (o1), b then a (o2): none of these actions can ever run",
  },
  {
    name: "three orders",
    text: cib(
      abc,
      order("o1", "a", "b") + order("o2", "b", "c") + order("o3", "c", "a", ' kind="Mandatory"'),
    ),
    line: "rsc_order[id=o3]: order loop: a then b (o1), b then c (o2), c then a (o3): none of these actions can ever run",
  },
  {
    name: "a resource after itself",
    text: cib(abc, order("o1", "a", "a")),
    line: "rsc_order[id=o1]: a start then a start: a resource's action cannot wait for itself",
  },
  {
    name: "an order against its group",
    text: cib(`<group id="g">${prim("a")}${prim("b")}</group>`, order("o1", "b", "a")),
    line: "rsc_order[id=o1]: order loop: b then a (o1), a then b (group g): none of these actions can ever run",
  },
  {
    name: "through a clone and its instances",
    text: cib(
      `<clone id="cl">${prim("a")}</clone>${prim("b")}`,
      order("o1", "cl", "b") + order("o2", "b", "a"),
    ),
    line: "rsc_order[id=o2]: order loop: cl then b (o1), b then a (o2), cl start is done after a's",
  },
  {
    name: "promote after start",
    text: cib(
      `<clone id="ms"><meta_attributes id="ms-m"><nvpair id="ms-p" name="promotable" value="true"/></meta_attributes>${prim("a")}</clone>${prim("b")}`,
      order("o1", "ms", "b", ' first-action="promote" then-action="start"') + order("o2", "b", "ms"),
    ),
    line: "rsc_order[id=o2]: order loop: ms promote then b (o1), b then ms (o2)",
  },
  {
    name: "a sequential set",
    text: cib(
      abc,
      `<rsc_order id="s1"><resource_set id="s1-1"><resource_ref id="a"/><resource_ref id="b"/><resource_ref id="c"/></resource_set></rsc_order>` +
        order("o2", "c", "a"),
    ),
    line: "rsc_order[id=o2]: order loop: a then b (s1), b then c (s1), c then a (o2)",
  },
];

describe("an order loop is refused by verify, with every order it needs named", () => {
  for (const c of refused) {
    it(c.name, () => {
      const got = lines(c.text);
      expect(
        got.some((l) => l.startsWith(c.line)),
        got.join("\n"),
      ).toBe(true);
    });
  }

  it("crm_verify accepts a loop and aborts on a resource ordered after itself", async () => {
    expect(await crmVerify(refused[0]?.text ?? "", "two")).toBe(0);
    expect(await crmVerify(cib(abc, order("o1", "a", "a"), online), "self")).toBe("SIGABRT"); // lh_action != rh_action
  });

  it("accepts orders that only look like loops", () => {
    const ok = [
      // stop a, start b, start a: a restart around b, no cycle
      cib(abc, order("o1", "a", "b", ' first-action="stop" symmetrical="false"') + order("o2", "b", "a")),
      // an unordered group's members wait for nothing among themselves
      cib(
        `<group id="g"><meta_attributes id="g-m"><nvpair id="g-o" name="ordered" value="false"/></meta_attributes>${prim("a")}${prim("b")}</group>`,
        order("o1", "b", "a"),
      ),
      // a non-sequential set, and a serializing order
      cib(
        abc,
        `<rsc_order id="s1"><resource_set id="s1-1" sequential="false"><resource_ref id="a"/><resource_ref id="b"/></resource_set></rsc_order>` +
          order("o2", "b", "a") +
          order("o3", "a", "b", ' kind="Serialize"'),
      ),
    ];
    for (const text of ok) expect(lines(text)).toEqual([]);
  });

  it("a loop that needs an optional order is a warning, not an error", () => {
    const text = cib(abc, order("o1", "a", "b") + order("o2", "b", "a", ' kind="Optional"'));
    expect(lines(text)).toEqual([]);
    expect(checkWarnings(parseXml(text)).map(problemLine)).toEqual([
      "rsc_order[id=o2]: order loop: a then b (o1), b then a (o2): these actions can never run in one transition",
    ]);
  });
});

describe("the scheduler blocks a loop it meets instead of asserting", () => {
  it("the loop's starts are blocked and named, the rest of the cluster is scheduled", () => {
    const text = cib(
      abc + prim("d"),
      order("o1", "a", "b") + order("o2", "b", "c") + order("o3", "c", "a"),
      online,
    );
    const r = schedule(text, 1_700_000_000);
    expect(
      r.actions.filter((a) => a.action === "start").map((a) => [a.resource, a.blocked ?? false]),
    ).toEqual([
      ["a", true],
      ["b", true],
      ["c", true],
      ["d", false],
    ]);
    expect(r.workingSet.warnings.join("\n")).toMatch(/order loop \(order o1, order o2, order o3\)/);
    expect(r.graph.actions.some((a) => a.resource === "d" && a.task === "start")).toBe(true);
    expect(r.graph.actions.some((a) => a.resource === "a" && a.task === "start")).toBe(false);
  });

  it("a loop through a group, and one of stops on running resources", () => {
    const running = (rsc: string) =>
      `<lrm_resource id="${rsc}" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="${rsc}_last_0" operation_key="${rsc}_start_0" operation="start" crm-debug-origin="x" crm_feature_set="3.17.4" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" call-id="1" rc-code="0" op-status="0" interval="0" last-rc-change="1" exec-time="1" queue-time="0" op-digest="x"/></lrm_resource>`;
    const status = online.replace(
      "/>",
      `><lrm id="1"><lrm_resources>${running("a")}${running("b")}</lrm_resources></lrm></node_state>`,
    );
    const stopping = cib(
      abc.replace(
        "/>",
        '><meta_attributes id="a-m"><nvpair id="a-tr" name="target-role" value="Stopped"/></meta_attributes></primitive>',
      ),
      order("o1", "a", "b") + order("o2", "b", "a"),
      status,
    );
    expect(() => schedule(stopping, 1_700_000_000)).not.toThrow();
    const grouped = cib(`<group id="g">${prim("a")}${prim("b")}</group>`, order("o1", "b", "a"), online);
    const r = schedule(grouped, 1_700_000_000);
    expect(r.actions.every((a) => a.action !== "start" || a.blocked)).toBe(true);
  });
});

describe("hacrm configure refuses to commit a loop and writes nothing", () => {
  it("names the order that closes the loop, at its line", async () => {
    const file = join(dir, "commit.xml");
    writeFileSync(file, cib(abc, order("o1", "a", "b")));
    const before = readFileSync(file, "utf8");
    const { code, err } = await hacrmIn(["configure"], {
      stdin: "order o2 Mandatory: b c\norder o3 Mandatory: c a\n",
      env: { PATH: process.env["PATH"] ?? "", CIB_file: file },
      cwd: dir,
    });
    expect(code).not.toBe(0);
    expect(err).toContain(
      "<stdin>:2:7: rsc_order[id=o3]: order loop: a then b (o1), b then c (o2), c then a (o3): none of these actions can ever run",
    );
    expect(readFileSync(file, "utf8")).toBe(before);
  });
});
