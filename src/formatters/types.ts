import type { Diagnostic } from "../diagnostic.js";
import type { LintRuleMeta } from "../rule.js";

export interface FormattedResult {
  /** Absolute path, or "<stdin>" / the --stdin-filename. */
  readonly filePath: string;
  /** Path as shown to people (absolute, like ESLint's stylish). */
  readonly displayPath: string;
  /** Repository-relative forward-slash path (SARIF, GitHub annotations). */
  readonly relativePath: string;
  readonly messages: readonly Diagnostic[];
  readonly suppressedMessages?: readonly (Diagnostic & { readonly justification?: string })[];
  readonly errorCount: number;
  readonly warningCount: number;
  readonly fatalErrorCount: number;
  readonly source?: string;
}

export interface FormatterContext {
  readonly color: boolean;
  readonly cwd: string;
  readonly rules: readonly LintRuleMeta[];
  readonly version: string;
}

export type Formatter = (results: readonly FormattedResult[], ctx: FormatterContext) => string;
