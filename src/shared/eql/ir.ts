// The typed IR the checker produces and every back end consumes (interp.ts / compile.ts, later
// the Wasm code generator). It is the AST after name resolution, typing and constant folding:
// fields are resolved through the schema (aliases to their target), function calls are bound to
// their declaration, constant subtrees are folded into `const` nodes, patterns are validated.
import type { Span } from '../errors.js';
import type { FieldDef } from '../schema/types.js';
import type { Value } from './values.js';
import type { FunctionDecl } from './functions.js';
import type { ArithOp, CompareOp } from './ast.js';

/**
 * Static types. `number` is "long or double, decided at run time" (e.g. `number("…")`); `any` is
 * a field a non-strict schema does not know: no static checks, dynamic behaviour at run time.
 */
export type ExprType = 'string' | 'long' | 'double' | 'number' | 'boolean' | 'null' | 'ip' | 'version' | 'date' | 'object' | 'any';

/** How two operands are compared: as plain values, or as IP addresses / versions / instants. */
export type CompareMode = 'value' | 'ip' | 'version' | 'date';

interface Typed {
  type: ExprType;
  span: Span;
}

export interface ConstNode extends Typed {
  kind: 'const';
  value: Value;
}

export interface FieldNode extends Typed {
  kind: 'field';
  /** Resolved dotted path (an alias is replaced by its target). */
  path: string;
  /** `path` split into the segments the field accessor walks. */
  segments: string[];
  /** The path as written, for messages. */
  written: string;
  optional: boolean;
  /** Schema entry; undefined when a non-strict schema does not know the field. */
  def?: FieldDef;
  /**
   * A cross-step reference (`event0.file.path`, Elastic Endpoint): read from the event an earlier
   * step of the partial matched — its index among the partial's events — not from this event.
   */
  step?: number;
}

/**
 * `not x`. Plain `not` is three-valued (not null is null). With `mustNot` it is Elasticsearch's
 * `bool.must_not`: true whenever the operand is not true, so an event that lacks the field matches.
 * es-semantics.ts sets it exactly where Elasticsearch runs the negation as a query rather than a
 * script (and rewrites `!=`, `not in`, `not like` … into it).
 */
export interface NotNode extends Typed {
  kind: 'not';
  operand: TExpr;
  mustNot?: boolean;
}

export interface NegNode extends Typed {
  kind: 'neg';
  operand: TExpr;
}

export interface LogicalNode extends Typed {
  kind: 'logical';
  op: 'and' | 'or';
  operands: TExpr[];
}

export interface CompareNode extends Typed {
  kind: 'compare';
  op: CompareOp;
  left: TExpr;
  right: TExpr;
  mode: CompareMode;
}

/**
 * `x == null` / `x != null`. ES rewrites a comparison with the null literal into an IS NULL /
 * IS NOT NULL test, so unlike other comparisons it is never null itself: it is how EQL asks
 * whether a field has a value.
 */
export interface IsNullNode extends Typed {
  kind: 'isnull';
  operand: TExpr;
  /** `!= null`: IS NOT NULL. */
  negated: boolean;
}

export interface ArithNode extends Typed {
  kind: 'arith';
  op: ArithOp;
  left: TExpr;
  right: TExpr;
}

/** `x in (…)` with the list folded to constants. A null in the list makes a non-match null (SQL). */
export interface InNode extends Typed {
  kind: 'in';
  expr: TExpr;
  values: Value[];
  negated: boolean;
  insensitive: boolean;
  mode: CompareMode;
}

/** `x : …`, `like`, `regex` (± `~`): patterns are validated string constants. */
export interface MatchNode extends Typed {
  kind: 'match';
  op: ':' | 'like' | 'regex';
  insensitive: boolean;
  negated: boolean;
  expr: TExpr;
  patterns: string[];
}

export interface CallNode extends Typed {
  kind: 'call';
  fn: FunctionDecl;
  insensitive: boolean;
  args: TExpr[];
}

export type TExpr = ConstNode | FieldNode | NotNode | NegNode | LogicalNode | CompareNode | IsNullNode | ArithNode | InNode | MatchNode | CallNode | LineageNode;

/**
 * `descendant of [filter]` / `child of` / `event of` (Elastic Endpoint). A leaf for every pass over
 * expressions: what it asks is answered by the lineage tracker (pipeline/lineage.ts), which sees
 * every process start in order; the filter is what the tracker evaluates at each start.
 */
export interface LineageNode extends Typed {
  kind: 'lineage';
  relation: 'descendant' | 'child' | 'event';
  filter: CheckedFilter;
}

// ───────────────────────────── queries ─────────────────────────────

export interface CheckedFilter {
  /** Required category, or null for `any`. */
  category: string | null;
  /** The category field (opts.categoryField resolved through the schema). */
  categoryField: FieldNode;
  /** The condition on this event alone: what the predicate stage (and every back end) evaluates. */
  where: TExpr;
  /**
   * The conjuncts that read an earlier step's event (cross-step references). Evaluated by the
   * sequence matcher when the event would extend a partial, with that partial's events.
   */
  cross?: TExpr;
  /**
   * Conjuncts that need more than the event yet nothing from a partial: lineage (`descendant of`).
   * Answered from the lineage tracker, in event order, before the event's step bits are final.
   */
  state?: TExpr;
  span: Span;
}

export interface CheckedStep {
  filter: CheckedFilter;
  /** Shared `sequence by` keys first, then the step's own keys. */
  keys: TExpr[];
  /** Per key: a null key value is allowed (`?field` keys). */
  keyNullable: boolean[];
  runs: number;
  missing: boolean;
  span: Span;
}

export interface CheckedPipe {
  name: 'head' | 'tail';
  count: number;
  span: Span;
}

export interface CheckedQuery {
  kind: 'event' | 'sequence' | 'sample';
  steps: CheckedStep[];
  until?: CheckedStep;
  maxspanMs?: number;
  pipes: CheckedPipe[];
  keyCount: number;
  span: Span;
}
