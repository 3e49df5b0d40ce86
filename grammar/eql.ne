# EQL grammar, Elasticsearch dialect (plus Endgame `join` and pipes, parsed so the checker can
# reject them with a clear message). Compiled by nearleyc into src/shared/eql/generated/eql.ts at
# build time. Tokens come from src/shared/eql/lexer.ts (already filtered of whitespace/comments).
#
# The grammar must stay unambiguous: parser.ts treats more than one parse as an internal error.
# Precedence, lowest first: or < and < not < comparison < in/:/like/regex < + - < * / % < unary.

@preprocessor typescript

@{%
import { grammarLexer } from '../grammar-lexer.js';
import * as B from '../build.js';
%}

@lexer grammarLexer

main -> query pipe:*                                      {% B.statement %}

query -> eventQuery                                       {% id %}
       | sequence                                         {% id %}
       | sample                                           {% id %}
       | join                                             {% id %}

eventQuery -> eventFilter                                 {% B.eventQuery %}

eventFilter -> category %kw_where expr                    {% B.eventFilter %}

category -> %kw_any                                       {% id %}
          | %identifier                                   {% id %}
          | %string                                       {% id %}
          | %rawString                                    {% id %}
          | %backquoted                                   {% id %}

# ── sequences ──
sequence -> %kw_sequence seqHeader:? seqStep:+ untilClause:?        {% B.sequence %}

seqHeader -> joinKeys maxspan:?                           {% B.seqHeaderByFirst %}
           | maxspan joinKeys:?                           {% B.seqHeaderSpanFirst %}

maxspan -> %kw_with %kw_maxspan "=" %number %identifier:? {% B.maxspan %}

seqStep -> "[" eventFilter "]" joinKeys:? runs:? stepAlias:?          {% B.step(false) %}
         | "![" eventFilter "]" joinKeys:? runs:? stepAlias:?         {% B.step(true) %}

# Elastic Endpoint's named steps: `[…] as event0` (the checker allows them in that dialect only).
# `as` is not a keyword (it stays a field name elsewhere), so the builder rejects any other word.
stepAlias -> %identifier %identifier                      {% B.stepAlias %}

runs -> %kw_with %identifier "=" %number                  {% B.runs %}

untilClause -> %kw_until seqStep                          {% B.nth(1) %}

joinKeys -> %kw_by exprList                               {% B.joinKeys %}

# ── samples and joins ──
sample -> %kw_sample joinKeys:? seqStep:+                 {% B.sample %}

join -> %kw_join joinKeys:? seqStep:+ untilClause:?       {% B.join %}

# ── pipes ──
pipe -> "|" %identifier pipeArgs:?                        {% B.pipe %}

pipeArgs -> exprList                                      {% id %}

# ── expressions ──
exprList -> expr                                          {% B.list1 %}
          | exprList "," expr                             {% B.listAppend %}

expr -> orExpr                                            {% id %}

orExpr -> orExpr %kw_or andExpr                           {% B.logical('or') %}
        | andExpr                                         {% id %}

andExpr -> andExpr %kw_and notExpr                        {% B.logical('and') %}
         | notExpr                                        {% id %}

notExpr -> %kw_not notExpr                                {% B.not %}
         | compareExpr                                    {% id %}

compareExpr -> addExpr compareOp addExpr                  {% B.compare %}
             | addExpr                                    {% id %}

compareOp -> "=="                                         {% id %}
           | "!="                                         {% id %}
           | "<"                                          {% id %}
           | "<="                                         {% id %}
           | ">"                                          {% id %}
           | ">="                                         {% id %}

addExpr -> addExpr "+" mulExpr                            {% B.arith %}
         | addExpr "-" mulExpr                            {% B.arith %}
         | mulExpr                                        {% id %}

mulExpr -> mulExpr "*" unaryExpr                          {% B.arith %}
         | mulExpr "/" unaryExpr                          {% B.arith %}
         | mulExpr "%" unaryExpr                          {% B.arith %}
         | unaryExpr                                      {% id %}

unaryExpr -> "-" unaryExpr                                {% B.negate %}
           | "+" unaryExpr                                {% B.plus %}
           | predicateExpr                                {% id %}

predicateExpr -> primary                                  {% id %}
               | primary inOp "(" exprList ")"            {% B.inExpr(false) %}
               | primary %kw_not inOp "(" exprList ")"    {% B.inExpr(true) %}
               | primary matchOp matchOperand             {% B.matchExpr(false) %}
               | primary matchOp "(" exprList ")"         {% B.matchExpr(true) %}

inOp -> %kw_in                                            {% id %}
      | %kw_in_i                                          {% id %}

matchOp -> ":"                                            {% id %}
         | %kw_like                                       {% id %}
         | %kw_like_i                                     {% id %}
         | %kw_regex                                      {% id %}
         | %kw_regex_i                                    {% id %}

# A single match operand is any primary except a parenthesised one, so `x : ("a")` is only a list.
matchOperand -> literal                                   {% id %}
              | field                                     {% id %}
              | call                                      {% id %}

primary -> literal                                        {% id %}
         | field                                          {% id %}
         | call                                           {% id %}
         | lineage                                        {% id %}
         | "(" expr ")"                                   {% B.paren %}

# Elastic Endpoint's lineage: `descendant of [process where …]`, `child of […]`, `event of […]`.
# The relation is a plain word (`event` stays a field name elsewhere); the builder rejects others.
lineage -> %identifier %kw_of "[" eventFilter "]"         {% B.lineage %}

call -> %identifier "(" exprList:? ")"                    {% B.call %}

field -> fieldPath                                        {% B.field(false) %}
       | "?" fieldPath                                    {% B.field(true) %}

fieldPath -> fieldName                                    {% B.list1 %}
           | fieldPath "." fieldSegment                   {% B.pathAppend %}

fieldName -> %identifier                                  {% id %}
           | %backquoted                                  {% id %}

# After a dot, keywords are plain names (event.sequence, process.parent.any …).
fieldSegment -> fieldName                                 {% id %}
              | keyword                                   {% id %}

keyword -> %kw_and {% id %} | %kw_or {% id %} | %kw_not {% id %} | %kw_in {% id %} | %kw_like {% id %}
         | %kw_regex {% id %} | %kw_where {% id %} | %kw_sequence {% id %} | %kw_sample {% id %}
         | %kw_join {% id %} | %kw_until {% id %} | %kw_by {% id %} | %kw_with {% id %}
         | %kw_maxspan {% id %} | %kw_any {% id %} | %kw_of {% id %} | %kw_true {% id %}
         | %kw_false {% id %} | %kw_null {% id %}

literal -> %string                                        {% B.stringLiteral %}
         | %rawString                                     {% B.rawStringLiteral %}
         | %number                                        {% B.numberLiteral %}
         | %kw_true                                       {% B.boolLiteral %}
         | %kw_false                                      {% B.boolLiteral %}
         | %kw_null                                       {% B.nullLiteral %}
