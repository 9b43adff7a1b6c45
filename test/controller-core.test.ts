/**
 * The controller core on its own: DC election, join and CIB replication
 * driven directly, with an ideal in-order network that a test can hold back
 * per destination (the simulator covers loss, crashes and partitions).
 */
import { describe, expect, it } from "vitest";
import { configurationDigest, diffCib, parseXml, serializeXml, type XmlElement } from "@hacrm/cib";
import { validateCib } from "@hacrm/cib/validate";
import {
  adoptedVersion,
  candidateOf,
  controllerStep,
  createControllerState,
  emptyCibXml,
  inHistory,
  initialStoredCib,
  roleOf,
  type ControllerEvent,
  type ControllerState,
  type CibWrite,
  type StoredCib,
  type ViewInfo,
  type WriteResult,
} from "@hacrm/controller";

const nodes = [1, 2, 3].map((id) => ({ id, name: `n${id}` }));

class Cluster {
  readonly cores = new Map<number, ControllerState>();
  readonly replies = new Map<string, WriteResult>();
  readonly events: { node: number; event: ControllerEvent }[] = [];
  readonly disks = new Map<number, StoredCib>();
  readonly queue: { from: number; to: number; body: Uint8Array }[] = [];
  /** Messages to these nodes wait here until released. */
  readonly held = new Set<number>();
  private seq = 0;
  private req = 0;

  constructor(ids: number[], stored: StoredCib | null = null) {
    for (const id of ids)
      this.cores.set(id, createControllerState({ selfId: id, nodes, validate: validateCib }, stored));
  }

  input(id: number, inp: Parameters<typeof controllerStep>[1]): void {
    const core = this.cores.get(id) as ControllerState;
    for (const e of controllerStep(core, inp)) {
      if (e.type === "send") this.queue.push({ from: id, to: e.to, body: e.body });
      else if (e.type === "reply") this.replies.set(e.req, e.result);
      else if (e.type === "persist") this.disks.set(id, e.cib);
      else this.events.push({ node: id, event: e.event });
    }
  }

  /** Install a view on `ids` (incarnation 1 unless given) with this quorum. */
  view(ids: number[], quorate: boolean, incs: Record<number, number> = {}): ViewInfo {
    this.seq++;
    const rep = Math.min(...ids);
    const v: ViewInfo = {
      id: `${rep}.${this.seq}`,
      seq: this.seq,
      rep,
      members: ids,
      incarnations: ids.map((id) => ({ id, inc: incs[id] ?? 1 })),
    };
    for (const id of ids) this.input(id, { type: "membership", view: v, quorate });
    return v;
  }

  run(): void {
    for (let i = 0; i < this.queue.length;) {
      const m = this.queue[i] as (typeof this.queue)[number];
      if (this.held.has(m.to)) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      if (this.cores.has(m.to)) this.input(m.to, { type: "deliver", from: m.from, body: m.body });
      i = 0;
    }
  }

  submit(id: number, write: CibWrite): string {
    const req = `r${++this.req}`;
    this.input(id, { type: "submit", req, write });
    return req;
  }

  doc(id: number): XmlElement {
    return (this.cores.get(id) as ControllerState).cib.doc;
  }
  dcs(): number[] {
    return [...this.cores].filter(([, s]) => roleOf(s) === "dc").map(([id]) => id);
  }
}

function addPrimitive(doc: XmlElement, id: string, attrs: Record<string, string> = {}): XmlElement {
  const copy = parseXml(serializeXml(doc), "copy");
  const resources = copy.children[0]?.children.find((c) => c.name === "resources") as XmlElement;
  resources.children.push({
    name: "primitive",
    attrs: { id, class: "ocf", provider: "heartbeat", type: "Dummy", ...attrs },
    children: [],
  });
  return copy;
}
const patchAdding = (doc: XmlElement, id: string): CibWrite => ({
  op: "patch",
  patch: diffCib(doc, addPrimitive(doc, id)),
});
const resourceIds = (doc: XmlElement) =>
  doc.children[0]?.children.find((c) => c.name === "resources")?.children.map((c) => c.attrs["id"]) ?? [];

