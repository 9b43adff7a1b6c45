import { HacrmError, type ConfSection } from "@hacrm/common";
import { durationMs } from "@hacrm/cib";

/** What the config file's `executor { }` section can set. */
export interface ExecutorSettings {
  /** `ocf_path`: colon-separated resource.d folders searched after HACRM_OCF_PATH. */
  readonly ocfDirs: readonly string[];
  readonly actionsInFlightMax?: number;
  readonly queuedOpsMax?: number;
  readonly killGraceMs?: number;
  readonly outputBytesMax?: number;
}

const positiveInt = (key: string, value: string, where: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new HacrmError({
      code: "CONFIG_INVALID",
      where,
      message: `executor.${key} must be a positive integer, not '${value}'`,
    });
  }
  return n;
};

/**
 * Read the `executor { }` section of the parsed config file (corosync.conf
 * syntax), e.g.
 *
 *     executor {
 *         ocf_path: /opt/agents/resource.d:/srv/ra
 *         actions_in_flight_max: 4
 *         kill_grace: 5s
 *         output_bytes_max: 262144
 *     }
 */
export function executorSettingsFromConf(root: ConfSection, source = "hacrm.conf"): ExecutorSettings {
  const section = root.sections.find((s) => s.name === "executor");
  let settings: ExecutorSettings = { ocfDirs: [] };
  for (const e of section?.entries ?? []) {
    const where = `${source}:${e.line}`;
    switch (e.key) {
      case "ocf_path":
        settings = { ...settings, ocfDirs: e.value.split(":").filter((p) => p !== "") };
        break;
      case "actions_in_flight_max":
        settings = { ...settings, actionsInFlightMax: positiveInt(e.key, e.value, where) };
        break;
      case "queued_ops_max":
        settings = { ...settings, queuedOpsMax: positiveInt(e.key, e.value, where) };
        break;
      case "kill_grace":
        settings = { ...settings, killGraceMs: durationMs(e.value, where) };
        break;
      case "output_bytes_max":
        settings = { ...settings, outputBytesMax: positiveInt(e.key, e.value, where) };
        break;
      default:
        throw new HacrmError({
          code: "CONFIG_INVALID",
          where,
          message: `unknown key executor.${e.key}`,
          hint: "executor keys: ocf_path, actions_in_flight_max, queued_ops_max, kill_grace, output_bytes_max",
        });
    }
  }
  return settings;
}
