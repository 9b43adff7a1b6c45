import { beforeAll, describe, expect, it } from "vitest";
import { execSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { createSilentLogger } from "@hacrm/common/logger";
import { type Clock } from "@hacrm/common";
import { Prng } from "@hacrm/sim";
import {
  cloneElement,
  compareVersions,
  diffCib,
  documentDigest,
  element,
  formatVersion,
  nextVersionOf,
  parseXml,
  versionOf,
  walk,
  type XmlElement,
} from "@hacrm/cib";
import { openCibStore } from "@hacrm/cib/store";

const repo = fileURLToPath(new URL("..", import.meta.url));
const caseFile = fileURLToPath(
  new URL("../../shared/conformance/scheduler/cases/remote-connection-shutdown.xml", import.meta.url),
);
const base = parseXml(readFileSync(caseFile, "utf8"), caseFile);
// A mid-size CIB (about 50 KB) keeps each child start and commit short.
const crashFile = fileURLToPath(
  new URL("../../shared/conformance/scheduler/cases/bug-5143-ms-shuffle.xml", import.meta.url),
);
const crashBase = parseXml(readFileSync(crashFile, "utf8"), crashFile);
const clock: Clock = { nowMs: () => 1000, wallMs: () => 1_700_000_000_000 };
const deps = { clock, logger: createSilentLogger() };
const scratch = () => mkdtempSync(join(tmpdir(), "hacrm-cib-store-"));

function withPrimitive(cib: XmlElement, id: string): XmlElement {
  const copy = cloneElement(cib);
  const resources = [...walk(copy)].find((e) => e.name === "resources") as XmlElement;
  resources.children.push(element("primitive", { id, class: "ocf", provider: "heartbeat", type: "Dummy" }));
  return copy;
}

describe("CIB store", () => {
  it("persists versions, loads the current one at start, and prunes history", () => {
    const path = join(scratch(), "cib.sqlite");
    const store = openCibStore({ path, historyVersionsMax: 3 }, deps);
    expect(store.current()).toBeUndefined();
    const first = store.commit(base);
    expect(first.version).toEqual(versionOf(base));
    let doc = first.cib;
    for (let i = 0; i < 4; i++) doc = store.commit(withPrimitive(doc, `extra${i}`)).cib;
    const v = versionOf(base);
    expect(store.current()?.version).toEqual({ ...v, epoch: v.epoch + 4, num_updates: 0 });
    expect(store.history().map((h) => h.version.epoch)).toEqual([v.epoch + 4, v.epoch + 3, v.epoch + 2]);
    expect(store.history()[0]?.committedAtMs).toBe(1_700_000_000_000);
    store.close();

    const reopened = openCibStore({ path }, deps);
    expect(reopened.current()?.version).toEqual({ ...v, epoch: v.epoch + 4, num_updates: 0 });
    expect(reopened.current()?.digest).toBe(documentDigest(doc));
    expect(reopened.load({ ...v, epoch: v.epoch + 3, num_updates: 0 })).toBeDefined();
    expect(reopened.load(v)).toBeUndefined(); // pruned
    const out = join(scratch(), "cib.xml");
    reopened.exportXml(out);
    expect(documentDigest(parseXml(readFileSync(out, "utf8")))).toBe(documentDigest(doc));
    reopened.close();
  });

  it("refuses an invalid commit and writes nothing", () => {
    const path = join(scratch(), "cib.sqlite");
    const store = openCibStore({ path }, deps);
    store.commit(base);
    const bad = withPrimitive(base, "ghost-ref");
    const constraints = [...walk(bad)].find((e) => e.name === "constraints") as XmlElement;
    constraints.children.push(element("rsc_order", { id: "o-bad", first: "ghost-ref", then: "nope" }));
    expect(() => store.commit(bad)).toThrow(
      /rsc_order\[id=o-bad\]: then="nope": no resource or tag has id nope/,
    );
    expect(store.history()).toHaveLength(1);
    store.close();
    const db = new Database(path);
    expect((db.prepare("SELECT COUNT(*) AS n FROM versions").get() as { n: number }).n).toBe(1);
    db.close();
  });

  it("adopts patches from the exact base only, and never goes backwards", () => {
    const store = openCibStore({ path: join(scratch(), "cib.sqlite") }, deps);
    store.commit(base);
    const next = nextVersionOf(base, withPrimitive(base, "p1")).cib;
    const patch = diffCib(base, next);
    expect(store.commitPatch(patch).version).toEqual(versionOf(next));
    expect(() => store.commitPatch(patch)).toThrow(/patch is for version/);
    expect(() => store.adopt(base)).toThrow(/is not newer than the stored/);
    expect(store.history()).toHaveLength(2);
    store.close();
  });
});

/** The child: open the store, then commit edits in a loop, acknowledging each on stdout. */
const childCode = (distUrl: string, commonUrl: string) => `
import { writeSync } from "node:fs";
import { openCibStore } from ${JSON.stringify(distUrl + "/store.js")};
import { cloneElement, element, walk } from ${JSON.stringify(distUrl + "/xml.js")};
import { formatVersion } from ${JSON.stringify(distUrl + "/core/version.js")};
import { systemClock } from ${JSON.stringify(commonUrl)};
import { createSilentLogger } from ${JSON.stringify(commonUrl.replace(/index\.js$/, "logger.js"))};
const store = openCibStore({ path: process.env.STORE, validate: false }, { clock: systemClock, logger: createSilentLogger() });
let cib = store.current()?.cib;
if (!cib) throw new Error("store not initialised");
for (let i = 0; ; i++) {
  const next = cloneElement(cib);
  const all = [...walk(next)];
  if (i % 3 === 0) {
    all.find((e) => e.name === "resources").children.push(element("primitive", { id: "c" + process.pid + "-" + i, class: "ocf", provider: "heartbeat", type: "Dummy" }));
  } else {
    all.find((e) => e.name === "node_state").attrs["x-beat"] = String(i);
  }
  const r = store.commit(next);
  cib = r.cib;
  writeSync(1, "ack " + formatVersion(r.version) + " " + r.digest + "\\n");
}
`;

/** Seeded with the simulator's PRNG so a failing run can be replayed. */
function prng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.float();
}

