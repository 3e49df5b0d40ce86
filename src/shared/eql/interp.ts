// The reference interpreter: each IR node becomes a closure (ev) => Value, endgame style. It is
// the oracle other back ends are tested against, so it favours obvious correctness; constants
// (patterns, lists, CIDR blocks) are still prepared once, outside the per-event closures.
//
// Multi-valued fields follow ES: a comparison, `in`, match or function over an array is tried on
// every element and is true if any element gives true. `!=` and `not in` are the negation of
// `==` / `in`, so `args != "x"` is true only when no element equals "x".
import type { EventView } from '../engine/compiled.js';
import type { CallNode, CompareNode, InNode, LineageNode, MatchNode, TExpr } from './ir.js';
import { jsonFieldAccessor, type FieldAccessorFactory } from './field-access.js';
import { FunctionFault, integerArithmetic, type CallContext } from './functions.js';
import { comparatorFor, equalityFor } from './compare-ops.js';
import {
  ArithmeticFault, and3, anyPair, arithmetic, compareNumbers, isIntegral, isNumber, mapValues, negate, not3, or3, truthOf,
  type Tri, type Value,
} from './values.js';
import { compileWildcard, type StringMatcher } from './runtime/wildcard.js';
import { compileRegex } from './runtime/lucene-regex.js';
import { foldCase } from './runtime/casefold.js';

export type Evaluator = (ev: EventView) => Value;

export interface InterpOptions {
  accessor?: FieldAccessorFactory;
  /**
   * 'null' (run time): an arithmetic fault or a function refusing its argument gives null for
   * that event. 'throw' (constant folding): the fault propagates so the checker can report it.
   */
  faults?: 'null' | 'throw';
  /**
   * Where cross-step references (`event0.file.path`) read from: the matcher sets `events` to the
   * partial's events before it calls the evaluator. Needed only for a step's `cross` condition.
   */
  earlier?: EarlierEvents;
  /** Answers lineage expressions for the event being evaluated (pipeline/lineage.ts). */
  lineage?: LineageAnswers;
}

/** Whether the current event's process lineage satisfies a lineage expression. */
export interface LineageAnswers {
  answer(node: LineageNode): boolean;
}

/** The events a partial matched so far, as cross-step references read them (set per call). */
export interface EarlierEvents {
  events: readonly { view: EventView }[];
}

interface Ctx {
  accessor: FieldAccessorFactory;
  throwFaults: boolean;
  earlier?: EarlierEvents;
  lineage?: LineageAnswers;
}

export function compileExpr(node: TExpr, opts: InterpOptions = {}): Evaluator {
  return build(node, { accessor: opts.accessor ?? jsonFieldAccessor, throwFaults: opts.faults === 'throw', earlier: opts.earlier, lineage: opts.lineage });
}

/** A where-clause: keeps the event only when the condition is true (not null). */
export function compilePredicate(node: TExpr, opts: InterpOptions = {}): (ev: EventView) => boolean {
  const evaluate = compileExpr(node, opts);
  return (ev) => truthOf(evaluate(ev)) === true;
}

function build(node: TExpr, ctx: Ctx): Evaluator {
  switch (node.kind) {
    case 'const': {
      const value = node.value;
      return () => value;
    }
    case 'lineage': {
      const lineage = ctx.lineage;
      if (!lineage) throw new Error(`a lineage expression (${node.relation} of […]) outside the lineage stage`);
      return () => lineage.answer(node);
    }
    case 'field': {
      const read = ctx.accessor(node);
      const slot = node.step;
      if (slot !== undefined) {
        const earlier = ctx.earlier;
        if (!earlier) throw new Error(`a cross-step reference (${node.written}) outside a sequence step's cross condition`);
        return () => {
          const ref = earlier.events[slot];
          const v = ref ? read(ref.view) : undefined;
          return v === undefined || (Array.isArray(v) && v.length === 0) ? null : v;
        };
      }
      return (ev) => {
        const v = read(ev);
        return v === undefined || (Array.isArray(v) && v.length === 0) ? null : v;
      };
    }
    case 'not': {
      const operand = build(node.operand, ctx);
      // Elasticsearch's must_not: matches unless the operand is true (a missing field included).
      if (node.mustNot) return (ev) => truthOf(operand(ev)) !== true;
      return (ev) => not3(truthOf(operand(ev)));
    }
    case 'neg': {
      const operand = build(node.operand, ctx);
      const staticType = node.operand.type;
      return guard(ctx, (ev) =>
        mapValues(operand(ev), (v) =>
          isNumber(v) ? negate(v, staticType === 'long' || (staticType !== 'double' && isIntegral(v))) : null,
        ),
      );
    }
    case 'logical':
      return buildLogical(node.op, node.operands.map((o) => build(o, ctx)));
    case 'compare':
      return buildCompare(node, ctx);
    case 'isnull': {
      const operand = build(node.operand, ctx);
      const negated = node.negated;
      return (ev) => (operand(ev) === null) !== negated;
    }
    case 'arith': {
      const left = build(node.left, ctx);
      const right = build(node.right, ctx);
      const types = [node.left.type, node.right.type];
      const op = node.op;
      return guard(ctx, (ev) =>
        mapPairs(left(ev), right(ev), (a, b) => (isNumber(a) && isNumber(b) ? arithmetic(op, a, b, integerArithmetic(types, a, b)) : null)),
      );
    }
    case 'in':
      return buildIn(node, ctx);
    case 'match':
      return buildMatch(node, ctx);
    case 'call':
      return buildCall(node, ctx);
  }
}

