/**
 * moo lexers for the line grammars in this folder.
 *
 * `ruleLexer` tokenizes ONE line of an iptables-save / iptables-restore / `iptables -S` file. Quoting follows
 * iptables-restore: a word may contain one double-quoted segment, in which backslash escapes the next
 * character; the closing quote ends the word. Single quotes have no meaning to iptables-restore.
 *
 * `shellLexer` tokenizes one logical line of a shell script (continuations already joined) well enough to
 * find `iptables …` commands: words with '…', "…", $VAR, $(…), `…`, and the operators that separate commands.
 */
import moo from "moo";

const WS = /[ \t\r\f\v]+/;
// Words end at ASCII white space only, as in iptables-restore (and the shell): a no-break space or another
// Unicode space is part of the word (src/parse/odd-space.ts reports it where iptables would misread the word).
/** A word: unquoted run, or unquoted prefix plus one double-quoted segment. */
const WORD = /[^\t\n\v\f\r "]*"(?:[^"\\]|\\[^])*"|[^\t\n\v\f\r "]+/;
/** A double quote that is never closed on this line. */
const UNTERMINATED = /[^\t\n\v\f\r "]*"(?:[^"\\]|\\[^])*/;
/** `-x` or `--long-name`, optionally `=value` (getopt style); not a negative number. */
const OPTION = /(?:--?[A-Za-z][A-Za-z0-9_-]*(?:=(?:[^\t\n\v\f\r "]*"(?:[^"\\]|\\[^])*"|[^\t\n\v\f\r "]*))?|-[46])(?=[\t\n\v\f\r ]|$)/;
const COUNTERS = /\[\d+:\d+\](?=[\t\n\v\f\r ]|$)/;
const BANG = /!(?=[\t\n\v\f\r ]|$)/;

const body = {
  ws: WS,
  counters: COUNTERS,
  bang: BANG,
  option: OPTION,
  word: { match: WORD, type: moo.keywords({ commit: "COMMIT" }) },
  unterminated: UNTERMINATED,
  invalid: moo.error,
};

export const ruleLexer = moo.states({
  start: {
    ws: WS,
    comment: /#.*/,
    star: { match: /\*/, next: "main" },
    colon: { match: /:/, next: "main" },
    counters: { match: COUNTERS, next: "main" },
    bang: { match: BANG, next: "main" },
    option: { match: OPTION, next: "main" },
    word: { match: WORD, type: moo.keywords({ commit: "COMMIT" }), next: "main" },
    unterminated: { match: UNTERMINATED, next: "main" },
    invalid: moo.error,
  },
  main: body,
});

/** Token types the rule grammar uses (moo token.type values). */
export type RuleTokenType = "ws" | "comment" | "star" | "colon" | "counters" | "bang" | "option" | "word" | "commit" | "unterminated" | "invalid";

// ---- shell ----

const SQ = "'[^']*'";
const DQ = '"(?:[^"\\\\]|\\\\[^])*"';
const SUBST = "\\$\\((?:[^()'\"]|'[^']*'|\"(?:[^\"\\\\]|\\\\[^])*\"|\\([^()]*\\))*\\)";
const BACKTICK = "`(?:[^`\\\\]|\\\\[^])*`";
const VAR = "\\$(?:\\{[^}]*\\}|[A-Za-z_][A-Za-z0-9_]*|[0-9#?@*$!-])";
const PLAIN = "(?:\\\\[^]|[^\\t\\n\\v\\f\\r '\"`$;&|<>()\\\\#])";
const HASH_IN_WORD = "#"; // '#' only starts a comment at the start of a word
const SHELL_WORD = new RegExp(`(?:${SQ}|${DQ}|${SUBST}|${BACKTICK}|${VAR}|\\$|${PLAIN})(?:${SQ}|${DQ}|${SUBST}|${BACKTICK}|${VAR}|\\$|${PLAIN}|${HASH_IN_WORD})*`);

export const shellLexer = moo.compile({
  ws: WS,
  comment: /#.*/,
  op: /&&|\|\||;;|[;&|]/,
  redirect: /[0-9]*(?:>>|>&|<<-?|<<<|<&|&>|[<>])(?:[ \t]*[^\t\n\v\f\r ;&|<>()]+)?/,
  paren: /[()]/,
  word: SHELL_WORD,
  unterminated: /['"`][^]*/,
  invalid: moo.error,
});

export type ShellTokenType = "ws" | "comment" | "op" | "redirect" | "paren" | "word" | "unterminated" | "invalid";
