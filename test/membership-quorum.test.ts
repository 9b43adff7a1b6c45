/**
 * votequorum arithmetic against a naive oracle (fast-check), the safety of
 * the two-phase last_man_standing rule, the codec's drop reasons, and
 * `hacrm keygen`.
 */
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  baseConfig,
  computeQuorum,
  createCodec,
  type QuorumOptions,
  type QuorumConfigSet,
  type HeartbeatWire,
} from "@hacrm/membership";
import { command as keygen } from "../packages/shell/src/commands/keygen.js";

const opts = (o: Partial<QuorumOptions> = {}): QuorumOptions => ({
  expectedVotes: undefined,
  twoNode: false,
  waitForAll: false,
  lastManStanding: false,
  lastManStandingWindowMs: 1000,
  autoTieBreaker: false,
  ...o,
});

/** The oracle: the votequorum rules written out as plainly as possible. */
function oracle(votes: number[], present: boolean[], o: QuorumOptions): boolean {
  let total = 0;
  let have = 0;
  votes.forEach((v, i) => {
    total += v;
    if (present[i]) have += v;
  });
  // hacrm raises expected_votes below the nodelist's votes to them (Corosync does not).
  const expected = Math.max(o.expectedVotes ?? total, total, have);
  const needed = o.twoNode && votes.length === 2 ? 1 : Math.floor(expected / 2) + 1;
  if (have >= needed) return true;
  if (o.autoTieBreaker && expected % 2 === 0 && have * 2 === expected) {
    const lowest = votes.findIndex((v) => v > 0);
    return lowest >= 0 && present[lowest] === true;
  }
  return false;
}

