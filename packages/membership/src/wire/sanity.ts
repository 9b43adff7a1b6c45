/**
 * Bounds on the counters a node persists (ring seq, last_man_standing epochs,
 * incarnation) and the shape checks that enforce them wherever such a value
 * enters: a heartbeat from a peer (codec) and the state file (worker). A
 * value past a bound is refused, never adopted, so no peer and no file can
 * push a node into a state it cannot leave (issue 14, item 6: a ring seq of
 * 1e308 once split a cluster for good).
 */

/**
 * Largest ring seq accepted from a peer or a state file: 2^48. At one view
 * change per millisecond that is 8,900 years, and above it 2^53 - 2^48 more
 * views still count exactly, so every accepted value can be left.
 */
export const ringSeqMax = 2 ** 48;
/** Largest last_man_standing epoch accepted (same reasoning as ringSeqMax). */
export const lmsEpochMax = 2 ** 48;
/** Incarnations are u32 on the wire; a stored one this close to the end leaves too few restarts. */
export const incarnationStoredMax = 0xffffffff - 2 ** 24;
const nodesMax = 1024;
const pendingMax = 64;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown, max: number): boolean =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= 0 && v <= max;
const isU32 = (v: unknown): boolean => isCount(v, 0xffffffff);
const isList = (v: unknown, max: number, each: (x: unknown) => boolean): boolean =>
  Array.isArray(v) && v.length <= max && v.every(each);

const memberRefOk = (m: unknown): boolean => isObj(m) && isU32(m["id"]) && isU32(m["inc"]);

export function viewDescOk(v: unknown): boolean {
  return (
    isObj(v) &&
    isCount(v["seq"], ringSeqMax) &&
    isU32(v["rep"]) &&
    isList(v["members"], nodesMax, memberRefOk)
  );
}

function configSetOk(c: unknown): boolean {
  return (
    isObj(c) &&
    isCount(c["epoch"], lmsEpochMax) &&
    typeof c["tag"] === "string" &&
    c["tag"].length <= 64 &&
    isCount(c["expected"], 0xffffffff) &&
    isList(c["members"], nodesMax, (m) => isObj(m) && isU32(m["id"]) && isCount(m["votes"], 0xffff))
  );
}

export function lmsOk(l: unknown): boolean {
  return isObj(l) && configSetOk(l["committed"]) && isList(l["pending"], pendingMax, configSetOk);
}

const rowOk = (r: unknown): boolean =>
  isObj(r) &&
  isU32(r["id"]) &&
  isU32(r["inc"]) &&
  isCount(r["ver"], Number.MAX_SAFE_INTEGER) &&
  isList(r["heard"], nodesMax, isU32) &&
  (r["age"] === undefined || isCount(r["age"], 0xffffffff)); // ms; the core ignores ages of a token or more

/** A heartbeat's JSON (without its type) whose every counter is within bounds. */
export function heartbeatOk(j: Obj): boolean {
  return (
    isList(j["rows"], nodesMax, rowOk) &&
    viewDescOk(j["prop"]) &&
    (j["view"] === null || j["view"] === "prop" || viewDescOk(j["view"])) &&
    typeof j["wfaCleared"] === "boolean" &&
    (j["lms"] === null || lmsOk(j["lms"]))
  );
}

/** Why a membership state file's content is refused, or null when it is sound. */
export function stateFileProblem(v: unknown): string | null {
  if (!isObj(v)) return "not a JSON object";
  if (v["incarnation"] !== undefined && !isCount(v["incarnation"], incarnationStoredMax)) {
    return `incarnation ${JSON.stringify(v["incarnation"])} is not an integer from 0 to ${incarnationStoredMax}`;
  }
  if (v["ringSeq"] !== undefined && !isCount(v["ringSeq"], ringSeqMax)) {
    return `ringSeq ${JSON.stringify(v["ringSeq"])} is not an integer from 0 to ${ringSeqMax}`;
  }
  if (v["lms"] !== undefined && !lmsOk(v["lms"])) return "lms is not a valid quorum configuration";
  return null;
}