describe("CIB store crash safety", () => {
  beforeAll(() => {
    execSync("npx tsc -b packages/common packages/cib", { cwd: repo, stdio: "ignore" });
  }, 120_000);

  it("always reopens at the last acknowledged version (or the one being committed) after SIGKILL", async () => {
    const killsMin = 100;
    const seed = Number(process.env["HACRM_CRASH_SEED"] ?? 4242);
    const random = prng(seed);
    const path = join(scratch(), "cib.sqlite");
    const init = openCibStore({ path, validate: false }, deps);
    init.commit(crashBase);
    init.close();
    const code = childCode(
      new URL("../packages/cib/dist", import.meta.url).href,
      new URL("../packages/common/dist/index.js", import.meta.url).href,
    );
    let acksTotal = 0;
    let aheadOfAck = 0;
    for (let k = 0; k < killsMin; k++) {
      const delayMs = Math.floor(random() * 60);
      const { acks, stderr } = await runAndKill(code, path, delayMs);
      expect(acks.length, `seed ${seed} kill ${k}: child produced no ack: ${stderr}`).toBeGreaterThan(0);
      acksTotal += acks.length;
      const last = acks[acks.length - 1] as { version: string; digest: string };
      const store = openCibStore({ path, validate: false }, deps); // throws if the digest does not match
      const cur = store.current();
      store.close();
      expect(cur).toBeDefined();
      const got = formatVersion(cur!.version);
      if (got === last.version) {
        expect(cur!.digest, `seed ${seed} kill ${k}`).toBe(last.digest);
      } else {
        // Committed but killed before the ack was written: exactly one step ahead.
        aheadOfAck++;
        const [a, e, n] = last.version.split(".").map(Number) as [number, number, number];
        const ahead = compareVersions(cur!.version, { admin_epoch: a, epoch: e, num_updates: n });
        expect(ahead, `seed ${seed} kill ${k}: store at ${got}, last ack ${last.version}`).toBe(1);
      }
      expect(documentDigest(cur!.cib)).toBe(cur!.digest);
    }
    const db = new Database(path);
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    db.close();
    console.log(
      `cib crash test: seed ${seed}, ${killsMin} SIGKILLs, ${acksTotal} acknowledged commits, ${aheadOfAck} kills between commit and ack`,
    );
    expect(existsSync(path)).toBe(true);
  }, 300_000);
});

function runAndKill(
  code: string,
  path: string,
  delayMs: number,
): Promise<{ acks: { version: string; digest: string }[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], {
      env: { ...process.env, STORE: path },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const acks: { version: string; digest: string }[] = [];
    let buffer = "";
    let stderr = "";
    let armed = false;
    child.stdout.on("data", (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const [, version, digest] = buffer.slice(0, nl).split(" ");
        buffer = buffer.slice(nl + 1);
        if (version && digest) acks.push({ version, digest });
      }
      if (!armed && acks.length > 0) {
        armed = true;
        setTimeout(() => child.kill("SIGKILL"), delayMs);
      }
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", () => {
      // Drain what the child wrote before dying: only complete lines count.
      resolve({ acks, stderr });
    });
  });
}