function formed(): Cluster {
  const c = new Cluster([1, 2, 3]);
  c.view([1, 2, 3], true);
  c.run();
  return c;
}

describe("DC election", () => {
  it("names the member with the lowest incarnation, then the lowest id", () => {
    const view = (incs: [number, number][]): ViewInfo => ({
      id: "1.1",
      seq: 1,
      rep: 1,
      members: incs.map(([id]) => id),
      incarnations: incs.map(([id, inc]) => ({ id, inc })),
    });
    expect(
      candidateOf(
        view([
          [1, 5],
          [2, 5],
          [3, 5],
        ]),
      ),
    ).toBe(1);
    // node 1 restarted (higher incarnation): the running DC, node 2, keeps the role
    expect(
      candidateOf(
        view([
          [1, 9],
          [2, 5],
          [3, 7],
        ]),
      ),
    ).toBe(2);
  });

  it("elects one DC as soon as the view is agreed, and every node takes the same CIB", () => {
    const c = formed();
    expect(c.dcs()).toEqual([1]);
    const digests = new Set([...c.cores.values()].map((s) => s.cib.digest));
    expect(digests.size).toBe(1);
    const status = c.doc(2).children.find((e) => e.name === "status") as XmlElement;
    expect(status.children.map((n) => `${n.attrs["uname"]}:${n.attrs["crmd"]}`)).toEqual([
      "n1:online",
      "n2:online",
      "n3:online",
    ]);
    expect(c.doc(3).attrs["dc-uuid"]).toBe("1");
  });

  it("keeps a running DC when a restarted node joins, and moves the role when the view loses it", () => {
    const c = formed();
    c.view([1], false);
    c.view([2, 3], true);
    c.run();
    expect(c.dcs()).toEqual([2]);
    c.view([1, 2, 3], true, { 1: 2 });
    c.run();
    expect(c.dcs()).toEqual([2]);
  });

  it("has no DC in a partition without quorum, unless no-quorum-policy=ignore", () => {
    const c = new Cluster([1]);
    c.view([1], false);
    c.run();
    expect(c.dcs()).toEqual([]);
    const req = c.submit(1, patchAdding(c.doc(1), "r1"));
    expect(c.replies.get(req)).toMatchObject({ ok: false, error: { code: "NO_QUORUM" } });
    expect(resourceIds(c.doc(1))).toEqual([]);

    const ignore = parseXml(emptyCibXml(), "x");
    const crm = ignore.children[0]?.children[0] as XmlElement;
    crm.children.push(
      parseXml(
        '<cluster_property_set id="o"><nvpair id="o-nqp" name="no-quorum-policy" value="ignore"/></cluster_property_set>',
        "x",
      ),
    );
    const d = new Cluster([1], initialStoredCib(ignore));
    d.view([1], false);
    d.run();
    expect(d.dcs()).toEqual([1]);
    const ok = d.submit(1, patchAdding(d.doc(1), "r1"));
    expect(d.replies.get(ok)).toMatchObject({ ok: true });
  });
});

