# One line of an iptables-save / iptables-restore file or of `iptables -S` output.
#
# The grammar classifies the line's shape; src/parse/line-nodes.ts turns the tokens into typed nodes and
# src/parse/rule-reader.ts reads a command's option list with the extension catalog ("parse a permissive
# superset, then narrow it in TypeScript"). Every postprocessor is one reference to a builder in line-nodes.
#
# Imports below are copied verbatim into src/generated/iptables.ts, so paths are relative to that file.
@preprocessor typescript
@{%
import { ruleLexer as lexer } from "../../grammar/lexer.js";
import * as L from "../parse/line-nodes.js";
%}
@lexer lexer

main      -> %ws:?                                   {% L.blank %}
           | %ws:? line %ws:?                        {% L.second %}

line      -> %comment                                {% L.comment %}
           | %star %ws:? %word                       {% L.table %}
           | %colon chainName (%ws declArg):*        {% L.chainDecl %}
           | %commit                                 {% L.commit %}
           | (%counters %ws):? %option (%ws arg):*   {% L.command %}

# the legacy backend's iptables-restore takes a name that starts with "-" (invalid-chain-name reports it)
chainName -> %word | %option
declArg   -> %word | %counters | %option | %bang | %commit | %unterminated
arg       -> %option | %word | %bang | %counters | %commit | %unterminated
