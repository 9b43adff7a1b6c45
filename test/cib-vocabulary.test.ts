import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  agentClassInfo,
  agentClassNames,
  checkClusterOption,
  clusterOptions,
  durationMs,
  INFINITY,
  isTrue,
  parseBoolean,
  parseDurationMs,
  parseRole,
  parseScore,
  scoreOr,
} from "@hacrm/cib";

const value = <T>(p: { ok: true; value: T } | { ok: false; why: string }): T | string =>
  p.ok ? p.value : `refused: ${p.why}`;

describe("scores", () => {
  it("reads integers and the INFINITY forms, clamping at INFINITY", () => {
    expect(value(parseScore("42"))).toBe(42);
    expect(value(parseScore("-7"))).toBe(-7);
    expect(value(parseScore("+7"))).toBe(7);
    expect(value(parseScore("INFINITY"))).toBe(INFINITY);
    expect(value(parseScore("+INFINITY"))).toBe(INFINITY);
    expect(value(parseScore("-INFINITY"))).toBe(-INFINITY);
    expect(value(parseScore("infinity"))).toBe(INFINITY);
    expect(value(parseScore("5000000"))).toBe(INFINITY);
    expect(value(parseScore("-5000000"))).toBe(-INFINITY);
  });

  it("refuses what is not a whole score", () => {
    for (const t of ["12abc", "1.5", "", "inf", "lots", "INFINITYx", "--1"]) {
      expect(parseScore(t).ok, t).toBe(false);
    }
  });

  it("reads unset or invalid as the caller's default, and node-health colours", () => {
    expect(scoreOr(undefined, 5)).toBe(5);
    expect(scoreOr("12abc", 0)).toBe(0);
    expect(scoreOr("red", 0)).toBe(-INFINITY);
    expect(scoreOr("green", 3)).toBe(0);
  });
});

describe("durations", () => {
  it("reads Pacemaker's forms and ISO 8601", () => {
    const cases: [string, number][] = [
      ["10s", 10_000],
      ["10", 10_000],
      ["500ms", 500],
      ["5min", 300_000],
      ["5m", 300_000],
      ["1h", 3_600_000],
      ["2hr", 7_200_000],
      ["10sec", 10_000],
      ["10msec", 10],
      ["2000us", 2],
      ["1.5s", 1500],
      [" 30S ", 30_000],
      ["PT10S", 10_000],
      ["pt1m30s", 90_000],
      ["PT1H", 3_600_000],
      ["P1D", 86_400_000],
      ["P1W", 604_800_000],
      ["P1DT1S", 86_401_000],
      ["P10S", 10_000],
      ["P1H", 3_600_000],
      ["0", 0],
    ];
    for (const [text, ms] of cases) expect(value(parseDurationMs(text)), text).toBe(ms);
  });

  it("refuses anything else instead of reading it as 0", () => {
    for (const t of ["10x", "30stimeout=30s", "", "s", "P", "PT", "P1Y", "P1M", "-5s", "10 s s"]) {
      expect(parseDurationMs(t).ok, t).toBe(false);
    }
    expect(() => durationMs("10x", "op m interval")).toThrow(/op m interval|10x/);
  });
});

describe("booleans", () => {
  it("reads Pacemaker's words in any case", () => {
    for (const t of ["true", "TRUE", "yes", "on", "y", "1"]) expect(value(parseBoolean(t)), t).toBe(true);
    for (const t of ["false", "no", "Off", "n", "0"]) expect(value(parseBoolean(t)), t).toBe(false);
    for (const t of ["maybe", "", "2", "tru"]) expect(parseBoolean(t).ok, t).toBe(false);
    expect(isTrue("maybe")).toBe(false);
    expect(isTrue(undefined)).toBe(false);
  });
});

describe("roles", () => {
  it("reads the current names and the legacy ones", () => {
    expect(value(parseRole("Master"))).toBe("Promoted");
    expect(value(parseRole("slave"))).toBe("Unpromoted");
    expect(value(parseRole("promoted"))).toBe("Promoted");
    expect(value(parseRole("Started"))).toBe("Started");
    expect(parseRole("Leader").ok).toBe(false);
  });
});

describe("agent classes", () => {
  it("lists every class the installed Pacemaker schema accepts, no more", () => {
    const rng = execFileSync(
      "sh",
      ["-c", "cat $(ls /usr/share/pacemaker/resources-*.rng | sort -V | tail -1)"],
      {
        encoding: "utf8",
      },
    );
    const start = rng.lastIndexOf('<attribute name="class">');
    const schemaClasses = [...rng.slice(start).matchAll(/<value>([a-z]+)<\/value>/g)].map((m) => m[1]);
    expect(new Set(agentClassNames)).toEqual(new Set(["ocf", ...schemaClasses]));
  });

  it("runs what crm_resource lists as standards, except service (not built yet); heartbeat is known, not run", () => {
    const standards = execFileSync("crm_resource", ["--list-standards"], { encoding: "utf8" }).split(/\s+/);
    for (const s of standards.filter((x) => x !== "" && x !== "service")) {
      expect(agentClassInfo(s)?.runs, s).toBe(true);
    }
    expect(agentClassInfo("heartbeat")?.runs).toBe(false);
    expect(standards).not.toContain("heartbeat");
  });
});

describe("cluster options", () => {
  it("has the scheduler's options with Pacemaker's types and defaults", () => {
    const xml = execFileSync("/usr/lib/pacemaker/pacemaker-schedulerd", ["metadata"], { encoding: "utf8" });
    const params = [
      ...xml.matchAll(/<parameter name="([^"]+)">[\s\S]*?<content type="([^"]+)"(?: default="([^"]*)")?/g),
    ];
    expect(params.length).toBeGreaterThanOrEqual(30);
    const typeOf: Record<string, string> = { time: "duration", select: "select", boolean: "boolean" };
    for (const [, name, type, dflt] of params) {
      const mine = clusterOptions[name as string];
      expect(mine, name).toBeDefined();
      expect(mine?.default, name).toBe(dflt);
      if (typeOf[type as string]) expect(mine?.type, name).toBe(typeOf[type as string]);
    }
  });

  it("judges values by the option's type", () => {
    expect(checkClusterOption("stonith-enabled", "maybe")).toMatch(/not a boolean/);
    expect(checkClusterOption("no-quorum-policy", "blah")).toMatch(/stop, freeze/);
    expect(checkClusterOption("cluster-recheck-interval", "10x")).toMatch(/unit/);
    expect(checkClusterOption("no-quorum-policy", "freeze")).toBeUndefined();
    expect(checkClusterOption("some-unknown-option", "anything")).toBeUndefined();
  });
});
