/** Table blocks of an iptables-restore file, for tests that write small rulesets by hand. */

/** A filter table: INPUT's and OUTPUT's policies (FORWARD DROP) and the lines given. */
export const filter = (input: string, output: string, lines: readonly string[]): string[] => ["*filter", `:INPUT ${input} [0:0]`, ":FORWARD DROP [0:0]", `:OUTPUT ${output} [0:0]`, ...lines, "COMMIT"];
/** A raw table with the lines given. */
export const raw = (lines: readonly string[]): string[] => ["*raw", ":PREROUTING ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ...lines, "COMMIT"];
/** A mangle table with the lines given. */
export const mangle = (lines: readonly string[]): string[] => ["*mangle", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]", ...lines, "COMMIT"];
/** The file of the blocks given. */
export const text = (...blocks: string[][]): string => `${blocks.flat().join("\n")}\n`;
