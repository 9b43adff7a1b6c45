import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { HacrmError } from "@hacrm/common";

export type AttributeLifetime = "reboot" | "forever";

const safeRe = /^[A-Za-z0-9_.:@+-]+$/;

function checkName(kind: string, v: string): void {
  if (!safeRe.test(v) || v.startsWith(".")) {
    throw new HacrmError({
      code: "ATTR_NAME",
      where: v,
      message: `not a valid ${kind} name`,
      hint: "use letters, digits and _ . : @ + -",
    });
  }
}

/**
 * Node attributes kept in a folder while no daemon runs (tests, `hacrm ra
 * exec`): `DIR/LIFETIME/NODE/NAME` holds the value. Every write is a
 * rename, so concurrent agents never see half a value.
 */
export class AttributeDirStore {
  constructor(private readonly dir: string) {}

  private path(lifetime: AttributeLifetime, node: string, name?: string): string {
    checkName("node", node);
    if (name !== undefined) checkName("attribute", name);
    return name === undefined ? `${this.dir}/${lifetime}/${node}` : `${this.dir}/${lifetime}/${node}/${name}`;
  }

  update(lifetime: AttributeLifetime, node: string, name: string, value: string): void {
    const target = this.path(lifetime, node, name);
    const folder = this.path(lifetime, node);
    mkdirSync(folder, { recursive: true });
    const tmp = `${folder}/.${name}.${process.pid}.tmp`;
    writeFileSync(tmp, value);
    renameSync(tmp, target);
  }

  delete(lifetime: AttributeLifetime, node: string, name: string): void {
    rmSync(this.path(lifetime, node, name), { force: true });
  }

  query(lifetime: AttributeLifetime, node: string, name: string): string | undefined {
    try {
      return readFileSync(this.path(lifetime, node, name), "utf8");
    } catch {
      return undefined;
    }
  }

  /** Every attribute of `node` with `lifetime`. */
  list(lifetime: AttributeLifetime, node: string): Record<string, string> {
    const out: Record<string, string> = {};
    let names: string[] = [];
    try {
      names = readdirSync(this.path(lifetime, node));
    } catch {
      return out;
    }
    for (const n of names.filter((x) => !x.startsWith(".")).sort()) {
      const v = this.query(lifetime, node, n);
      if (v !== undefined) out[n] = v;
    }
    return out;
  }
}
