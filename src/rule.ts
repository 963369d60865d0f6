/**
 * The shape of a lint rule. One rule per file under rules/, registered in rules/index.ts.
 * A rule is pure: `check(ctx)` reads `ctx.ast` (and `ctx.options`, `ctx.facts`) and calls `ctx.report`.
 * An iptables rule that looks at each command, rule or option on its own gives `create(ctx)` instead: it
 * returns listeners, and the engine walks the ruleset once for all such rules (src/walk.ts).
 */
import type { Ruleset, Family } from "./ast/iptables.js";
import { ListenerError, walkRuleset, type RuleListeners } from "./walk.js";
import type { Span } from "./ast/span.js";
import type { DaemonJsonDocument } from "./daemon/ast.js";
import type { Fix, RelatedLocation, Severity, Suggestion } from "./diagnostic.js";

/** What kind of file a rule looks at. "project" rules see every file linted together (dump + daemon.json). */
export type Language = "iptables" | "daemon-json" | "project";

export type Category = "syntax" | "validity" | "docker" | "daemon" | "semantics" | "style";

/**
 * Facts about the host and project that rules need; set in config (`facts`), never guessed from the machine.
 * Adding a fact? Add it to "facts" in schema/fwlint.config.schema.json too (a test compares the two).
 */
export interface ProjectFacts {
  /** The host's external (internet- or LAN-facing) interfaces, e.g. ["eth0"]. */
  readonly externalInterfaces?: readonly string[];
  /** Source networks that are trusted (CIDRs). */
  readonly trustedSources?: readonly string[];
  /** The host's own addresses (for routing and addrtype decisions). */
  readonly hostAddresses?: readonly string[];
  /**
   * Docker Engine version on the host, e.g. "28.2.2" (default: the newest known). Selects the daemon.json key
   * set and settles the layout family of a dump that fits several.
   */
  readonly dockerVersion?: string;
  /**
   * This file is a persisted ruleset restored at boot. Unset: decided by name (rules.v4, rules.v6,
   * ip6?tables.rules, /etc/sysconfig/ip6?tables count as persisted).
   */
  readonly persisted?: boolean;
}

export interface Finding {
  readonly message: string;
  readonly span: Span;
  /** Severity of this finding when the rule reports more than one kind (default: the rule's). */
  readonly severity?: Severity;
  readonly related?: readonly RelatedLocation[];
  /**
   * The edit `fwlint --fix` applies. Only a rule with `fixable` gives one, and only an edit that keeps what
   * the author meant (whitespace iptables-restore refuses, `-m iprange` before `--src-range`); an edit that
   * changes what the firewall does is a suggestion, never a fix.
   */
  readonly fix?: Fix;
  readonly suggestions?: readonly Suggestion[];
  /** Project rules only: the file the finding is in (default: the first file of the project). */
  readonly filePath?: string;
  /**
   * Where iptables refuses what an iptables finding reports, when it is not while reading the rule (the
   * default, which both backends do for every rule a file adds, even one it takes out again):
   * - "translate": iptables-nft, when it turns the rule into nftables expressions; the legacy backend leaves
   *   the check to the kernel;
   * - "kernel": the kernel, when the rule is added on nf_tables and at COMMIT on the legacy backend;
   * - "nft-kernel": the legacy backend's iptables while reading the rule, nf_tables' kernel when it is added
   *   (a jump to a built-in chain).
   * It decides whether the finding stands on a rule a restore file takes out again (src/validity/removed.ts).
   */
  readonly stage?: "translate" | "kernel" | "nft-kernel";
}

export interface RuleContext<A> {
  readonly ast: A;
  readonly text: string;
  readonly filePath: string | undefined;
  readonly options: Readonly<Record<string, unknown>>;
  readonly facts: ProjectFacts;
  report(finding: Finding): void;
  /** Per-file memo shared by all rules, so an analysis (Docker layout, packet model, …) runs once. */
  memo<T>(key: string, compute: () => T): T;
}

export interface RuleDocs {
  /** Markdown: why this matters, what the kernel / dockerd does. */
  readonly rationale: string;
  /**
   * Example that triggers the rule (run as a test: must produce at least one diagnostic of this rule).
   * Project rules give several files, each introduced by a `==> name <==` line; an iptables example may set
   * facts with a `# fwlint-facts: {…}` line.
   */
  readonly bad: string;
  /** Example that does not (run as a test: must produce none of this rule). */
  readonly good: string;
  /** Kind of the examples when not the rule's language default (e.g. "script"). */
  readonly exampleKind?: FileKind;
  /** Markdown: when the rule is wrong or may be turned off. */
  readonly exceptions?: string;
}

