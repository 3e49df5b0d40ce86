// Nearley postprocessors: turn rule matches into AST nodes with source spans. They never throw;
// every error is detected either by the tokenizer pass or by the checker, because a postprocessor
// can run for a partial parse that is later abandoned.
import type * as A from './ast.js';
import type { Token } from './lexer.js';

/** Tokens leave the tokenizer pass with their literal value decoded (strings, numbers). */
export type LexToken = Token & { decoded?: string | bigint | number };

type Piece = LexToken | { span: A.Span } | Piece[] | null;

function startOf(x: Piece): number {
  if (Array.isArray(x)) return startOf(x[0]);
  if (x && 'span' in x) return x.span.start;
  return (x as LexToken).offset;
}
function endOf(x: Piece): number {
  if (Array.isArray(x)) return endOf(x[x.length - 1]);
  if (x && 'span' in x) return x.span.end;
  const t = x as LexToken;
  return t.offset + t.text.length;
}
function span(first: Piece, last: Piece): A.Span {
  return { start: startOf(first), end: endOf(last) };
}
function tokenSpan(t: LexToken): A.Span {
  return { start: t.offset, end: t.offset + t.text.length };
}
/** The last non-null piece of a match (optional trailing parts may be null). */
function lastPiece(d: Piece[]): Piece {
  for (let i = d.length - 1; i >= 0; i--) {
    const p = d[i];
    if (p !== null && !(Array.isArray(p) && p.length === 0)) return p;
  }
  return d[0];
}

export const nth = (n: number) => (d: unknown[]) => d[n];
export const list1 = (d: unknown[]) => [d[0]];
export const listAppend = (d: unknown[]) => [...(d[0] as unknown[]), d[2]];
export const pathAppend = listAppend;

// ── queries ──

export function statement(d: [A.Query, A.Pipe[]]): A.Query {
  const [query, pipes] = d;
  if (pipes.length === 0) return query;
  return { ...query, pipes, span: { start: query.span.start, end: pipes[pipes.length - 1].span.end } };
}

export function eventFilter(d: [LexToken, LexToken, A.Expr]): A.EventFilter {
  const [cat, , where] = d;
  let category: string | null;
  if (cat.type === 'kw_any') category = null;
  else if (cat.type === 'identifier') category = cat.text;
  else if (cat.type === 'backquoted') category = cat.text.slice(1, -1).replace(/``/g, '`');
  else category = cat.decoded as string;
  return { kind: 'filter', category, categorySpan: tokenSpan(cat), where, span: span(cat, where) };
}

export function eventQuery(d: [A.EventFilter]): A.EventQuery {
  return { kind: 'event', filter: d[0], pipes: [], span: d[0].span };
}

type Header = { by: A.Expr[]; bySpan?: A.Span; maxspan?: A.MaxSpan };

export function seqHeaderByFirst(d: [{ keys: A.Expr[]; span: A.Span }, A.MaxSpan | null]): Header {
  return { by: d[0].keys, bySpan: d[0].span, maxspan: d[1] ?? undefined };
}
export function seqHeaderSpanFirst(d: [A.MaxSpan, { keys: A.Expr[]; span: A.Span } | null]): Header {
  return { by: d[1]?.keys ?? [], bySpan: d[1]?.span, maxspan: d[0] };
}

const UNIT_MILLIS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function maxspan(d: [LexToken, LexToken, LexToken, LexToken, LexToken | null]): A.MaxSpan {
  const [withTok, , , num, unit] = d;
  const value = Number(num.decoded);
  const unitText = unit?.text ?? '';
  // Unknown units get NaN millis; the checker reports them with the unit's span.
  const per = unitText === '' ? 1000 : UNIT_MILLIS[unitText];
  return { value, unit: unitText, millis: per === undefined ? Number.NaN : value * per, span: span(withTok, unit ?? num) };
}

export function joinKeys(d: [LexToken, A.Expr[]]): { keys: A.Expr[]; span: A.Span } {
  return { keys: d[1], span: span(d[0], d[1]) };
}

export function runs(d: [LexToken, LexToken, LexToken, LexToken]): { name: string; value: number; span: A.Span; nameSpan: A.Span } {
  return { name: d[1].text, value: Number(d[3].decoded), span: span(d[0], d[3]), nameSpan: tokenSpan(d[1]) };
}

