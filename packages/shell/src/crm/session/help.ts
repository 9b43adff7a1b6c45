/**
 * hacrm's own help for every level of the shell and every command in it:
 * `help`, `help LEVEL`, `help COMMAND`, `?`. Written for hacrm (the language is
 * crmsh's, so a crmsh user finds the same words).
 */

export type HelpLevel = "top" | "configure" | "resource" | "node" | "ra" | "cib";

interface CommandHelp {
  /** Usage lines, without the command word's level. */
  usage: string[];
  /** One line for the level's overview. */
  summary: string;
  /** What it does, in a few lines. */
  text?: string[];
  examples?: string[];
  aliases?: string[];
}

interface LevelHelp {
  summary: string;
  text: string[];
  commands: Record<string, CommandHelp>;
}

const LEAVE: Record<string, CommandHelp> = {
  status: {
    usage: ["status"],
    summary: "cluster status: nodes, and where each resource runs (crm_mon's view)",
    text: ["Works at every level. Offline (CIB_file) it reads the status section of the file."],
  },
  cd: {
    usage: ["cd [LEVEL|..]"],
    summary: "go to another level (.. is the level above)",
    examples: ["cd configure", "cd .."],
  },
  up: {
    usage: ["up"],
    summary: "back to the level above (also: end, back)",
    text: [
      "Leaving configure with changes that are not committed asks whether to commit",
      "them; in a script (no terminal) they are committed, as crmsh does.",
    ],
    aliases: ["end", "back"],
  },
  help: {
    usage: ["help [LEVEL|COMMAND]", "?"],
    summary: "this help: the level's commands, or one command's usage and examples",
    examples: ["help", "help configure", "help primitive"],
  },
  quit: {
    usage: ["quit"],
    summary: "leave the shell (also: exit, bye); asks again if changes are not committed",
    aliases: ["exit", "bye"],
  },
};

const TOP: LevelHelp = {
  summary: "the top level",
  text: [
    "hacrm is a cluster shell in crmsh's language. Commands are grouped in levels;",
    "type a level's name to enter it, or a level and a command on one line",
    "(`resource stop web`). Offline, set CIB_file=PATH to work on a CIB file.",
    "",
    "Global options: -f FILE runs FILE as a script (so does `hacrm < FILE`),",
    "-F (--force) answers yes to questions and accepts agents that are not installed.",
  ],
  commands: {
    configure: {
      usage: ["configure [COMMAND ...]"],
      summary: "change the configuration (crmsh's configure language; commit to write)",
      examples: ["configure", "configure show", "configure primitive vip IPaddr2 params ip=10.0.0.10"],
    },
    resource: {
      usage: ["resource [COMMAND ...]"],
      summary: "start, stop, move, ban, clean up resources; where they run",
      examples: ["resource status vip", "resource move vip node2"],
    },
    node: {
      usage: ["node [COMMAND ...]"],
      summary: "standby, online, maintenance, attributes of nodes",
      examples: ["node standby node1", "node online --all"],
    },
    ra: {
      usage: ["ra [COMMAND ...]"],
      summary: "resource agents: classes, providers, list, info",
      examples: ["ra info IPaddr2", "ra list ocf heartbeat"],
    },
    cib: {
      usage: ["cib [COMMAND ...]"],
      summary: "shadow CIBs: edit a copy, simulate it, commit it",
      examples: ["cib new test", "cib use test", "cib commit test"],
    },
    ...LEAVE,
  },
};

const PRIMITIVE_USAGE = [
  "primitive ID {CLASS:PROVIDER:TYPE | CLASS:TYPE | TYPE | @TEMPLATE}",
  "    [description=TEXT]",
  "    [params [$id=ID | $id-ref=ID] [rule ...] NAME=VALUE ...]",
  "    [meta NAME=VALUE ...] [utilization NAME=VALUE ...]",
  "    [operations $id=ID | $id-ref=ID]",
  "    [op ACTION [NAME=VALUE ...] [op_params NAME=VALUE ...] [op_meta NAME=VALUE ...]] ...",
];

