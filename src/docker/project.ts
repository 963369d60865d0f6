/** Pairing a host's daemon.json with its firewall dumps for the project rules. */
import type { Ruleset } from "../ast/iptables.js";
import type { DaemonJsonDocument } from "../daemon/ast.js";
import type { ProjectFile, ProjectFileHead, ProjectView } from "../rule.js";

export interface DumpRuleset {
  readonly file: ProjectFile;
  readonly ruleset: Ruleset;
}

export interface DaemonAndDumps {
  readonly daemonFile: ProjectFile;
  readonly daemon: DaemonJsonDocument;
  readonly dumps: readonly DumpRuleset[];
}

const isDaemonObject = (f: ProjectFileHead) => f.kind === "daemon-json" && f.daemon?.root?.type === "Object";

/**
 * Can these files, linted together, pair a daemon.json with dumps? Exactly one daemon.json holding an
 * object, and another file. (The project rules' `appliesTo`: when false, each file can be linted alone.)
 */
export function mayPair(files: readonly ProjectFileHead[]): boolean {
  let daemons = 0;
  for (const f of files) if (isDaemonObject(f)) daemons++;
  return daemons === 1 && files.some((f) => f.kind !== "daemon-json");
}

/**
 * The daemon.json and the rulesets (dumps and restore files, not scripts) linted together. With more
 * than one daemon.json it is not known which dump belongs to which host, so nothing is paired.
 */
export function daemonAndDumps(view: ProjectView): DaemonAndDumps | null {
  if (!mayPair(view.files)) return null;
  const daemons = view.files.filter(isDaemonObject);
  const dumps = view.files
    .filter((f) => f.kind !== "daemon-json")
    .flatMap((file) => file.rulesets.filter((r) => r.format !== "script").map((ruleset) => ({ file, ruleset })));
  if (dumps.length === 0) return null;
  return { daemonFile: daemons[0]!, daemon: daemons[0]!.daemon!, dumps };
}

/** "rules.v4 line 12" for messages. */
export function where(file: ProjectFile, line: number): string {
  const name = file.filePath?.split(/[/\\]/).pop() ?? "the dump";
  return `${name} line ${line}`;
}
