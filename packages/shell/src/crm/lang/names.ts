import type { AttrSet } from "./ast.js";
import { closest } from "./suggest.js";

/** Pacemaker's cluster options (crm_config), for "unknown property" advice. */
export const CLUSTER_OPTIONS = new Set([
  "batch-limit",
  "cluster-delay",
  "cluster-infrastructure",
  "cluster-ipc-limit",
  "cluster-name",
  "cluster-recheck-interval",
  "concurrent-fencing",
  "dc-deadtime",
  "dc-version",
  "election-timeout",
  "enable-acl",
  "enable-startup-probes",
  "fence-reaction",
  "have-watchdog",
  "join-finalization-timeout",
  "join-integration-timeout",
  "last-lrm-refresh",
  "load-threshold",
  "maintenance-mode",
  "migration-limit",
  "no-quorum-policy",
  "node-action-limit",
  "node-health-base",
  "node-health-green",
  "node-health-red",
  "node-health-strategy",
  "node-health-yellow",
  "pe-error-series-max",
  "pe-input-series-max",
  "pe-warn-series-max",
  "placement-strategy",
  "priority-fencing-delay",
  "remove-after-stop",
  "shutdown-escalation",
  "shutdown-lock",
  "shutdown-lock-limit",
  "start-failure-is-fatal",
  "startup-fencing",
  "stonith-action",
  "stonith-enabled",
  "stonith-max-attempts",
  "stonith-timeout",
  "stonith-watchdog-timeout",
  "stop-all-resources",
  "stop-orphan-actions",
  "stop-orphan-resources",
  "symmetric-cluster",
  "transition-delay",
  "default-resource-stickiness",
  "is-managed-default",
]);

/** Resource meta attributes Pacemaker knows (primitives, groups, clones, bundles). */
export const META_ATTRIBUTES = new Set([
  "priority",
  "target-role",
  "is-managed",
  "maintenance",
  "resource-stickiness",
  "requires",
  "migration-threshold",
  "failure-timeout",
  "multiple-active",
  "allow-migrate",
  "container-attribute-target",
  "remote-node",
  "remote-port",
  "remote-addr",
  "remote-connect-timeout",
  "remote-allow-migrate",
  "critical",
  "allow-unhealthy-nodes",
  "description",
  "clone-max",
  "clone-node-max",
  "clone-min",
  "notify",
  "globally-unique",
  "ordered",
  "interleave",
  "promotable",
  "promoted-max",
  "promoted-node-max",
  "master-max",
  "master-node-max",
  "collocated",
  "restart-type",
  "record-pending",
  "timeout",
  "interval",
  "on-fail",
  "enabled",
  "start-delay",
  "interval-origin",
  "role",
]);

/**
 * Advice for a name the cluster does not know: a warning, not an error (Pacemaker
 * ignores unknown names), with the close known name when there is one.
 */
export function unknownNames(set: AttrSet, known: Set<string>, what: string, owner: string): string[] {
  const out: string[] = [];
  for (const p of set.pairs) {
    if (known.has(p.name)) continue;
    const near = closest(p.name, [...known]);
    if (what === "property" || near !== undefined) {
      out.push(
        `${p.pos.line}:${p.pos.col}: ${owner}: unknown ${what} '${p.name}'${near !== undefined ? ` (did you mean '${near}'?)` : ""}`,
      );
    }
  }
  return out;
}
