import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { runHacrm } from "@hacrm/shell";

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  return {
    io: { stdin: new PassThrough(), stdout, stderr, env: {}, cwd: "/" },
    out: () => out,
    err: () => err,
  };
}

describe("hacrm", () => {
  it("rejects an unknown command with a usage error", async () => {
    const t = io();
    expect(await runHacrm(["frobnicate"], t.io)).toBe(2);
    expect(t.err()).toMatch(/unknown command 'frobnicate'/);
  });

  it("prints help", async () => {
    const t = io();
    expect(await runHacrm(["--help"], t.io)).toBe(0);
    expect(t.out()).toMatch(/Usage: hacrm COMMAND/);
  });
});
