/** Postprocessors of grammar/script.ne: a logical shell line → simple commands, each a list of tokens. */
export interface ShellToken {
  readonly type: string;
  readonly value: string;
  /** 0-based offset in the logical line. */
  readonly offset: number;
}
export type SimpleCommand = ShellToken[];

type D = unknown[];
const isToken = (x: unknown): x is ShellToken => typeof x === "object" && x !== null && "type" in x && "value" in x;

export const none = (): null => null;
export const first = (d: D): ShellToken => d[0] as ShellToken;
/** element (ws element)* → the elements, whitespace dropped. */
export const command = (d: D): SimpleCommand => [d[0] as ShellToken, ...(d[1] as D[]).map((pair) => pair[1] as ShellToken)];
/** command (sep command)* (op)? → the commands. */
export const list = (d: D): SimpleCommand[] => [d[0] as SimpleCommand, ...(d[1] as D[]).map((pair) => pair[1] as SimpleCommand)];
/** ws? (list ws?)? comment? → the commands of the line (none for blank and comment-only lines). */
export const main = (d: D): SimpleCommand[] => {
  const group = d[1] as D | null;
  return group ? (group[0] as SimpleCommand[]) : [];
};
export const _isToken = isToken;
