import type { Pos } from "./lexer.js";

/** A word with where it was typed. */
export interface Word {
  text: string;
  pos: Pos;
}

export interface NvPair {
  name: string;
  value: string;
  pos: Pos;
  /** Where the value starts (for errors about the value). */
  valuePos: Pos;
}

export type SetElement = "instance_attributes" | "meta_attributes" | "utilization";

/** `params|meta|utilization|attributes [$id=ID] [SCORE:] [rule ...] NAME=VALUE ...` or `$id-ref=ID`. */
export interface AttrSet {
  element: SetElement;
  pos: Pos;
  id?: Word;
  idRef?: Word;
  score?: string;
  rules: Rule[];
  pairs: NvPair[];
}

export type Expr =
  | { kind: "attr"; attribute: string; operation: string; value: string; type?: string; pos: Pos }
  | { kind: "defined" | "not_defined"; attribute: string; pos: Pos }
  | { kind: "date"; operation: "lt" | "gt"; value: string; pos: Pos }
  | { kind: "in_range"; start?: string; end?: string; duration: NvPair[]; pos: Pos }
  | { kind: "date_spec"; fields: NvPair[]; pos: Pos };

export interface Rule {
  pos: Pos;
  id?: Word;
  role?: string;
  score?: string;
  scoreAttribute?: string;
  booleanOp?: "and" | "or";
  exprs: Expr[];
}

export interface Op {
  name: Word;
  id?: Word;
  /** Attributes Pacemaker knows on `<op>` (interval, timeout, role, on-fail, ...). */
  attrs: NvPair[];
  /** Other NAME=VALUE (OCF_CHECK_LEVEL): the op's instance_attributes. */
  extra: NvPair[];
  /** `op_params` / `op_meta` sets. */
  sets: AttrSet[];
}

export interface Agent {
  cls: string;
  provider?: string;
  type: string;
  pos: Pos;
}

export interface PrimitiveCmd {
  cmd: "primitive" | "rsc_template";
  id: Word;
  agent?: Agent;
  template?: Word;
  description?: string;
  sets: AttrSet[];
  ops: Op[];
  opsId?: Word;
  opsIdRef?: Word;
}

export interface ContainerCmd {
  cmd: "group" | "clone" | "ms";
  id: Word;
  members: Word[];
  description?: string;
  sets: AttrSet[];
}

export interface BundleCmd {
  cmd: "bundle";
  id: Word;
  runtime: { name: string; attrs: NvPair[] };
  network?: NvPair[];
  portMappings: NvPair[][];
  storageMappings: NvPair[][];
  storage: boolean;
  primitive?: Word;
  sets: AttrSet[];
}

/** `rsc[:role|:action]` in a constraint. */
export interface RscRef {
  id: Word;
  qualifier?: Word;
}

/** `( ... )`, `[ ... ]`, `{ ... }` in a constraint. */
export interface BracketSet {
  open: "(" | "[" | "{";
  pos: Pos;
  refs: RscRef[];
  attrs: NvPair[];
}

export type SetItem = { kind: "ref"; ref: RscRef } | { kind: "set"; set: BracketSet };

export interface LocationCmd {
  cmd: "location";
  id: Word;
  rsc?: Word;
  pattern?: Word;
  set?: BracketSet;
  role?: NvPair;
  discovery?: NvPair;
  score?: string;
  node?: Word;
  rules: Rule[];
}

export interface ColocationCmd {
  cmd: "colocation";
  id: Word;
  score: string;
  items: SetItem[];
  attrs: NvPair[];
}

export interface OrderCmd {
  cmd: "order";
  id: Word;
  kind?: string;
  items: SetItem[];
  attrs: NvPair[];
}

export interface TicketCmd {
  cmd: "rsc_ticket";
  id: Word;
  ticket: string;
  items: SetItem[];
  attrs: NvPair[];
}

export interface PropertyCmd {
  cmd: "property" | "rsc_defaults" | "op_defaults";
  set: AttrSet;
}

export interface NodeCmd {
  cmd: "node";
  id?: Word;
  uname: Word;
  type?: string;
  description?: string;
  sets: AttrSet[];
}

export interface TagCmd {
  cmd: "tag";
  id: Word;
  refs: Word[];
}

export interface FencingLevel {
  target: { kind: "node" | "attribute" | "pattern"; value: string; attrValue?: string };
  devices: Word[];
}

export interface FencingCmd {
  cmd: "fencing_topology";
  pos: Pos;
  /** Levels; a level without a target (target undefined) applies to every node. */
  levels: Array<{ target?: FencingLevel["target"]; devices: Word[] }>;
}

export interface AlertCmd {
  cmd: "alert";
  id: Word;
  path: string;
  description?: string;
  sets: AttrSet[];
  select?: Array<{ kind: string; attributes?: string[] }>;
  recipients: Array<{ value: string; sets: AttrSet[]; description?: string }>;
}

export interface AclPermission {
  kind: "read" | "write" | "deny";
  specs: Array<{ attr: "xpath" | "reference" | "object-type" | "attribute"; value: string }>;
}

export interface RoleCmd {
  cmd: "role";
  id: Word;
  permissions: AclPermission[];
}

export interface AclTargetCmd {
  cmd: "acl_target" | "acl_group";
  id: Word;
  roles: Word[];
}

export interface MonitorCmd {
  cmd: "monitor";
  rsc: Word;
  role?: string;
  interval: string;
  timeout?: string;
}

export interface EditCmd {
  cmd: "delete" | "rename" | "modgroup" | "set";
  pos: Pos;
  args: Word[];
}

/** Commands that do not change the configuration by themselves. */
export interface ShellCmd {
  cmd:
    | "commit"
    | "up"
    | "show"
    | "verify"
    | "edit"
    | "quit"
    | "help"
    | "erase"
    | "cd"
    | "ls"
    | "load"
    | "save"
    | "simulate"
    | "status";
  pos: Pos;
  args: Word[];
}

export type ConfigureCmd =
  | PrimitiveCmd
  | ContainerCmd
  | BundleCmd
  | LocationCmd
  | ColocationCmd
  | OrderCmd
  | TicketCmd
  | PropertyCmd
  | NodeCmd
  | TagCmd
  | FencingCmd
  | AlertCmd
  | RoleCmd
  | AclTargetCmd
  | MonitorCmd
  | EditCmd
  | ShellCmd;