export interface LintRuleMeta {
  /** Stable kebab-case id, never reused. */
  readonly id: string;
  readonly language: Language;
  readonly category: Category;
  /** Default severity; config may override it or turn the rule off. */
  readonly severity: Severity;
  /** One line, imperative or descriptive, no trailing period. */
  readonly description: string;
  readonly docs: RuleDocs;
  /** At most 10; "security" for security findings. */
  readonly tags: readonly string[];
  /** For security findings: CVSS-like 0.1–10.0 (SARIF security-severity). */
  readonly securitySeverity?: number;
  /** How often a finding is a true problem (SARIF precision). */
  readonly precision?: "very-high" | "high" | "medium" | "low";
  /** JSON Schema of the rule's options object (validated with the config). */
  readonly optionsSchema?: Readonly<Record<string, unknown>>;
  readonly defaultOptions?: Readonly<Record<string, unknown>>;
  /**
   * The shared analyses the rule reads through `ctx.memo`, by key (a key also covers the keys under
   * `key/`). After the last rule that names a key has run on a ruleset, the engine drops the analysis, so a
   * large dump does not keep, say, the validity graph while the packet model is built. A rule that reads an
   * analysis without naming it still works, but may find it dropped and build it again.
   */
  readonly uses?: readonly string[];
  /**
   * The rule's findings may carry a `fix` that `--fix` applies: "whitespace" when it only changes blanks and
   * line ends, "code" when it changes words (as ESLint's `meta.fixable`). A fix from a rule without it is an
   * internal error.
   */
  readonly fixable?: "code" | "whitespace";
}

/** What the rule sees per language. */
export interface AstOf {
  iptables: Ruleset;
  "daemon-json": DaemonJsonDocument;
  project: ProjectView;
}

export interface LintRule<L extends Language = Language> extends LintRuleMeta {
  readonly language: L;
  /** Run the rule on its own. For a rule defined with `create`, defineRule makes it: a walk of its own. */
  check(ctx: RuleContext<AstOf[L]>): void;
  /**
   * iptables rules: the rule's listeners for the engine's shared walk (commands, rules, options, then
   * `end`). The engine calls it instead of `check`, with the same context.
   */
  create?(ctx: RuleContext<Ruleset>): RuleListeners;
  /**
   * Project rules: false when the rule cannot report anything on these files linted together (say, it
   * compares a daemon.json with dumps and there is none). It sees what is known before parsing (kind and
   * the parsed daemon.json), must agree with `check`, and lets files be linted apart (`--concurrency`,
   * `--shard`) with the same results. The engine skips the rule when it says false. Without it, a project
   * rule may apply to any set of files, and files are always linted together while it is on.
   */
  appliesTo?(files: readonly ProjectFileHead[]): boolean;
  /**
   * Project rules that compare only some of the files with each other: those sets of files (indexes into
   * `files`). Each set is linted in one group and the other files apart, so a rule that pairs the rulesets
   * of one directory does not make a whole fleet one group. Must agree with `check`: linting each set on its
   * own gives the same findings. Without it, `appliesTo` decides for all the files at once.
   */
  together?(files: readonly ProjectFileHead[]): number[][];
}

/** A rule as written: with `check`, or (iptables rules) with `create` and no `check`. */
export type RuleDefinition<L extends Language> = Omit<LintRule<L>, "check"> & { check?: LintRule<L>["check"] };

export function defineRule<L extends Language>(rule: RuleDefinition<L>): LintRule<L> {
  if (rule.check) return rule as LintRule<L>;
  const written = rule.create;
  if (!written) throw new Error(`rule ${rule.id} has neither check nor create`);
  if (rule.language !== "iptables") throw new Error(`rule ${rule.id}: only iptables rules listen to the walk (create)`);
  // iptables checks every rule a file adds, even one it takes out again: the syntax and validity rules judge
  // those too (`RuleListeners.removed`), unless their listeners say otherwise
  const create =
    rule.category === "syntax" || rule.category === "validity"
      ? (ctx: RuleContext<Ruleset>): RuleListeners => {
          const listeners = written(ctx);
          return listeners.removed === undefined ? { ...listeners, removed: true } : listeners;
        }
      : written;
  return {
    ...rule,
    create,
    check(ctx) {
      try {
        walkRuleset(ctx.ast as Ruleset, [create(ctx as RuleContext<Ruleset>)]);
      } catch (err) {
        throw err instanceof ListenerError ? err.cause : err;
      }
    },
  };
}

export type { RuleListeners };

export type FileKind = "iptables" | "ip6tables" | "script" | "daemon-json";

/** What is known of a file before its rules are parsed: its kind, and the document when it is a daemon.json. */
export interface ProjectFileHead {
  readonly filePath: string | undefined;
  readonly kind: FileKind;
  readonly daemon: DaemonJsonDocument | null;
  /** The address family of a ruleset file (iptables-save, restore, `-S` output), as parsing will guess it; absent for scripts and daemon.json. */
  readonly family?: Family;
}

/** One file of a project as project rules see it. */
export interface ProjectFile extends ProjectFileHead {
  readonly text: string;
  /** One ruleset per family linted (dual-stack files and scripts may hold both). */
  readonly rulesets: readonly Ruleset[];
}

export interface ProjectView {
  readonly files: readonly ProjectFile[];
}

export type { Family };
