/**
 * `checkValue`'s answers, kept for the process. A dump repeats the same values (ports, states, protocols,
 * interfaces, addresses) many times over, and the files of a fleet repeat each other's; `checkValue` is a pure
 * function of the family, the option spec, the extension, the value's kind and its text, so each answer is
 * computed once. `invalid-argument` (every value of every rule) and the canonical printer (Docker's templates,
 * `-D` rule specs, duplicate rules) both ask here.
 *
 * The maps are nested rather than keyed by one joined string: a joined key is a new string per lookup, to be
 * flattened and hashed, while a word's own text keeps its hash. At most `MAX_KEPT` answers are kept; past
 * that everything is dropped and kept afresh.
 */
import type { Family, OptionSpec, ValueKind } from "./types.js";
import { checkValue, type ValueCheck } from "./values.js";

type ByText = Map<string, ValueCheck>;
type ByKind = Map<ValueKind, ByText>;
/** By extension name ("" for a core option). */
type ByExtension = Map<string, ByKind>;
const KEPT: Record<Family, Map<OptionSpec, ByExtension>> = { ipv4: new Map(), ipv6: new Map() };

/**
 * The benchmark's 100k-rule dump keeps 10,684 answers (2.0 MB of heap): this bound holds about ten such dumps'
 * worth, some 20 MB at most.
 */
export const MAX_KEPT = 100_000;
let limit = MAX_KEPT;
let kept = 0;

/** checkValue(kind, text, { family, option, extension }), computed once. */
export function checkValueKept(kind: ValueKind, text: string, family: Family, option: OptionSpec, extension?: string): ValueCheck {
  const bySpec = KEPT[family];
  let byExtension = bySpec.get(option);
  if (!byExtension) bySpec.set(option, (byExtension = new Map()));
  const ext = extension ?? "";
  let byKind = byExtension.get(ext);
  if (!byKind) byExtension.set(ext, (byKind = new Map()));
  let byText = byKind.get(kind);
  if (!byText) byKind.set(kind, (byText = new Map()));
  let check = byText.get(text);
  if (!check) {
    // full: drop everything, then keep this one in the fresh maps (one at least, whatever the limit)
    if (kept > 0 && kept >= limit) {
      forgetValueChecks();
      return checkValueKept(kind, text, family, option, extension);
    }
    check = checkValue(kind, text, extension === undefined ? { family, option } : { family, option, extension });
    byText.set(text, check);
    kept++;
  }
  return check;
}

/** How many answers are kept now. */
export function keptValueChecks(): number {
  return kept;
}

/** Drop every kept answer. */
export function forgetValueChecks(): void {
  KEPT.ipv4.clear();
  KEPT.ipv6.clear();
  kept = 0;
}

/** Keep at most `n` answers (tests); without `n`, MAX_KEPT again. Drops what is kept. */
export function limitValueChecks(n?: number): void {
  limit = n ?? MAX_KEPT;
  forgetValueChecks();
}
