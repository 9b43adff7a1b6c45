import { HacrmError } from "@hacrm/common";
import type * as A from "./ast.js";
import type { BuildContext } from "./build.js";
import { applyColocation, applyLocation, applyOrder, applyTicket } from "./constraints.js";
import { deleteObjects, modgroup, renameObject, setAttribute, type EditContext } from "./edit.js";
import {
  applyAclTarget,
  applyAlert,
  applyFencing,
  applyNode,
  applyProperty,
  applyRole,
  applyTag,
} from "./objects.js";
import { applyBundle, applyContainer, applyMonitor, applyPrimitive } from "./resources.js";

/**
 * One configure command applied to the CIB in `ctx` (objects built, edits made).
 * Shell commands (show, commit, up, ...) are the session's and never reach here.
 */
export async function applyCommand(ctx: BuildContext, edit: EditContext, cmd: A.ConfigureCmd): Promise<void> {
  switch (cmd.cmd) {
    case "primitive":
    case "rsc_template":
      return applyPrimitive(ctx, cmd);
    case "group":
    case "clone":
    case "ms":
      return applyContainer(ctx, cmd);
    case "bundle":
      return applyBundle(ctx, cmd);
    case "monitor":
      return applyMonitor(ctx, cmd);
    case "location":
      return applyLocation(ctx, cmd);
    case "colocation":
      return applyColocation(ctx, cmd);
    case "order":
      return applyOrder(ctx, cmd);
    case "rsc_ticket":
      return applyTicket(ctx, cmd);
    case "property":
    case "rsc_defaults":
    case "op_defaults":
      return applyProperty(ctx, cmd);
    case "node":
      return applyNode(ctx, cmd);
    case "tag":
      return applyTag(ctx, cmd);
    case "fencing_topology":
      return applyFencing(ctx, cmd);
    case "alert":
      return applyAlert(ctx, cmd);
    case "role":
      return applyRole(ctx, cmd);
    case "acl_target":
    case "acl_group":
      return applyAclTarget(ctx, cmd);
    case "delete":
      return deleteObjects(edit, cmd.args);
    case "rename":
      return renameObject(edit, cmd.args);
    case "modgroup":
      return modgroup(edit, cmd.args);
    case "set":
      return setAttribute(edit, cmd.args);
    default:
      throw new HacrmError({ code: "CRM_SYNTAX", message: `${cmd.cmd}: cannot be used here` });
  }
}
