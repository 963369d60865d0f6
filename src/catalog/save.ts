/**
 * What iptables-save does with an extension's options that the option data (`default`, `save`, `savedAs`,
 * `invertsTo`, `saveQuoting`, `format`) cannot say: rules that look at several options of one extension
 * instance at once. Keyed by extension name; each entry gets the options as the canonical printer
 * (src/canonical.ts) would print them — canonical values, catalog order, defaults added — and returns what
 * iptables-save 1.8.9 really prints. Each rule was observed on a real kernel (iptables 1.8.9, nf_tables and
 * legacy); test/canonical.test.ts keeps examples of each, and test/roundtrip.test.ts replays them on the kernel.
 */
import type { Option } from "../ast/iptables.js";
import type { ExtensionSpec, Family } from "./types.js";
import { WEEKDAYS } from "./values.js";

/** One option as it will be printed. */
export interface PrintedOption {
  /** Printed name (after savedAs / invertsTo). */
  readonly name: string;
  readonly negated: boolean;
  /** Printed values, unquoted. */
  readonly values: readonly string[];
  /** Sort key: index of the printed name in the extension's catalog options (iptables-save's order). */
  readonly order: number;
  /** Per value: "auto" (xtables_save_string), "always" or "never" quoted; "raw" for words of unknown options (quoted only to stay one word). */
  readonly quoted: readonly ("auto" | "always" | "never" | "raw")[];
  /** The option of the rule it comes from (absent for defaults iptables-save adds). */
  readonly source?: Option;
}

export interface SaveContext {
  readonly family: Family;
  readonly spec: ExtensionSpec;
  /** The options the rule gave for this extension instance, in source order. */
  readonly given: readonly Option[];
}

export type SaveRule = (printed: readonly PrintedOption[], ctx: SaveContext) => readonly PrintedOption[];

const orderOf = (spec: ExtensionSpec, name: string) => spec.options.findIndex((o) => o.name === name);

export const EXTENSION_SAVE: Readonly<Record<string, SaveRule>> = {
  /**
   * `--mask X` sets both masks: printed as `--nfmask X --ctmask X` (catalog: --mask savedAs --nfmask; the
   * --ctmask default that the printer added is replaced by X).
   */
  CONNMARK(printed, { spec }) {
    const op = printed.find((p) => p.name === "--set-xmark");
    if (op) {
      // with a mark operation (all saved as --set-xmark) the save/restore masks are not printed: --nfmask does
      // nothing, and --mask or --ctmask given after the operation replaces its mask (before it, the operation
      // sets its own)
      const at = op.source?.span.offset ?? -1;
      const later = printed.filter((p) => (p.source?.spec?.name === "--mask" || p.source?.spec?.name === "--ctmask") && p.source.span.offset > at);
      const mask = later[later.length - 1];
      const rest = printed.filter((p) => p.name !== "--nfmask" && p.name !== "--ctmask");
      if (!mask) return rest;
      return rest.map((p) => (p === op ? { ...p, values: [`${p.values[0]!.split("/")[0]}/${mask.values[0]}`] } : p));
    }
    const mask = printed.find((p) => p.source?.spec?.name === "--mask");
    if (!mask) return printed;
    // --mask excludes --ctmask, so the printer added no default for it
    return [...printed.filter((p) => p.name !== "--ctmask"), { ...mask, name: "--ctmask", order: orderOf(spec, "--ctmask"), source: undefined }];
  },

  /** --rsource and --rdest: the last one given wins (--rsource is the default). */
  recent(printed) {
    const sides = printed.filter((p) => p.source && (p.name === "--rsource" || p.name === "--rdest"));
    if (sides.length === 0) return printed;
    const last = sides.reduce((a, b) => (a.source!.span.offset > b.source!.span.offset ? a : b));
    // the default --rsource the printer adds goes too when --rdest wins
    return printed.filter((p) => (p.name !== "--rsource" && p.name !== "--rdest") || p === last);
  },

  /**
   * --ecn-tcp-remove sets both TCP bits to 0: an --ecn-ip-ect before it is dropped; one after it makes
   * iptables-save print the bits (`--ecn-tcp-ece 0 --ecn-tcp-cwr 0 --ecn-ip-ect N`).
   */
  ECN(printed, { spec }) {
    const remove = printed.find((p) => p.name === "--ecn-tcp-remove");
    const ect = printed.find((p) => p.name === "--ecn-ip-ect");
    if (!remove || !ect) return printed;
    if ((ect.source?.span.offset ?? 0) < (remove.source?.span.offset ?? 0)) return printed.filter((p) => p !== ect);
    const bit = (name: string): PrintedOption => ({ name, negated: false, values: ["0"], order: orderOf(spec, name), quoted: ["never"] });
    return [...printed.filter((p) => p !== remove), bit("--ecn-tcp-ece"), bit("--ecn-tcp-cwr")];
  },

  /**
   * The policy match holds up to four policy elements separated by `--next`. --dir, --pol and --strict belong to
   * the match; the other options to the element they were given in. Each element is printed in catalog order,
   * elements in the order given.
   */
  policy(printed, { spec }) {
    const global = new Set(["--dir", "--pol", "--strict"]);
    const width = spec.options.length + 1;
    let element = 0;
    const inSource = printed.filter((p) => p.source).sort((a, b) => a.source!.span.offset - b.source!.span.offset);
    const elementOf = new Map<PrintedOption, number>();
    for (const p of inSource) {
      elementOf.set(p, global.has(p.name) ? 0 : element);
      if (p.name === "--next") element++;
    }
    // --pol none: iptables-save prints no element
    const none = printed.some((p) => p.name === "--pol" && p.values[0] === "none") && !printed.some((p) => p.name === "--strict");
    const kept = none ? printed.filter((p) => global.has(p.name)) : printed;
    return kept.map((p) => ({ ...p, order: (elementOf.get(p) ?? 0) * width + p.order }));
  },

  /**
   * --timestart and --timestop are printed together once either differs from its default; a negated
   * --weekdays / --monthdays is printed as the complementary list.
   */
  time(printed, { spec }) {
    const out = printed.map((p) => {
      if (!p.negated) return p;
      if (p.name === "--weekdays") {
        const days = new Set(p.values[0]!.split(","));
        return { ...p, negated: false, values: [WEEKDAYS.filter((d) => !days.has(d)).join(",")] };
      }
      if (p.name === "--monthdays") {
        const days = new Set(p.values[0]!.split(",").map(Number));
        const all = Array.from({ length: 31 }, (_, i) => i + 1);
        return { ...p, negated: false, values: [all.filter((d) => !days.has(d)).join(",")] };
      }
      return p;
    });
    const pair = ["--timestart", "--timestop"];
    if (!out.some((p) => pair.includes(p.name))) return out;
    for (const name of pair) {
      if (out.some((p) => p.name === name)) continue;
      const opt = spec.options.find((o) => o.name === name)!;
      out.push({ name, negated: false, values: [opt.default as string], order: orderOf(spec, name), quoted: ["never"] });
    }
    return out;
  },
};