const CONFIGURE: LevelHelp = {
  summary: "change the configuration",
  text: [
    "Commands change a working copy of the CIB; `commit` checks and writes it, all",
    "or nothing. `show` prints the configuration in this language; what it prints",
    "reads back to the same CIB. In a script the changes are committed at the end.",
  ],
  commands: {
    primitive: {
      usage: PRIMITIVE_USAGE,
      summary: "define a resource: its agent, parameters, meta attributes and operations",
      text: [
        "A bare TYPE is looked up among the installed agents, ocf:heartbeat first.",
        "An agent that is not installed is refused (hacrm -F accepts it with a warning).",
        "Parameters are checked against the agent's meta-data.",
      ],
      examples: [
        "primitive vip IPaddr2 params ip=10.0.0.10 cidr_netmask=24 op monitor interval=10s",
        "primitive db ocf:heartbeat:pgsql op start timeout=120s op monitor interval=30s timeout=60s",
        "primitive web @web-template params configfile=/etc/apache2/site2.conf",
      ],
    },
    rsc_template: {
      usage: ["rsc_template ID AGENT [params ...] [meta ...] [op ...]"],
      summary: "a template primitives can refer to with @ID",
      examples: ["rsc_template web-template apache op monitor interval=20s"],
    },
    group: {
      usage: ["group ID RSC [RSC ...] [description=TEXT] [meta NAME=VALUE ...]"],
      summary: "resources started in order on the same node, stopped in reverse",
      examples: ["group web-stack vip web"],
    },
    clone: {
      usage: ["clone ID RSC [description=TEXT] [meta NAME=VALUE ...]"],
      summary: "run a resource (or group) on several nodes",
      examples: ["clone cl-ping ping meta clone-max=3 interleave=true"],
    },
    ms: {
      usage: ["ms ID RSC [meta NAME=VALUE ...]"],
      summary: "a promotable clone (deprecated name: a clone with promotable=true)",
      examples: ["clone db-clone db meta promotable=true", "ms drbd-ms drbd meta notify=true"],
      aliases: ["master"],
    },
    bundle: {
      usage: [
        "bundle ID {docker|rkt|podman} NAME=VALUE ... [network ...] [port-mapping ...]",
        "    [storage storage-mapping ...] [primitive RSC] [meta ...]",
      ],
      summary: "a container with a resource inside",
      examples: ["bundle httpd docker image=pcmk:httpd replicas=2 network control-port=3121 primitive web"],
    },
    location: {
      usage: [
        "location ID RSC SCORE: NODE",
        "location ID {RSC | { RSC ... } | /PATTERN/} [role=ROLE] rule [SCORE:] EXPRESSION ...",
      ],
      summary: "where a resource may or prefers to run",
      text: [
        "SCORE is a number, inf or -inf. Rules compare node attributes (eq, ne, lt, gt,",
        "lte, gte, defined, not_defined) and dates (date lt|gt|in|spec), with and/or.",
      ],
      examples: [
        "location vip-prefers-node1 vip 100: node1",
        "location no-db-on-ssd db rule -inf: #uname eq node3",
        "location ping-ok vip rule -inf: not_defined pingd or pingd lte 0",
      ],
    },
    colocation: {
      usage: [
        "colocation ID SCORE: RSC[:ROLE] WITH-RSC[:ROLE]",
        "colocation ID SCORE: RSC ... ( RSC ... ) [ RSC ... ]",
      ],
      summary: "keep resources together (positive score) or apart (negative)",
      text: ["The first resource is placed where the second one runs."],
      examples: [
        "colocation web-with-vip inf: web vip",
        "colocation db-with-master inf: vip db-clone:Master",
      ],
      aliases: ["collocation"],
    },
    order: {
      usage: ["order ID [{SCORE: | KIND:}] FIRST[:ACTION] THEN[:ACTION] ... [symmetrical=BOOL]"],
      summary: "start one resource before another (KIND: Mandatory, Optional, Serialize)",
      examples: ["order vip-before-web Mandatory: vip web", "order fs-then-db inf: fs:start db:start"],
    },
    rsc_ticket: {
      usage: ["rsc_ticket ID TICKET: RSC[:ROLE] ... [loss-policy={stop|demote|fence|freeze}]"],
      summary: "make resources depend on a ticket (multi-site)",
      examples: ["rsc_ticket db-needs-ticketA ticketA: db-clone:Master loss-policy=demote"],
    },
    property: {
      usage: ["property [$id=SET] NAME=VALUE ..."],
      summary: "set cluster options (crm_config)",
      examples: ["property stonith-enabled=false no-quorum-policy=stop"],
    },
    rsc_defaults: {
      usage: ["rsc_defaults [$id=SET] NAME=VALUE ..."],
      summary: "meta attribute defaults for every resource",
      examples: ["rsc_defaults resource-stickiness=100 migration-threshold=3"],
    },
    op_defaults: {
      usage: ["op_defaults [$id=SET] NAME=VALUE ..."],
      summary: "defaults for every operation",
      examples: ["op_defaults timeout=60s"],
    },
    node: {
      usage: ["node [$id=ID] NAME[:TYPE] [attributes NAME=VALUE ...] [utilization NAME=VALUE ...]"],
      summary: "declare a node with its attributes",
      examples: ["node node1 attributes standby=off", "node node2 utilization cpu=4 memory=8192"],
    },
    tag: {
      usage: ["tag ID: RSC ..."],
      summary: "name a set of resources (usable in constraints and commands)",
      examples: ["tag web-tier: vip web"],
    },
    fencing_topology: {
      usage: ["fencing_topology [NODE: DEVICE[,DEVICE] ...] ..."],
      summary: "fencing levels per node: the devices to try, in order",
      examples: ["fencing_topology node1: ipmi-1 node2: ipmi-2"],
    },
    alert: {
      usage: ["alert ID PATH [attributes ...] [meta ...] [select ...] [to RECIPIENT ...]"],
      summary: "run a script on cluster events",
      examples: ["alert mail /usr/share/pacemaker/alerts/alert_smtp.sh to admin@example.com"],
    },
    role: {
      usage: ["role ID {read|write|deny} {xpath:X | ref:ID | type:T} ..."],
      summary: "an ACL role",
      examples: ["role operator write ref:vip read xpath:/cib"],
    },
    acl_target: {
      usage: ["acl_target USER ROLE ..."],
      summary: "give a user ACL roles (acl_group: a group)",
      examples: ["acl_target alice operator"],
    },
    monitor: {
      usage: ["monitor RSC[:ROLE] INTERVAL[:TIMEOUT]"],
      summary: "add a monitor operation to a resource",
      examples: ["monitor vip 10s:20s"],
    },
    delete: {
      usage: ["delete ID ..."],
      summary: "remove objects (and the references to them)",
      examples: ["delete vip-prefers-node1"],
    },
    rename: {
      usage: ["rename OLD NEW"],
      summary: "rename an object; constraints and groups that refer to it follow",
      examples: ["rename vip vip-public"],
    },
    modgroup: {
      usage: ["modgroup GROUP {add RSC [before|after RSC] | remove RSC}"],
      summary: "add a resource to a group or remove one",
      examples: ["modgroup web-stack add db after vip"],
    },
    set: {
      usage: ["set PATH VALUE"],
      summary: "set one attribute: ID.ATTRIBUTE or ID.SET.NAME",
      examples: ["set vip.ip 10.0.0.11", "set db.op_monitor_30s.timeout 90s"],
    },
    erase: {
      usage: ["erase [nodes]"],
      summary: "remove every resource and constraint (and nodes, when named)",
    },
    show: {
      usage: ["show [xml] [ID ...]", "show changed"],
      summary: "print the configuration (or some objects) in this language or as XML",
      examples: ["show", "show vip web", "show xml vip"],
    },
    edit: {
      usage: ["edit [ID ...]"],
      summary: "edit the configuration (or some objects) in $EDITOR",
    },
    verify: {
      usage: ["verify"],
      summary: "check the working configuration as 'hacrm verify' does, without writing",
    },
    commit: {
      usage: ["commit"],
      summary: "check the working configuration and write it (nothing is written on error)",
    },
    load: {
      usage: ["load [xml] {replace|update|push} FILE"],
      summary: "read a configuration from a file of crm commands (or CIB XML) into the working copy",
      text: [
        "replace: the file becomes the configuration; update: its objects replace",
        "those with the same id and are added otherwise; push: like replace, then",
        "objects that are not in the file are removed (the same as replace here).",
        "FILE may be - for standard input.",
      ],
      examples: ["load update extra.crm", "load replace backup.xml"],
    },
    save: {
      usage: ["save [xml] FILE"],
      summary: "write the working configuration to a file, as crm commands (or XML)",
      examples: ["save backup.crm", "save xml backup.xml"],
    },
    simulate: {
      usage: ["simulate"],
      summary: "what the cluster would do with the working configuration (hacrm's scheduler)",
    },
    ...LEAVE,
  },
};