type RunsPiece = ReturnType<typeof runs>;

/** `as NAME` after a step; any other pair of words is not this rule (nearley's reject). */
export function stepAlias(d: [LexToken, LexToken], _location: number, reject: unknown): { name: string; span: A.Span } | unknown {
  if (d[0].text !== 'as') return reject;
  return { name: d[1].text, span: span(d[0], d[1]) };
}

/** Steps are built for both `[…]` and `![…]`. A `with X=N` other than runs is kept for the checker. */
export const step = (missing: boolean) =>
  (d: [LexToken, A.EventFilter, LexToken, { keys: A.Expr[]; span: A.Span } | null, RunsPiece | null, { name: string; span: A.Span } | null]): A.SequenceStep & { badParam?: RunsPiece } => {
    const [open, filter, , keys, runsPiece, alias] = d;
    const node: A.SequenceStep & { badParam?: RunsPiece } = {
      filter,
      by: keys?.keys ?? [],
      missing,
      span: span(open, lastPiece(d as unknown as Piece[])),
      ...(alias && { alias }),
    };
    if (runsPiece) {
      if (runsPiece.name === 'runs') node.runs = { value: runsPiece.value, span: runsPiece.span };
      else node.badParam = runsPiece;
    }
    return node;
  };

export function sequence(d: [LexToken, Header | null, A.SequenceStep[], A.SequenceStep | null]): A.SequenceQuery {
  const [kw, header, steps, until] = d;
  return {
    kind: 'sequence',
    by: header?.by ?? [],
    bySpan: header?.bySpan,
    maxspan: header?.maxspan,
    steps,
    until: until ?? undefined,
    pipes: [],
    span: span(kw, until ?? steps),
  };
}

export function sample(d: [LexToken, { keys: A.Expr[]; span: A.Span } | null, A.SequenceStep[]]): A.SampleQuery {
  const [kw, keys, steps] = d;
  return { kind: 'sample', by: keys?.keys ?? [], bySpan: keys?.span, steps, pipes: [], span: span(kw, steps) };
}

export function join(d: [LexToken, { keys: A.Expr[]; span: A.Span } | null, A.SequenceStep[], A.SequenceStep | null]): A.JoinQuery {
  const [kw, keys, steps, until] = d;
  return { kind: 'join', by: keys?.keys ?? [], steps, until: until ?? undefined, pipes: [], span: span(kw, until ?? steps) };
}

export function pipe(d: [LexToken, LexToken, A.Expr[] | null]): A.Pipe {
  const [bar, name, args] = d;
  return { name: name.text, args: args ?? [], span: span(bar, args ?? name), nameSpan: tokenSpan(name) };
}

// ── expressions ──

export const logical = (op: 'and' | 'or') => (d: [A.Expr, LexToken, A.Expr]): A.LogicalExpr => {
  const [left, , right] = d;
  // Flatten chains of the same operator (and/or are associative); copy, never mutate: Earley may
  // reuse `left` in several partial parses.
  const operands = left.kind === 'logical' && left.op === op && !isParenthesised(left) ? [...left.operands, right] : [left, right];
  return { kind: 'logical', op, operands, span: span(left, right) };
};

// Parenthesised nodes are marked so `(a or b) or c` still renders with its parentheses only where
// meaning requires; for and/or flattening they are equivalent, but we keep the user's grouping.
const PAREN = Symbol('parenthesised');
export function isParenthesised(e: A.Expr): boolean {
  return (e as unknown as Record<symbol, boolean>)[PAREN] === true;
}

export function paren(d: [LexToken, A.Expr, LexToken]): A.Expr {
  // Widen the span to include the parentheses, and mark the node as grouped.
  const inner = { ...d[1], span: span(d[0], d[2]) };
  Object.defineProperty(inner, PAREN, { value: true, enumerable: false });
  return inner;
}

export function not(d: [LexToken, A.Expr]): A.NotExpr {
  return { kind: 'not', operand: d[1], span: span(d[0], d[1]) };
}

export function compare(d: [A.Expr, LexToken, A.Expr]): A.CompareExpr {
  return { kind: 'compare', op: d[1].text as A.CompareOp, left: d[0], right: d[2], span: span(d[0], d[2]) };
}

