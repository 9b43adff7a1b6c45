export { runHacrm, editDistance } from "./main.js";
export type { Command, CommandIo } from "./command.js";
export { ExitStatus } from "./command.js";