describe("replication", () => {
  it("acknowledges a write through a member only once every member has it durable", () => {
    const c = formed();
    c.held.add(3);
    const req = c.submit(2, patchAdding(c.doc(2), "web"));
    c.run();
    expect(c.replies.has(req)).toBe(false);
    expect(resourceIds(c.doc(1))).toEqual(["web"]);
    expect(resourceIds(c.disks.get(2)?.doc as XmlElement)).toEqual(["web"]);
    c.held.clear();
    c.run();
    expect(c.replies.get(req)).toMatchObject({ ok: true, version: { epoch: 2 } });
    expect(resourceIds(c.disks.get(3)?.doc as XmlElement)).toEqual(["web"]);
  });

  it("moves epoch for configuration and num_updates for status", () => {
    const c = formed();
    const before = c.cores.get(1)?.cib.version;
    c.submit(3, { op: "status", nodeState: '<node_state id="3" uname="n3" crmd="online"/>' });
    c.run();
    expect(c.cores.get(3)?.cib.version).toEqual({ ...before, num_updates: (before?.num_updates ?? 0) + 1 });
    c.submit(3, patchAdding(c.doc(3), "db"));
    c.run();
    expect(c.cores.get(3)?.cib.version).toEqual({
      ...before,
      epoch: (before?.epoch ?? 0) + 1,
      num_updates: 0,
    });
  });

  it("refuses an invalid configuration with verify's problem lines and changes nothing", () => {
    const c = formed();
    const before = c.cores.get(1)?.cib.digest;
    const bad = addPrimitive(c.doc(2), "bad", { provider: "" });
    delete (bad.children[0]?.children[2]?.children[0] as XmlElement).attrs["provider"];
    const req = c.submit(2, { op: "patch", patch: diffCib(c.doc(2), bad) });
    c.run();
    const r = c.replies.get(req);
    expect(r).toMatchObject({ ok: false, error: { code: "CIB_INVALID" } });
    expect(r?.ok === false && r.error.problems?.[0]).toMatch(/primitive\[id=bad\]/);
    expect(c.cores.get(1)?.cib.digest).toBe(before);
  });

  it("refuses an edit made on an older configuration, says what changed, and applies it when forced", () => {
    const c = formed();
    const base = c.doc(2);
    const baseRef = { version: c.cores.get(2)?.cib.version ?? { admin_epoch: 0, epoch: 0, num_updates: 0 } };
    const first = c.submit(2, patchAdding(base, "a"));
    c.run();
    expect(c.replies.get(first)).toMatchObject({ ok: true });
    const replace = (force: boolean): CibWrite => ({
      op: "replace",
      xml: serializeXml(addPrimitive(base, "b")),
      base: { ...baseRef, configDigest: configurationDigest(base) },
      force,
    });
    const second = c.submit(3, replace(false));
    c.run();
    const r = c.replies.get(second);
    expect(r).toMatchObject({ ok: false, error: { code: "CONFIG_CHANGED" } });
    expect(r?.ok === false && r.error.changed).toEqual(["/cib/configuration/resources/primitive[@id='a']"]);
    expect(resourceIds(c.doc(1))).toEqual(["a"]);
    const forced = c.submit(3, replace(true));
    c.run();
    expect(c.replies.get(forced)).toMatchObject({ ok: true });
    expect(resourceIds(c.doc(1))).toEqual(["b"]);
  });

  it("rebases a patch when only the status moved since its base", () => {
    const c = formed();
    const base = c.doc(2);
    c.submit(1, { op: "status", nodeState: '<node_state id="1" uname="n1" crmd="online"/>' });
    c.run();
    const req = c.submit(2, patchAdding(base, "x"));
    c.run();
    expect(c.replies.get(req)).toMatchObject({ ok: true });
    expect(resourceIds(c.doc(3))).toEqual(["x"]);
  });

  it("answers a forwarded write that a view change interrupts", () => {
    const c = formed();
    c.held.add(1);
    const req = c.submit(2, patchAdding(c.doc(2), "y"));
    c.view([2, 3], true);
    expect(c.replies.get(req)).toMatchObject({ ok: false, error: { code: "WRITE_INTERRUPTED" } });
  });
});

