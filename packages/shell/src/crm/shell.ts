import type { CommandIo } from "../command.js";
import type { Level } from "./session.js";

export async function runInteractive(io: CommandIo, level: Level): Promise<number> {
  void level;
  io.stderr.write("interactive mode not ready\n");
  return 1;
}