const RESOURCE: LevelHelp = {
  summary: "act on resources",
  text: [
    "Each command writes to the CIB at once, as crm_resource does. Offline (CIB_file)",
    "that is the file; what needs the agents (restart, refresh, failcount) needs a",
    "running cluster.",
  ],
  commands: {
    status: {
      usage: ["status [RSC]"],
      summary: "where resources run (one resource: 'resource RSC is running on: NODE')",
      examples: ["status", "status vip"],
      aliases: ["show", "list"],
    },
    locate: {
      usage: ["locate RSC"],
      summary: "the nodes a resource runs on",
    },
    start: { usage: ["start RSC"], summary: "let the resource run (target-role=Started)" },
    stop: { usage: ["stop RSC"], summary: "stop the resource (target-role=Stopped)" },
    restart: { usage: ["restart RSC"], summary: "stop then start (needs a running cluster)" },
    promote: { usage: ["promote RSC"], summary: "promote a promotable clone (target-role=Master)" },
    demote: { usage: ["demote RSC"], summary: "demote it (target-role=Slave)" },
    manage: { usage: ["manage RSC"], summary: "the cluster manages the resource again (is-managed=true)" },
    unmanage: {
      usage: ["unmanage RSC"],
      summary: "the cluster leaves the resource alone (is-managed=false)",
    },
    maintenance: { usage: ["maintenance RSC [on|off]"], summary: "maintenance mode for one resource" },
    move: {
      usage: ["move RSC NODE"],
      summary: "prefer NODE (leaves constraint cli-prefer-RSC: 'clear' removes it)",
      examples: ["move vip node2", "clear vip"],
      aliases: ["migrate"],
    },
    ban: {
      usage: ["ban RSC NODE"],
      summary: "keep the resource off NODE (leaves cli-ban-RSC-on-NODE)",
    },
    clear: {
      usage: ["clear RSC [NODE]"],
      summary: "remove the constraints move and ban left",
      aliases: ["unmove", "unmigrate", "unban"],
    },
    cleanup: {
      usage: ["cleanup [RSC] [NODE]"],
      summary: "forget failures and the operation history (every resource when none is named)",
      examples: ["cleanup", "cleanup db node2"],
    },
    constraints: {
      usage: ["constraints RSC"],
      summary: "the constraints that place a resource, and what is placed with it",
    },
    scores: {
      usage: ["scores"],
      summary: "every resource's allocation score on every node (hacrm's scheduler)",
    },
    operations: {
      usage: ["operations [RSC] [NODE]"],
      summary: "the operations recorded in the status section",
    },
    trace: {
      usage: ["trace RSC [ACTION [INTERVAL]]", "untrace RSC [ACTION [INTERVAL]]"],
      summary: "trace an agent's actions (trace_ra=1 on the operation)",
      examples: ["trace vip monitor", "untrace vip"],
    },
    untrace: { usage: ["untrace RSC [ACTION [INTERVAL]]"], summary: "stop tracing the agent's actions" },
    meta: {
      usage: ["meta RSC {set NAME VALUE | delete NAME | show NAME}"],
      summary: "a meta attribute of the resource",
      examples: ["meta vip set resource-stickiness 200"],
    },
    param: {
      usage: ["param RSC {set NAME VALUE | delete NAME | show NAME}"],
      summary: "an instance parameter of the resource",
      examples: ["param vip set ip 10.0.0.11"],
    },
    utilization: {
      usage: ["utilization RSC {set NAME VALUE | delete NAME | show NAME}"],
      summary: "a utilization attribute of the resource",
    },
    failcount: {
      usage: ["failcount RSC {show|delete} NODE"],
      summary: "fail counts (needs a running cluster)",
    },
    refresh: { usage: ["refresh [RSC]"], summary: "re-probe resources (needs a running cluster)" },
    ...LEAVE,
  },
};