describe("join after faults", () => {
  it("drops the unacknowledged writes of a cut-off DC, logs them, and never moves a version back", () => {
    const c = formed();
    // node 1 (DC) is cut off but has not seen a view change: it writes on and nobody confirms.
    c.held.add(2);
    c.held.add(3);
    for (const id of ["s1", "s2", "s3"]) c.submit(1, patchAdding(c.doc(1), id));
    const staleVersion = c.cores.get(1)?.cib.version;
    expect(staleVersion?.epoch).toBe(4); // 1 at the join (members' <node> entries), then 3 writes
    c.queue.length = 0;
    c.held.clear();
    // 2 and 3 form a view without it and commit one write.
    c.view([2, 3], true);
    c.run();
    const acked = c.submit(3, patchAdding(c.doc(3), "kept"));
    c.run();
    expect(c.replies.get(acked)).toMatchObject({ ok: true, version: { epoch: 2 } });
    // Merge: node 1 leads again (lowest id, same incarnation), but the newer term wins over its higher epoch.
    c.view([1, 2, 3], true);
    c.run();
    for (const id of [1, 2, 3]) expect(resourceIds(c.doc(id))).toEqual(["kept"]);
    const v = c.cores.get(1)?.cib.version;
    expect(v?.epoch).toBe(5); // above the cut-off DC's 4: no version goes back
    const dropped = c.events.filter((e) => e.event.type === "changes_dropped");
    expect(dropped.map((e) => e.node)).toEqual([1]);
  });

  it("asks for a full copy when a patch does not apply", () => {
    const c = formed();
    const s3 = c.cores.get(3) as ControllerState;
    s3.cib = { ...s3.cib, digest: "corrupt" };
    const req = c.submit(2, patchAdding(c.doc(2), "z"));
    c.run();
    expect(c.events.some((e) => e.node === 3 && e.event.type === "full_copy_requested")).toBe(true);
    expect(c.replies.get(req)).toMatchObject({ ok: true });
    expect(c.cores.get(3)?.cib.digest).toBe(c.cores.get(1)?.cib.digest);
  });
});

describe("join rules", () => {
  const r = (epoch: number, num: number, digest: string, configDigest = digest) => ({
    term: { seq: 1, rep: 1 },
    version: { admin_epoch: 0, epoch, num_updates: num },
    digest,
    configDigest,
    nodeState: null,
  });
  it("puts the adopted version above every member's", () => {
    const w = r(5, 0, "w");
    expect(adoptedVersion(w, "w", false, [w, r(3, 9, "o")])).toEqual({
      admin_epoch: 0,
      epoch: 5,
      num_updates: 0,
    });
    expect(adoptedVersion(w, "w", false, [w, r(7, 1, "o")])).toEqual({
      admin_epoch: 0,
      epoch: 8,
      num_updates: 0,
    });
    expect(adoptedVersion(w, "w", true, [w])).toEqual({ admin_epoch: 0, epoch: 5, num_updates: 1 });
    expect(adoptedVersion(w, "w", false, [w, r(5, 2, "x", "w")])).toEqual({
      admin_epoch: 0,
      epoch: 5,
      num_updates: 3,
    });
  });
  it("knows which copies the adopted history contains", () => {
    const lineage = [
      { term: { seq: 3, rep: 1 }, endVersion: { admin_epoch: 0, epoch: 4, num_updates: 0 } },
      { term: { seq: 6, rep: 2 }, endVersion: null },
    ];
    const cur = { admin_epoch: 0, epoch: 9, num_updates: 0 };
    expect(inHistory(lineage, cur, { seq: 3, rep: 1 }, { admin_epoch: 0, epoch: 4, num_updates: 0 })).toBe(
      true,
    );
    expect(inHistory(lineage, cur, { seq: 3, rep: 1 }, { admin_epoch: 0, epoch: 5, num_updates: 0 })).toBe(
      false,
    );
    expect(inHistory(lineage, cur, { seq: 5, rep: 3 }, { admin_epoch: 0, epoch: 1, num_updates: 0 })).toBe(
      false,
    );
    expect(inHistory(lineage, cur, { seq: 1, rep: 1 }, { admin_epoch: 0, epoch: 1, num_updates: 0 })).toBe(
      "unknown",
    );
  });
});
