/**
 * The commands of the fwlint program, in the order `fwlint --help` lists them. The first is the default
 * command (`fwlint [files..]` lints). Other commands — `fwlint trace …` and `fwlint exposure …` from the
 * packet model — are registered here: export a yargs CommandModule and add it to this list. Handlers get
 * the invocation's context with `contextOf(argv)` and use the helpers of ./shared.ts (loadInputs,
 * colorEnabled, writeReport, UsageError) so every command reads files, colours and exits the same way.
 */
import type { CommandModule } from "yargs";
import { lintCommand } from "./lint.js";

export const commands: readonly CommandModule<object, any>[] = [
  lintCommand,
  // trace and exposure (packet model) are registered here
];