const NODE: LevelHelp = {
  summary: "act on nodes",
  text: ["Each command writes to the CIB at once. --all acts on every node (as pcs does)."],
  commands: {
    status: {
      usage: ["status [NODE]", "show [NODE]"],
      summary: "a node's state and attributes (every node when none is named)",
      aliases: ["show", "list"],
    },
    standby: {
      usage: ["standby {NODE | --all} [forever|reboot]"],
      summary: "move resources off the node and keep them off (reboot: until it restarts)",
      examples: ["standby node1", "standby --all"],
    },
    online: {
      usage: ["online {NODE | --all}"],
      summary: "take the node out of standby",
      examples: ["online node1", "online --all"],
    },
    maintenance: { usage: ["maintenance NODE"], summary: "resources on the node are left alone" },
    ready: { usage: ["ready NODE"], summary: "end maintenance on the node" },
    attribute: {
      usage: ["attribute NODE {set NAME VALUE | delete NAME | show NAME}"],
      summary: "a node attribute",
      examples: ["attribute node1 set rack 2"],
    },
    utilization: {
      usage: ["utilization NODE {set NAME VALUE | delete NAME | show NAME}"],
      summary: "a node's capacity (cpu, memory, ...)",
      examples: ["utilization node1 set cpu 8"],
    },
    clearstate: {
      usage: ["clearstate NODE"],
      summary: "forget what the status section says about the node (its operation history)",
    },
    delete: { usage: ["delete NODE"], summary: "remove the node from the configuration and the status" },
    fence: {
      usage: ["fence NODE"],
      summary: "fence (power off or reset) the node (needs a running cluster)",
    },
    ...LEAVE,
  },
};