function buildLogical(op: 'and' | 'or', operands: Evaluator[]): Evaluator {
  // Short-circuit on the deciding value; otherwise remember whether an unknown was seen.
  const decisive = op === 'or';
  const combine = op === 'and' ? and3 : or3;
  return (ev) => {
    let result: Tri = !decisive;
    for (const operand of operands) {
      const t = truthOf(operand(ev));
      if (t === decisive) return decisive;
      result = combine(result, t);
    }
    return result;
  };
}

function buildCompare(node: CompareNode, ctx: Ctx): Evaluator {
  const left = build(node.left, ctx);
  const right = build(node.right, ctx);
  if (node.op === '==' || node.op === '!=') {
    const equals = equalityFor(node.mode);
    if (node.op === '==') return (ev) => anyPair(left(ev), right(ev), equals);
    return (ev) => not3(anyPair(left(ev), right(ev), equals));
  }
  const compare = comparatorFor(node.mode);
  const holds = orderTest(node.op);
  const test = (x: Value, y: Value): Tri => {
    const c = compare(x, y);
    return c === null ? null : holds(c);
  };
  return (ev) => anyPair(left(ev), right(ev), test);
}

function orderTest(op: '<' | '<=' | '>' | '>='): (c: number) => boolean {
  switch (op) {
    case '<': return (c) => c < 0;
    case '<=': return (c) => c <= 0;
    case '>': return (c) => c > 0;
    case '>=': return (c) => c >= 0;
  }
}

function buildIn(node: InNode, ctx: Ctx): Evaluator {
  const expr = build(node.expr, ctx);
  const hasNull = node.values.includes(null);
  const candidates: Value[] = node.values.filter((v) => v !== null);
  let member: (x: Value) => boolean;
  if (node.insensitive) {
    const folded = new Set<Value>(candidates.map((v) => (typeof v === 'string' ? foldCase(v) : v)));
    member = (x) => folded.has(typeof x === 'string' ? foldCase(x) : x) || numericMember(x, candidates);
  } else if (node.mode === 'value') {
    const exact = new Set<Value>(candidates);
    member = (x) => exact.has(x) || numericMember(x, candidates);
  } else {
    const equals = equalityFor(node.mode);
    member = (x) => candidates.some((c) => equals(x, c) === true);
  }
  // SQL IN: true on a match; otherwise null if the input or a list entry is null.
  const test = (x: Value): Tri => (x === null ? null : member(x) ? true : hasNull ? null : false);
  return (ev) => {
    const r = anyElement(expr(ev), test);
    return node.negated ? not3(r) : r;
  };
}

// 1, 1.0 and 1n are one value: numbers of different representations compare by value.
function numericMember(x: Value, candidates: readonly Value[]): boolean {
  if (!isNumber(x)) return false;
  for (const c of candidates) if (isNumber(c) && compareNumbers(c, x) === 0) return true;
  return false;
}

function buildMatch(node: MatchNode, ctx: Ctx): Evaluator {
  const expr = build(node.expr, ctx);
  const matchers: StringMatcher[] = node.patterns.map((p) =>
    node.op === 'regex' ? compileRegex(p, node.insensitive) : compileWildcard(p, node.insensitive),
  );
  const test = (x: Value): Tri => {
    if (typeof x !== 'string') return null;
    for (const m of matchers) if (m(x)) return true;
    return false;
  };
  return (ev) => {
    const r = anyElement(expr(ev), test);
    return node.negated ? not3(r) : r;
  };
}

function buildCall(node: CallNode, ctx: Ctx): Evaluator {
  const args = node.args.map((a) => build(a, ctx));
  const callCtx: CallContext = { insensitive: node.insensitive, types: node.args.map((a) => a.type) };
  const consts = node.args.map((a) => (a.kind === 'const' ? a.value : undefined));
  const impl = node.fn.specialize?.(consts, callCtx) ?? ((values: readonly Value[]) => node.fn.impl(values, callCtx));
  const values: Value[] = new Array(args.length);
  return guard(ctx, (ev) => {
    let multi = false;
    for (let i = 0; i < args.length; i++) {
      const v = args[i]!(ev);
      values[i] = v;
      if (Array.isArray(v)) multi = true;
    }
    return multi ? crossApply(values, impl) : impl(values);
  });
}

/** Calls `f` for every combination of elements of the multi-valued arguments. */
function crossApply(args: readonly Value[], f: (values: readonly Value[]) => Value): Value[] {
  const out: Value[] = [];
  const current: Value[] = new Array(args.length);
  const walk = (i: number): void => {
    if (i === args.length) {
      out.push(f(current));
      return;
    }
    const a = args[i]!;
    for (const x of Array.isArray(a) ? a : [a]) {
      current[i] = x;
      walk(i + 1);
    }
  };
  walk(0);
  return out;
}

function mapPairs(a: Value, b: Value, f: (x: Value, y: Value) => Value): Value {
  if (!Array.isArray(a) && !Array.isArray(b)) return f(a, b);
  return crossApply([a, b], ([x, y]) => f(x!, y!));
}

/** A scalar test over a possibly multi-valued value: any true → true, else any false → false. */
function anyElement(v: Value, test: (x: Value) => Tri): Tri {
  if (!Array.isArray(v)) return test(v);
  let result: Tri = null;
  for (const x of v) {
    const r = Array.isArray(x) ? anyElement(x, test) : test(x);
    if (r === true) return true;
    if (r === false) result = false;
  }
  return result;
}

function guard(ctx: Ctx, f: Evaluator): Evaluator {
  if (ctx.throwFaults) return f;
  return (ev) => {
    try {
      return f(ev);
    } catch (e) {
      if (e instanceof ArithmeticFault || e instanceof FunctionFault) return null;
      throw e;
    }
  };
}
