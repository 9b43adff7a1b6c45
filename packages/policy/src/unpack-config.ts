import { childrenNamed, durationMs, type XmlElement } from "@hacrm/cib";
import type { ClusterOptions } from "./model.js";
import type { IdIndex } from "./id-index.js";
import { readNvsets } from "./nvpairs.js";
import { isTrue, scoreOr } from "./scores.js";

export function section(root: XmlElement, ...path: string[]): XmlElement | undefined {
  let cur: XmlElement | undefined = root;
  for (const p of path) {
    if (!cur) return undefined;
    cur = cur.children.find((c) => c.name === p);
  }
  return cur;
}

function boolOpt(props: Map<string, string>, name: string, dflt: boolean): boolean {
  const v = props.get(name);
  return v === undefined ? dflt : isTrue(v);
}

/** Cluster options from crm_config, with Pacemaker's defaults. */
export function unpackOptions(cib: XmlElement, ids: IdIndex, now: number): ClusterOptions {
  const props = readNvsets(section(cib, "configuration", "crm_config"), "cluster_property_set", ids, { now });
  const haveQuorum = isTrue(cib.attrs["have-quorum"]);
  const stickiness = props.get("default-resource-stickiness");
  return {
    symmetric: boolOpt(props, "symmetric-cluster", true),
    noQuorumPolicy: (props.get("no-quorum-policy") ?? "stop").toLowerCase(),
    stonithEnabled: boolOpt(props, "stonith-enabled", true),
    haveWatchdog: boolOpt(props, "have-watchdog", false),
    stonithAction: ["off", "poweroff"].includes((props.get("stonith-action") ?? "").toLowerCase())
      ? "off"
      : "reboot",
    startupFencing: boolOpt(props, "startup-fencing", true),
    concurrentFencing: boolOpt(props, "concurrent-fencing", false),
    priorityFencingDelayMs: durationMs(props.get("priority-fencing-delay") ?? "0", "priority-fencing-delay"),
    stopOrphans: boolOpt(props, "stop-orphan-resources", true),
    startFailureIsFatal: boolOpt(props, "start-failure-is-fatal", true),
    maintenanceMode: boolOpt(props, "maintenance-mode", false),
    stopAllResources: boolOpt(props, "stop-all-resources", false),
    haveQuorum,
    noQuorumPanic: isTrue(cib.attrs["no-quorum-panic"]),
    placementStrategy: (props.get("placement-strategy") ?? "default").toLowerCase(),
    defaultStickiness: stickiness === undefined ? 0 : scoreOr(stickiness, 0),
  };
}

/** rsc_defaults / op_defaults meta attributes. */
export function unpackDefaults(
  cib: XmlElement,
  ids: IdIndex,
  name: "rsc_defaults" | "op_defaults",
  now: number,
): Map<string, string> {
  return readNvsets(section(cib, "configuration", name), "meta_attributes", ids, { now });
}

export { childrenNamed };