const RA: LevelHelp = {
  summary: "resource agents installed on this machine",
  text: ["Agent names may be bare (IPaddr2): ocf:heartbeat is looked up first, as crmsh does."],
  commands: {
    classes: { usage: ["classes"], summary: "agent classes and the providers of ocf" },
    list: {
      usage: ["list CLASS [PROVIDER]"],
      summary: "the agents of a class (and provider)",
      examples: ["list ocf heartbeat", "list stonith"],
    },
    providers: {
      usage: ["providers TYPE"],
      summary: "the ocf providers of an agent",
      examples: ["providers IPaddr2"],
    },
    info: {
      usage: ["info AGENT", "meta AGENT"],
      summary: "an agent's parameters (required ones marked) and actions with their timeouts",
      examples: ["info IPaddr2", "info ocf:heartbeat:Dummy", "info stonith:fence_ipmilan"],
      aliases: ["meta"],
    },
    ...LEAVE,
  },
};

const CIB: LevelHelp = {
  summary: "shadow CIBs",
  text: [
    "A shadow CIB is a copy of the CIB to change without touching the cluster:",
    "`cib new NAME` makes one and uses it, `configure` then edits it, `configure",
    "simulate` shows what the cluster would do, `cib commit NAME` writes it back.",
    "Shadows live in CIB_shadow_dir (default: beside CIB_file) as shadow.NAME.",
  ],
  commands: {
    new: {
      usage: ["new NAME [empty] [--force]"],
      summary: "copy the CIB into shadow NAME (empty: a blank CIB) and use it",
      examples: ["new test"],
    },
    use: {
      usage: ["use [NAME | live]"],
      summary: "work on shadow NAME, or on the real CIB again",
    },
    diff: { usage: ["diff [NAME]"], summary: "what the shadow changes, as crm commands" },
    commit: { usage: ["commit [NAME]"], summary: "write the shadow over the real CIB" },
    delete: { usage: ["delete NAME"], summary: "remove a shadow (not the one in use)" },
    list: { usage: ["list"], summary: "the shadows there are" },
    ...LEAVE,
  },
};

