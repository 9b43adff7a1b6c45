import { describe, expect, it } from "vitest";
import type { HacrmError } from "@hacrm/common";
import { parseXml, serializeXml } from "@hacrm/cib";

describe("xml tree", () => {
  it("round-trips attributes with characters that need escaping", () => {
    const text = `<nvpair id="a" name="msg" value="say &quot;hi&quot; &amp; &lt;bye&gt;&#10;line2"/>`;
    const tree = parseXml(text);
    expect(tree.attrs["value"]).toBe('say "hi" & <bye>\nline2');
    expect(parseXml(serializeXml(tree))).toEqual(tree);
  });

  it("keeps unknown elements and child order", () => {
    const text = `<cib><configuration><x-future a="1"/><crm_config/></configuration><status/></cib>`;
    const tree = parseXml(text);
    expect(tree.children[0]?.children.map((c) => c.name)).toEqual(["x-future", "crm_config"]);
  });

  it("names line and column of malformed XML", () => {
    let where: string | undefined;
    try {
      parseXml(`<cib>\n  <configuration>\n</cib>`, "bad.xml");
    } catch (err) {
      where = (err as HacrmError).where;
    }
    expect(where).toMatch(/^bad\.xml:3:\d+$/);
  });
});