export function arith(d: [A.Expr, LexToken, A.Expr]): A.ArithExpr {
  return { kind: 'arith', op: d[1].text as A.ArithOp, left: d[0], right: d[2], span: span(d[0], d[2]) };
}

export function negate(d: [LexToken, A.Expr]): A.Expr {
  const [minus, operand] = d;
  // Fold a minus into a number literal so -9223372036854775808 stays a valid long.
  if (operand.kind === 'literal' && !isParenthesised(operand) && (operand.type === 'long' || operand.type === 'double')) {
    const value = operand.type === 'long' ? -(operand.value as bigint) : -(operand.value as number);
    return { kind: 'literal', type: operand.type, value, span: span(minus, operand) };
  }
  return { kind: 'neg', operand, span: span(minus, operand) };
}

export function plus(d: [LexToken, A.Expr]): A.Expr {
  return { ...d[1], span: span(d[0], d[1]) };
}

export const inExpr = (negated: boolean) => (d: unknown[]): A.InExpr => {
  const expr = d[0] as A.Expr;
  const op = d[negated ? 2 : 1] as LexToken;
  const values = d[negated ? 4 : 3] as A.Expr[];
  const close = d[negated ? 5 : 4] as LexToken;
  return { kind: 'in', expr, values, negated, insensitive: op.type === 'kw_in_i', span: span(expr, close) };
};

export const matchExpr = (list: boolean) => (d: unknown[]): A.MatchExpr => {
  const expr = d[0] as A.Expr;
  const op = d[1] as LexToken;
  const patterns = list ? (d[3] as A.Expr[]) : [d[2] as A.Expr];
  const last = (list ? d[4] : d[2]) as Piece;
  const name = op.text.replace('~', '') as ':' | 'like' | 'regex';
  // `:` is always case-insensitive in the ES dialect.
  const insensitive = op.text.endsWith('~') || name === ':';
  return { kind: 'match', op: name, insensitive, negated: false, expr, patterns, list, span: span(expr, last) };
};

export function call(d: [LexToken, LexToken, A.Expr[] | null, LexToken]): A.CallExpr {
  const [name, , args, close] = d;
  const insensitive = name.text.endsWith('~');
  return {
    kind: 'call',
    name: insensitive ? name.text.slice(0, -1) : name.text,
    insensitive,
    args: args ?? [],
    span: span(name, close),
    nameSpan: tokenSpan(name),
  };
}

export const field = (optional: boolean) => (d: unknown[]): A.FieldExpr => {
  const segments = (optional ? d[1] : d[0]) as LexToken[];
  const path = segments.map((t) => (t.type === 'backquoted' ? t.text.slice(1, -1).replace(/``/g, '`') : t.text));
  const first = optional ? (d[0] as LexToken) : segments[0];
  return { kind: 'field', path, optional, span: span(first, segments) };
};

// ── literals ──

export function stringLiteral(d: [LexToken]): A.LiteralExpr {
  return { kind: 'literal', type: 'string', value: d[0].decoded as string, span: tokenSpan(d[0]) };
}
export const rawStringLiteral = stringLiteral;

export function numberLiteral(d: [LexToken]): A.LiteralExpr {
  const v = d[0].decoded;
  return { kind: 'literal', type: typeof v === 'bigint' ? 'long' : 'double', value: v as bigint | number, span: tokenSpan(d[0]) };
}

export function boolLiteral(d: [LexToken]): A.LiteralExpr {
  return { kind: 'literal', type: 'boolean', value: d[0].type === 'kw_true', span: tokenSpan(d[0]) };
}

export function nullLiteral(d: [LexToken]): A.LiteralExpr {
  return { kind: 'literal', type: 'null', value: null, span: tokenSpan(d[0]) };
}

const LINEAGE_RELATIONS = new Set(['descendant', 'child', 'event']);

/** `descendant of [filter]` and its kin; another word before `of` is not this rule (reject). */
export function lineage(d: [LexToken, LexToken, LexToken, A.EventFilter, LexToken], _location: number, reject: unknown): A.LineageExpr | unknown {
  const relation = d[0].text;
  if (!LINEAGE_RELATIONS.has(relation)) return reject;
  return { kind: 'lineage', relation: relation as A.LineageExpr['relation'], filter: d[3], span: span(d[0], d[4]) };
}
