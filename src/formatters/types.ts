import type { Diagnostic, SuppressedDiagnostic } from "../diagnostic.js";
import type { LintRuleMeta } from "../rule.js";

/** One linted file as formatters see it. */
export interface FormattedResult {
  /** Absolute path, or "<stdin>" (standard input without --stdin-filename). */
  readonly filePath: string;
  /** Forward-slash path relative to the project root (the repository), for SARIF and annotations. */
  readonly relativePath: string;
  readonly messages: readonly Diagnostic[];
  readonly suppressedMessages: readonly SuppressedDiagnostic[];
  readonly errorCount: number;
  readonly warningCount: number;
  readonly fatalErrorCount: number;
  /** The file's text (SARIF fingerprints hash it). */
  readonly source?: string;
  /** With --fix or --fix-dry-run: the fixed text, when a fix changed it (ESLint's `output`). */
  readonly output?: string;
}

/** Problems with a fix `--fix` would apply, by severity (ESLint's fixableErrorCount / fixableWarningCount). */
export function fixableCounts(messages: readonly Diagnostic[]): { fixableErrorCount: number; fixableWarningCount: number } {
  let fixableErrorCount = 0;
  let fixableWarningCount = 0;
  for (const m of messages) {
    if (!m.fix) continue;
    if (m.severity === "error") fixableErrorCount++;
    else fixableWarningCount++;
  }
  return { fixableErrorCount, fixableWarningCount };
}

/** A problem running the tool (a file that could not be read), as opposed to a finding. */
export interface ToolNotification {
  readonly message: string;
  /** Absolute path of the file concerned, when there is one. */
  readonly filePath?: string;
}

export interface FormatterContext {
  readonly color: boolean;
  readonly cwd: string;
  /** Directory repo-relative paths are relative to (the nearest .git upwards, else cwd). */
  readonly projectRoot: string;
  /** Every registered rule (SARIF lists them all in tool.driver). */
  readonly rules: readonly LintRuleMeta[];
  readonly version: string;
  readonly notifications?: readonly ToolNotification[];
  readonly sarif?: {
    /** Compute partialFingerprints.primaryLocationLineHash like upload-sarif. */
    readonly fingerprints?: boolean;
    /** Keep suppressed findings, with `suppressions` (GitHub ignores them, so off by default). */
    readonly includeSuppressed?: boolean;
    /** runs[0].automationDetails.id = "<category>/". */
    readonly category?: string;
  };
}

export type Formatter = (results: readonly FormattedResult[], ctx: FormatterContext) => string;

/** A message about the whole file (an ignored file) has no position: line 0. */
export const hasPosition = (d: Diagnostic): boolean => d.span.line > 0;
