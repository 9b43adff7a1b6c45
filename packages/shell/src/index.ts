export { runHacrm } from "./main.js";
export { editDistance } from "./crm/lang/suggest.js";
export type { Command, CommandIo } from "./command.js";
export { ExitStatus } from "./command.js";
