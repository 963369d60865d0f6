# One logical line of a shell script (backslash-newline continuations already joined), split into simple
# commands. src/parse/script.ts then picks the commands that run iptables/ip6tables and reads them with the
# same command reader as restore files.
#
# Imports below are copied verbatim into src/generated/script.ts, so paths are relative to that file.
@preprocessor typescript
@{%
import { shellLexer as lexer } from "../../grammar/lexer.js";
import * as S from "../parse/script-nodes.js";
%}
@lexer lexer

main     -> %ws:? (list %ws:?):? %comment:?           {% S.main %}
list     -> command (sep command):* (%ws:? %op):?     {% S.list %}
sep      -> %ws:? %op %ws:?                           {% S.none %}
command  -> element (%ws:? element):*                 {% S.command %}
element  -> %word                                     {% S.first %}
          | %redirect                                 {% S.first %}
          | %paren                                    {% S.first %}
          | %unterminated                             {% S.first %}