describe("votequorum arithmetic", () => {
  it("matches the oracle for votes, expected_votes, two_node and auto_tie_breaker", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 9 })
          .chain((votes) =>
            fc.tuple(
              fc.constant(votes),
              fc.array(fc.boolean(), { minLength: votes.length, maxLength: votes.length }),
              fc.boolean(),
              fc.boolean(),
              fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
            ),
          ),
        ([votes, present, atb, twoNode, expectedVotes]) => {
          const o = opts({ autoTieBreaker: atb, twoNode, expectedVotes });
          const nodes = votes.map((v, i) => ({ id: i + 1, votes: v }));
          const members = new Set(nodes.filter((_, i) => present[i]).map((n) => n.id));
          const lms = { committed: baseConfig(nodes, o), pending: [] };
          const q = computeQuorum({ members, lms, wfaCleared: true, opts: o });
          expect(q.quorate).toBe(oracle(votes, present, o));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("never lets two disjoint member sets both be quorate (without two_node)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 8, maxLength: 8 }),
        fc.boolean(),
        (votes, side, atb) => {
          const o = opts({ autoTieBreaker: atb });
          const nodes = votes.map((v, i) => ({ id: i + 1, votes: v }));
          const lms = { committed: baseConfig(nodes, o), pending: [] };
          const a = new Set(nodes.filter((_, i) => side[i] === 0).map((n) => n.id));
          const b = new Set(nodes.filter((_, i) => side[i] === 1).map((n) => n.id));
          const qa = computeQuorum({ members: a, lms, wfaCleared: true, opts: o }).quorate;
          const qb = computeQuorum({ members: b, lms, wfaCleared: true, opts: o }).quorate;
          expect(qa && qb).toBe(false);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("a pending last_man_standing configuration needs a majority of both the old and the new", () => {
    const o = opts({ lastManStanding: true });
    const nodes = [1, 2, 3, 4, 5].map((id) => ({ id, votes: 1 }));
    const base = baseConfig(nodes, o);
    const lowered: QuorumConfigSet = { epoch: 1, tag: "1.7", members: nodes.slice(0, 3), expected: 3 };
    const pendingLms = { committed: base, pending: [lowered] };
    // {1,4,5}: majority of the 5, but only 1 of the 3 -> not quorate while pending
    expect(
      computeQuorum({ members: new Set([1, 4, 5]), lms: pendingLms, wfaCleared: true, opts: o }).quorate,
    ).toBe(false);
    expect(
      computeQuorum({ members: new Set([1, 2, 3]), lms: pendingLms, wfaCleared: true, opts: o }).quorate,
    ).toBe(true);
    const committed = { committed: lowered, pending: [] };
    expect(
      computeQuorum({ members: new Set([2, 3]), lms: committed, wfaCleared: true, opts: o }),
    ).toMatchObject({ quorate: true, expected: 3, quorum: 2 });
    expect(
      computeQuorum({
        members: new Set([1, 2, 3]),
        lms: committed,
        wfaCleared: false,
        opts: opts({ waitForAll: true }),
      }).quorate,
    ).toBe(false);
  });
});

describe("datagram codec", () => {
  const key = Buffer.alloc(32, 1);
  const hb: HeartbeatWire = {
    t: "hb",
    rows: [],
    prop: { seq: 1, rep: 1, members: [{ id: 1, inc: 1 }] },
    view: null,
    wfaCleared: false,
    lms: null,
  };
  for (const cipher of ["none", "aes256"] as const) {
    it(`round-trips and drops forged, replayed, stale and unknown datagrams (cipher ${cipher})`, () => {
      const mk = (selfId: number, inc: number, k = key) =>
        createCodec({ clusterName: "c", key: k, cipher, hash: "sha256", selfId, nodeIds: [1, 2] }, inc);
      const a = mk(1, 5);
      const b = mk(2, 1);
      const d1 = a.encode(hb);
      expect(b.decode(d1)).toMatchObject({ ok: true, from: 1, inc: 5, msg: { t: "hb" } });
      expect(b.decode(d1)).toMatchObject({ ok: false, reason: "replayed" });
      // A forger without the key, with a sequence number not yet seen (a
      // repeated one is dropped as replayed before any cryptography).
      const forger = mk(1, 5, Buffer.alloc(32, 2));
      forger.encode(hb);
      const forged = forger.encode(hb);
      expect(b.decode(forged)).toMatchObject({ ok: false, reason: "auth_failed" });
      // The forged datagram did not move the replay window: the genuine
      // datagram with the same sequence number is still accepted.
      expect(b.decode(a.encode(hb))).toMatchObject({ ok: true, from: 1 });
      expect(b.decode(mk(1, 4).encode(hb))).toMatchObject({ ok: false, reason: "stale_incarnation" });
      expect(b.decode(d1.subarray(0, 10))).toMatchObject({ ok: false, reason: "truncated" });
      const flipped = Buffer.from(a.encode(hb));
      flipped[20] = (flipped[20] as number) ^ 0xff;
      expect(b.decode(flipped)).toMatchObject({ ok: false, reason: "auth_failed" });
      const other = createCodec(
        { clusterName: "c", key, cipher, hash: "sha256", selfId: 7, nodeIds: [1, 2, 7] },
        1,
      );
      expect(b.decode(other.encode(hb))).toMatchObject({ ok: false, reason: "unknown_node" });
      expect(b.decode(new Uint8Array(70_000))).toMatchObject({ ok: false, reason: "oversized" });
      const body = new Uint8Array([1, 2, 3, 250]);
      expect(b.decode(a.encode({ t: "data", ring: "1.2", fseq: 3, fi: 0, fn: 1, body }))).toMatchObject({
        ok: true,
        msg: { t: "data", fseq: 3, body },
      });
      // a restarted sender (higher incarnation) is accepted afresh
      expect(b.decode(mk(1, 6).encode(hb))).toMatchObject({ ok: true, inc: 6 });
    });
  }

  it("encrypts with aes256: the payload is not readable on the wire", () => {
    const a = createCodec(
      { clusterName: "c", key, cipher: "aes256", hash: "sha256", selfId: 1, nodeIds: [1, 2] },
      1,
    );
    const bytes = Buffer.from(a.encode({ ...hb, rows: [{ id: 1, inc: 1, ver: 1, heard: [2] }] }));
    expect(bytes.includes(Buffer.from("heard"))).toBe(false);
    const plain = createCodec(
      { clusterName: "c", key, cipher: "none", hash: "sha256", selfId: 1, nodeIds: [1, 2] },
      1,
    );
    expect(Buffer.from(plain.encode(hb)).includes(Buffer.from("prop"))).toBe(true);
  });
});

describe("hacrm keygen", () => {
  it("writes a 256-byte key with mode 0400 and refuses to overwrite without --force", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hacrm-keygen-"));
    const file = join(dir, "sub", "authkey");
    const io = {
      stdin: new PassThrough(),
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      env: {},
      cwd: dir,
    };
    expect(await keygen.run(["--file", file], io)).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o400);
    const first = readFileSync(file);
    expect(first.length).toBe(256);
    await expect(keygen.run(["--file", file], io)).rejects.toThrow(/already exists/);
    expect(await keygen.run(["--file", file, "--force"], io)).toBe(0);
    expect(readFileSync(file).equals(first)).toBe(false);
  });
});
