import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { element, parseXml, problemLine, serializeXml } from "@hacrm/cib";
import { validateCib } from "@hacrm/cib/validate";
import { crmVerifyText } from "./hacrm-cli-lib.js";

// Issue 14 items 9 and 10: what hacrm verify (and so every commit) refuses
// beyond the schema, each compared with Debian's crm_verify -x. Where
// crm_verify only warns and reads a default (a bad interval or meta
// boolean), hacrm refuses: a typo must not silently become a monitor that
// never runs or a resource that is unmanaged.
const cibText = (crmConfig: string, resources: string) =>
  `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9"><configuration>` +
  `<crm_config><cluster_property_set id="cib-bootstrap-options">${crmConfig}</cluster_property_set></crm_config>` +
  `<nodes><node id="1" uname="n1"/></nodes><resources>${resources}</resources><constraints/></configuration><status/></cib>`;
const prop = (name: string, value: string) => `<nvpair id="o-${name}" name="${name}" value="${value}"/>`;
const stonithOff = prop("stonith-enabled", "false");
const dummy = (ops: string, meta = "") =>
  `<primitive id="d" class="ocf" provider="heartbeat" type="Dummy">${meta}<operations>${ops}</operations></primitive>`;
const op = (id: string, name: string, interval: string, extra = "") =>
  `<op id="${id}" name="${name}" interval="${interval}"${extra}/>`;

const dir = mkdtempSync(join(tmpdir(), "hacrm-strict-"));
const crmVerify = (text: string, name: string) => crmVerifyText(dir, name, text);

const cases: { name: string; text: string; line: RegExp; crmVerify: "rejects" | "warns" }[] = [
  {
    name: "duplicate monitor interval",
    text: cibText(stonithOff, dummy(op("m1", "monitor", "10s") + op("m2", "monitor", "10000ms"))),
    line: /op\[id=m2\]: monitor interval="10000ms": m1 already is a monitor with this interval/,
    crmVerify: "rejects",
  },
  {
    name: "interval with a missing space",
    text: cibText(stonithOff, dummy(op("m1", "monitor", "30stimeout=30s"))),
    line: /op\[id=m1\]: interval="30stimeout=30s": "30stimeout=30s" is not a duration/,
    crmVerify: "warns",
  },
  {
    name: "stonith-enabled=maybe",
    text: cibText(prop("stonith-enabled", "maybe"), ""),
    line: /nvpair\[id=o-stonith-enabled\]: stonith-enabled="maybe": "maybe" is not a boolean/,
    crmVerify: "rejects",
  },
  {
    name: "no-quorum-policy=blah",
    text: cibText(stonithOff + prop("no-quorum-policy", "blah"), ""),
    line: /no-quorum-policy="blah": "blah" is not one of stop, freeze, ignore, demote, suicide/,
    crmVerify: "rejects",
  },
  {
    name: "is-managed=perhaps",
    text: cibText(
      stonithOff,
      dummy(
        "",
        `<meta_attributes id="d-m"><nvpair id="d-m-im" name="is-managed" value="perhaps"/></meta_attributes>`,
      ),
    ),
    line: /nvpair\[id=d-m-im\]: is-managed="perhaps": "perhaps" is not a boolean/,
    crmVerify: "warns",
  },
];

describe("verify is at least as strict as crm_verify", () => {
  for (const c of cases) {
    it(`refuses ${c.name} (crm_verify ${c.crmVerify})`, async () => {
      const lines = validateCib(parseXml(c.text)).map(problemLine);
      expect(
        lines.some((l) => c.line.test(l)),
        lines.join("\n"),
      ).toBe(true);
      const rc = await crmVerify(c.text, c.name.replace(/\W/g, "-"));
      expect(rc !== 0 ? "rejects" : "warns").toBe(c.crmVerify);
    });
  }

  it("refuses values XML cannot carry (NUL, \\x01, ESC, U+FFFE), as xmllint and crm_verify refuse the file", () => {
    for (const ch of ["\u0000", "\u0001", "\u001b", "\ufffe"]) {
      const tree = parseXml(cibText(stonithOff, ""));
      const nodes = tree.children[0]?.children.find((c) => c.name === "nodes");
      nodes?.children.push(element("node", { id: "2", uname: `n${ch}2` }));
      const lines = validateCib(tree).map(problemLine);
      const code = (ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
      expect(lines, JSON.stringify(ch)).toContain(
        `node[id=2]: uname="n\\u${code}2": U+${code} cannot be written in XML`,
      );
      expect(serializeXml(tree)).toContain(ch); // what would have been written
    }
  });

  it("accepts the same documents once corrected", () => {
    const good = cibText(
      stonithOff + prop("no-quorum-policy", "freeze"),
      dummy(op("m1", "monitor", "10s") + op("m2", "monitor", "20s", ' role="Promoted"')),
    );
    expect(validateCib(parseXml(good)).map(problemLine)).toEqual([]);
  });
});
