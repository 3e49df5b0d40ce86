// EQL abstract syntax tree. Produced by parser.ts, rendered back to canonical EQL by render.ts,
// checked and typed by checker.ts. Every node carries the source span it was parsed from so errors
// can point at it. Nodes are plain objects (JSON-serialisable except bigint literals).
import type { Span } from '../errors.js';

export type { Span };

// ───────────────────────────── expressions ─────────────────────────────

export type Expr =
  | LiteralExpr
  | FieldExpr
  | NotExpr
  | NegateExpr
  | LogicalExpr
  | CompareExpr
  | ArithExpr
  | InExpr
  | MatchExpr
  | CallExpr
  | LineageExpr;

/**
 * A constant. Integer literals are `long` with a bigint value (64-bit exact, also beyond 2^53);
 * literals with a fraction or exponent are `double`.
 */
export interface LiteralExpr {
  kind: 'literal';
  type: 'string' | 'long' | 'double' | 'boolean' | 'null';
  value: string | bigint | number | boolean | null;
  span: Span;
}

/** A field reference such as `process.parent.name`, `?user.id` or `` `my field`.x ``. */
export interface FieldExpr {
  kind: 'field';
  /** Path segments as written (back-quotes removed). */
  path: string[];
  /** `?field`: a field unknown to the schema is allowed and evaluates to null. */
  optional: boolean;
  span: Span;
}

export interface NotExpr {
  kind: 'not';
  operand: Expr;
  span: Span;
}

/** Unary minus on a non-literal (a minus on a number literal is folded into the literal). */
export interface NegateExpr {
  kind: 'neg';
  operand: Expr;
  span: Span;
}

/** `a and b and c` / `a or b`: n-ary so long chains do not make deep trees. */
export interface LogicalExpr {
  kind: 'logical';
  op: 'and' | 'or';
  operands: Expr[];
  span: Span;
}

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export interface CompareExpr {
  kind: 'compare';
  op: CompareOp;
  left: Expr;
  right: Expr;
  span: Span;
}

export type ArithOp = '+' | '-' | '*' | '/' | '%';

export interface ArithExpr {
  kind: 'arith';
  op: ArithOp;
  left: Expr;
  right: Expr;
  span: Span;
}

/** `x in (a, b)`, `x not in (…)`, `x in~ (…)`. */
export interface InExpr {
  kind: 'in';
  expr: Expr;
  values: Expr[];
  negated: boolean;
  insensitive: boolean;
  span: Span;
}

/**
 * `x : "a*"`, `x : ("a", "b")`, `x like~ "…"`, `x regex "…"`, optionally prefixed `not`
 * (`x not like "…"`). `:` is wildcard matching, case-insensitive, in the ES dialect.
 */
export interface MatchExpr {
  kind: 'match';
  op: ':' | 'like' | 'regex';
  insensitive: boolean;
  negated: boolean;
  expr: Expr;
  patterns: Expr[];
  /** True when the patterns were written as a parenthesised list. */
  list: boolean;
  span: Span;
}

/** `startsWith~(process.name, "ba")`. `name` is as written; the checker resolves it case-insensitively. */
export interface CallExpr {
  kind: 'call';
  name: string;
  insensitive: boolean;
  args: Expr[];
  span: Span;
  /** Span of the function name (for "unknown function" errors). */
  nameSpan: Span;
}

/**
 * Elastic Endpoint's lineage: true when an ancestor (`descendant of`), the parent (`child of`) or
 * the event's own process (`event of`) matched the filter when it started.
 */
export interface LineageExpr {
  kind: 'lineage';
  relation: 'descendant' | 'child' | 'event';
  filter: EventFilter;
  span: Span;
}

// ───────────────────────────── queries ─────────────────────────────

/** `process where …` / `any where …` / `"my category" where …`. */
export interface EventFilter {
  kind: 'filter';
  /** Event category, or null for `any`. */
  category: string | null;
  categorySpan: Span;
  where: Expr;
  span: Span;
}

export interface SequenceStep {
  filter: EventFilter;
  /** Per-step join keys (`[…] by a, b`). */
  by: Expr[];
  /** `with runs=N`. */
  runs?: { value: number; span: Span };
  /** `![…]`: a missing event. */
  missing: boolean;
  /** `[…] as event0` (Elastic Endpoint): later steps read this step's event as `event0.field`. */
  alias?: { name: string; span: Span };
  span: Span;
}

export interface MaxSpan {
  value: number;
  /** Unit as written: ms, s, m, h, d (or none, meaning seconds in ES). */
  unit: string;
  /** The span in milliseconds (the checker validates the unit). */
  millis: number;
  span: Span;
}

export interface EventQuery {
  kind: 'event';
  filter: EventFilter;
  pipes: Pipe[];
  span: Span;
}

export interface SequenceQuery {
  kind: 'sequence';
  /** Shared join keys (`sequence by a, b`). */
  by: Expr[];
  bySpan?: Span;
  maxspan?: MaxSpan;
  steps: SequenceStep[];
  until?: SequenceStep;
  pipes: Pipe[];
  span: Span;
}

export interface SampleQuery {
  kind: 'sample';
  by: Expr[];
  bySpan?: Span;
  steps: SequenceStep[];
  pipes: Pipe[];
  span: Span;
}

/** Endgame `join` (parsed so the ES dialect can reject it with a clear message). */
export interface JoinQuery {
  kind: 'join';
  by: Expr[];
  steps: SequenceStep[];
  until?: SequenceStep;
  pipes: Pipe[];
  span: Span;
}

/** `| head 5`, `| tail 3`; other names are parsed and rejected by the checker. */
export interface Pipe {
  name: string;
  args: Expr[];
  span: Span;
  nameSpan: Span;
}

export type Query = EventQuery | SequenceQuery | SampleQuery | JoinQuery;