export const HELP: Record<HelpLevel, LevelHelp> = {
  top: TOP,
  configure: CONFIGURE,
  resource: RESOURCE,
  node: NODE,
  ra: RA,
  cib: CIB,
};

/** Every command of a level (aliases included), for completion. */
export function levelCommands(level: HelpLevel): string[] {
  const cmds = HELP[level].commands;
  return Object.entries(cmds).flatMap(([n, c]) => [n, ...(c.aliases ?? [])]);
}

function commandText(name: string, c: CommandHelp, level: HelpLevel): string {
  const prefix = level === "top" ? "" : `${level} `;
  const out = [`${name} - ${c.summary}`, "", "Usage:", ...c.usage.map((u) => `  ${u}`)];
  if (c.aliases) out.push("", `Also: ${c.aliases.join(", ")}`);
  if (c.text) out.push("", ...c.text);
  if (c.examples) {
    out.push("", "Examples:", ...c.examples.map((e) => `  ${e}`));
    if (level !== "top") out.push("", `From the shell prompt: hacrm ${prefix}${c.examples[0] ?? ""}`);
  }
  return out.join("\n");
}

function levelText(level: HelpLevel, others: Record<string, string>): string {
  const h = HELP[level];
  const width = Math.max(...Object.keys(h.commands).map((n) => n.length)) + 2;
  const out = [
    level === "top" ? "hacrm - cluster shell" : `${level} - ${h.summary}`,
    "",
    ...h.text,
    "",
    "Commands:",
  ];
  for (const [name, c] of Object.entries(h.commands)) out.push(`  ${name.padEnd(width)}${c.summary}`);
  const extra = Object.entries(others).filter(([n]) => !(n in h.commands));
  if (level === "top" && extra.length > 0) {
    out.push("", "Other hacrm commands:");
    for (const [n, s] of extra) out.push(`  ${n.padEnd(width)}${s}`);
  }
  out.push("", "Type 'help COMMAND' for a command's usage and examples.");
  return out.join("\n");
}

/**
 * The help for `help [TOPIC]` typed at `level`: the level's overview; a level's
 * overview when TOPIC is a level; a command of this level, else of any level.
 * Undefined when nothing is called TOPIC.
 */
export function helpText(
  level: HelpLevel,
  topic?: string,
  others: Record<string, string> = {},
): string | undefined {
  if (topic === undefined) return levelText(level, others);
  if (topic !== level && topic in HELP && !(topic in HELP[level].commands && level !== "top"))
    return levelText(topic as HelpLevel, others);
  const find = (l: HelpLevel): [string, CommandHelp] | undefined => {
    const cmds = HELP[l].commands;
    const c = cmds[topic];
    if (c) return [topic, c];
    const alias = Object.entries(cmds).find(([, v]) => v.aliases?.includes(topic));
    return alias;
  };
  const here = find(level);
  if (here) return commandText(here[0], here[1], level);
  for (const l of Object.keys(HELP) as HelpLevel[]) {
    if (l === "top") continue;
    const f = find(l);
    if (f) return commandText(f[0], f[1], l);
  }
  if (others[topic] !== undefined)
    return `${topic} - ${others[topic]}\n\nRun 'hacrm ${topic} --help' for its options.`;
  return undefined;
}
