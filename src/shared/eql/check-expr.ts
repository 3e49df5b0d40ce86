// Expression checking: resolves fields through the schema, binds function calls, types every
// node, validates constant patterns (wildcard, regex, CIDR, IP) and folds constant subtrees by
// running the reference interpreter on them. The first problem found is thrown with the span of
// the offending node; messages follow ES's wording where ES has one.
import type * as A from './ast.js';
import type { Schema } from '../schema/types.js';
import { EqlSemanticError, EqlTypeError, KestrelError, LimitError, SchemaError } from '../errors.js';
import type { CheckedFilter, ConstNode, ExprType, TExpr } from './ir.js';
import { FUNCTIONS, FunctionFault, lookupFunction, type FunctionDecl, type ParamType } from './functions.js';
import { ArithmeticFault } from './values.js';
import { compileExpr } from './interp.js';
import { renderExpr } from './render.js';
import { didYouMean } from './suggest.js';
import { comparable, compareModeOf, esTypeName, exprTypeOfField, isBooleanish, isNumeric, isOpen, ordinal } from './check-types.js';
import { compileRegex } from './runtime/lucene-regex.js';
import { parseCidr, parseIp } from './runtime/cidr.js';

export interface ExprCheckOptions {
  schema: Schema;
  /** 'endpoint': keyword fields compare with integer constants (Elastic Endpoint's typing). */
  dialect?: 'elasticsearch' | 'endpoint';
  /** The query text, to quote nodes in messages exactly as written (else they are rendered). */
  source?: string;
}

/**
 * Deepest expression the checker accepts. Brackets are limited by the parser already; this also
 * bounds chains of prefix operators (`not not not …`), which need no brackets. Every later pass
 * (compile, interpret, Wasm code generation) recurses over the checked tree, so the limit keeps
 * them all far from the stack's end.
 */
export const MAX_EXPR_DEPTH = 256;

export class ExprChecker {
  private depth = 0;
  constructor(private readonly opts: ExprCheckOptions) {}

  /** Checks an expression in a boolean position (a where-clause). */
  checkCondition(e: A.Expr): TExpr {
    const node = this.check(e);
    if (!isBooleanish(node.type)) {
      throw new EqlTypeError('eql.type.condition', `Condition expression needs to be boolean, found [${esTypeName(node)}]`, { span: e.span });
    }
    return node;
  }

  check(e: A.Expr): TExpr {
    if (this.depth >= MAX_EXPR_DEPTH) {
      throw new LimitError('eql.limit.nesting', `expression nested deeper than ${MAX_EXPR_DEPTH} levels`, { span: e.span });
    }
    this.depth++;
    try {
      return this.checkNode(e);
    } finally {
      this.depth--;
    }
  }

  private checkNode(e: A.Expr): TExpr {
    switch (e.kind) {
      case 'literal':
        return { kind: 'const', type: e.type, value: e.value, span: e.span };
      case 'field':
        return this.field(e);
      case 'not': {
        const operand = this.booleanOperand(e.operand, e, '');
        return this.fold({ kind: 'not', type: 'boolean', operand, span: e.span });
      }
      case 'neg': {
        const operand = this.numericOperand(e.operand, e, '');
        return this.fold({ kind: 'neg', type: operand.type === 'null' ? 'null' : operand.type, operand, span: e.span });
      }
      case 'logical': {
        const operands = e.operands.map((o, i) => this.booleanOperand(o, e, ordinal(i) + ' '));
        return this.fold({ kind: 'logical', type: 'boolean', op: e.op, operands, span: e.span });
      }
      case 'compare':
        return this.compare(e);
      case 'arith': {
        const left = this.numericOperand(e.left, e, 'first ');
        const right = this.numericOperand(e.right, e, 'second ');
        const type: ExprType = left.type === 'long' && right.type === 'long' ? 'long' : left.type === 'double' || right.type === 'double' ? 'double' : 'number';
        return this.fold({ kind: 'arith', type, op: e.op, left, right, span: e.span });
      }
      case 'in':
        return this.inList(e);
      case 'match':
        return this.match(e);
      case 'call':
        return this.call(e);
      case 'lineage':
        return this.lineage(e);
    }
  }

  /** Checks the filter of a lineage expression (set by the query checker, which knows categories). */
  checkLineageFilter: ((f: A.EventFilter) => CheckedFilter) | undefined;

  private lineage(e: A.LineageExpr): TExpr {
    if (this.opts.dialect !== 'endpoint' || !this.checkLineageFilter) {
      throw new EqlSemanticError('eql.lineage', `lineage (${e.relation} of […]) is Elastic Endpoint's EQL, not Elasticsearch's`, {
        span: e.span, hint: 'Endpoint behaviour-rule TOML is read in that dialect (kestrel query --dialect endpoint)',
      });
    }
    if (this.inLineage) throw new EqlSemanticError('eql.lineage', 'a lineage filter cannot contain another lineage expression', { span: e.span });
    // The filter is about the ancestor's own start event: no named step of this sequence exists there.
    const refs = this.stepRefs;
    this.inLineage = true;
    this.stepRefs = undefined;
    try {
      return { kind: 'lineage', type: 'boolean', relation: e.relation, filter: this.checkLineageFilter(e.filter), span: e.span };
    } finally {
      this.inLineage = false;
      this.stepRefs = refs;
    }
  }

  private inLineage = false;

  // ── fields ──

  /** Named earlier steps the current step may read (`event0.file.path`): alias → slot in the partial. */
  stepRefs: ReadonlyMap<string, number> | undefined;

  private field(e: A.FieldExpr): TExpr {
    const slot = e.path.length > 1 ? this.stepRefs?.get(e.path[0]!) : undefined;
    if (slot !== undefined) {
      const inner = this.field({ ...e, path: e.path.slice(1) });
      if (inner.kind !== 'field') return inner;
      return { ...inner, written: e.path.join('.'), step: slot };
    }
    const written = e.path.join('.');
    const { schema } = this.opts;
    const def = schema.lookup(written);
    if (def) {
      return { kind: 'field', type: exprTypeOfField(def.type), path: def.path, segments: def.path.split('.'), written, optional: e.optional, def, span: e.span };
    }
    if (!schema.strict) return { kind: 'field', type: 'any', path: written, segments: e.path, written, optional: e.optional, span: e.span };
    // ES: an optional field the mapping does not know is the null literal.
    if (e.optional) return { kind: 'const', type: 'null', value: null, span: e.span };
    const known = schema.fields().map((f) => f.path);
    throw new SchemaError('eql.schema.unknown_field', `Unknown column [${written}]${didYouMean(written, known)}`, {
      span: e.span,
      hint: `use ?${written} to allow a field the schema does not know`,
    });
  }

  // ── operators ──

  private booleanOperand(operand: A.Expr, parent: A.Expr, which: string): TExpr {
    const node = this.check(operand);
    if (!isBooleanish(node.type)) throw this.argumentType(which, parent, operand, node, 'boolean');
    return node;
  }

  private numericOperand(operand: A.Expr, parent: A.Expr, which: string): TExpr {
    const node = this.check(operand);
    if (!isNumeric(node.type) && !isOpen(node.type)) throw this.argumentType(which, parent, operand, node, 'numeric');
    return node;
  }

  private compare(e: A.CompareExpr): TExpr {
    const left = this.check(e.left);
    const right = this.check(e.right);
    if ((e.op === '==' || e.op === '!=') && (isNullConst(left) || isNullConst(right))) {
      const operand = isNullConst(right) ? left : right;
      return this.fold({ kind: 'isnull', type: 'boolean', operand, negated: e.op === '!=', span: e.span });
    }
    // A cross-step reference is a value the matcher supplies, so comparing a field with it is allowed.
    const stepRef = (n: TExpr) => n.kind === 'field' && n.step !== undefined;
    if (!isConstantLike(left) && !isConstantLike(right) && !stepRef(left) && !stepRef(right)) throw this.fieldComparison(e.right, e.op);
    if (!comparable(left.type, right.type) && this.opts.dialect === 'endpoint') {
      const endpoint = this.endpointKeywordNumber(e, left, right);
      if (endpoint) return endpoint;
    }
    if (!comparable(left.type, right.type)) {
      const family = isNumeric(left.type) ? 'numeric' : esTypeName(left);
      throw new EqlTypeError(
        'eql.type.compare',
        `first argument of [${this.text(e)}] is [${family}] so second argument must also be [${family}] but was [${esTypeName(right)}]`,
        { span: e.span },
      );
    }
    const mode = compareModeOf(left.type, right.type);
    this.validateTextual(mode, left, e.left);
    this.validateTextual(mode, right, e.right);
    return this.fold({ kind: 'compare', type: 'boolean', op: e.op, left, right, mode, span: e.span });
  }

  /**
   * Elastic Endpoint compares keyword ids with numbers (`user.id == 0`, `user.id >= 1000`): equality
   * is with the number's decimal text ("0"), an order is numeric on number(field) (a value that is
   * not a number orders as null: no match).
   */
  private endpointKeywordNumber(e: A.CompareExpr, left: TExpr, right: TExpr): TExpr | undefined {
    const keywordSide = (n: TExpr) => n.kind === 'field' && n.type === 'string';
    const integerConst = (n: TExpr) => n.kind === 'const' && n.type === 'long';
    const fieldOnLeft = keywordSide(left) && integerConst(right);
    if (!fieldOnLeft && !(keywordSide(right) && integerConst(left))) return undefined;
    const fieldAst = fieldOnLeft ? e.left : e.right;
    const constAst = (fieldOnLeft ? e.right : e.left) as A.LiteralExpr;
    if (e.op === '==' || e.op === '!=') {
      const text: A.LiteralExpr = { kind: 'literal', type: 'string', value: String(constAst.value), span: constAst.span };
      return this.compare({ ...e, left: fieldOnLeft ? fieldAst : text, right: fieldOnLeft ? text : fieldAst });
    }
    const asNumber: A.CallExpr = { kind: 'call', name: 'number', insensitive: false, args: [fieldAst], span: fieldAst.span, nameSpan: fieldAst.span };
    return this.compare({ ...e, left: fieldOnLeft ? asNumber : e.left, right: fieldOnLeft ? e.right : asNumber });
  }

  private inList(e: A.InExpr): TExpr {
    const expr = this.check(e.expr);
    const values = e.values.map((v, i) => {
      if (this.opts.dialect === 'endpoint' && expr.kind === 'field' && expr.type === 'string' && v.kind === 'literal' && v.type === 'long') {
        // Endpoint typing: `user.id in (0, 33)` is `user.id in ("0", "33")`.
        v = { kind: 'literal', type: 'string', value: String(v.value), span: v.span };
      }
      const node = this.check(v);
      if (node.kind !== 'const') throw this.fieldComparison(v, this.text(e));
      if (!comparable(expr.type, node.type)) throw this.argumentType(ordinal(i + 1) + ' ', e, v, node, esTypeName(expr));
      return node;
    });
    const mode = compareModeOf(expr.type, expr.type);
    values.forEach((v, i) => this.validateTextual(mode, v, e.values[i]!));
    return this.fold({
      kind: 'in', type: 'boolean', expr, values: values.map((v) => v.value), negated: e.negated, insensitive: e.insensitive, mode, span: e.span,
    });
  }

  private match(e: A.MatchExpr): TExpr {
    const expr = this.check(e.expr);
    if (expr.type !== 'string' && !isOpen(expr.type)) throw this.argumentType('first ', e, e.expr, expr, 'string');
    const patterns = e.patterns.map((p, i) => {
      const node = this.check(p);
      if (node.kind !== 'const') throw this.fieldComparison(p, this.text(e));
      if (typeof node.value !== 'string') throw this.argumentType(ordinal(i + 1) + ' ', e, p, node, 'string');
      if (e.op === 'regex') this.validate(p, () => compileRegex(node.value as string, e.insensitive));
      return node.value;
    });
    return this.fold({ kind: 'match', type: 'boolean', op: e.op, insensitive: e.insensitive, negated: e.negated, expr, patterns, span: e.span });
  }

  // ── function calls ──

  private call(e: A.CallExpr): TExpr {
    const fn = lookupFunction(e.name);
    if (!fn) {
      const names = FUNCTIONS.map((f) => f.name);
      throw new EqlSemanticError('eql.function.unknown', `Unknown function [${e.name}]${didYouMean(e.name, names)}`, { span: e.nameSpan });
    }
    if (e.insensitive && !fn.caseInsensitive) {
      throw new EqlSemanticError('eql.function.insensitive', `Function [${fn.name}] does not support case-insensitive matching`, {
        span: e.nameSpan,
        hint: `write ${fn.name}(…) without ~`,
      });
    }
    if (e.args.length < fn.minArgs || e.args.length > fn.maxArgs) {
      throw new EqlSemanticError('eql.function.arity', `error building [${fn.name.toLowerCase()}]: expects ${arityText(fn)}`, { span: e.span });
    }
    const args = e.args.map((_arg, i) => this.argument(fn, e, i));
    const type = fn.returns(args.map((a) => a.type));
    return this.fold({ kind: 'call', type, fn, insensitive: e.insensitive, args, span: e.span });
  }

  private argument(fn: FunctionDecl, call: A.CallExpr, i: number): TExpr {
    const param = i < fn.params.length ? fn.params[i]! : fn.variadic!;
    const ast = call.args[i]!;
    const node = this.check(ast);
    // ES omits the ordinal when a function takes a single argument.
    const which = fn.maxArgs === 1 ? '' : ordinal(i) + ' ';
    if (!accepts(param.type, node.type)) throw this.argumentType(which, call, ast, node, PARAM_TYPE_NAMES[param.type]);
    if (param.constant && node.kind !== 'const') {
      throw new EqlSemanticError('eql.function.constant', `${which}argument of [${this.text(call)}] must be a constant, received [${this.text(ast)}]`, { span: ast.span });
    }
    if (fn.name === 'cidrMatch' && i > 0 && node.kind === 'const' && typeof node.value === 'string') {
      this.validate(ast, () => parseCidr(node.value as string));
    }
    return node;
  }

  // ── helpers ──

  /** Folds a node whose operands are all constants, reporting ES's run-time failures here. */
  private fold(node: TExpr): TExpr {
    if (!operands(node).every((o) => o.kind === 'const')) return node;
    try {
      const value = compileExpr(node, { faults: 'throw' })(undefined);
      return { kind: 'const', type: node.type, value, span: node.span } satisfies ConstNode;
    } catch (err) {
      if (err instanceof ArithmeticFault || err instanceof FunctionFault) {
        throw new EqlSemanticError('eql.fold.fault', err.message, { span: node.span });
      }
      throw err;
    }
  }

  /** A string constant compared with an ip field must be an IP address. */
  private validateTextual(mode: string, node: TExpr, ast: A.Expr): void {
    if (mode !== 'ip' || node.kind !== 'const' || typeof node.value !== 'string') return;
    if (parseIp(node.value) === null) {
      throw new EqlTypeError('eql.type.ip', `[${this.text(ast)}] is not a valid IP address`, { span: ast.span });
    }
  }

  /** Runs a prim's validation and pins its error (which has no position) on `ast`. */
  private validate(ast: A.Expr, run: () => unknown): void {
    try {
      run();
    } catch (err) {
      if (err instanceof KestrelError && err.span === undefined) err.span = ast.span;
      throw err;
    }
  }

  private fieldComparison(offender: A.Expr, where: string): EqlSemanticError {
    return new EqlSemanticError(
      'eql.semantic.field_comparison',
      `Comparisons against fields are not (currently) supported; offender [${this.text(offender)}] in [${where}]`,
      { span: offender.span, hint: 'compare each field with a constant' },
    );
  }

  private argumentType(which: string, parent: A.Expr, arg: A.Expr, node: TExpr, expected: string): EqlTypeError {
    return new EqlTypeError(
      'eql.type.argument',
      `${which}argument of [${this.text(parent)}] must be [${expected}], found value [${this.text(arg)}] type [${esTypeName(node)}]`,
      { span: arg.span },
    );
  }

  text(e: A.Expr): string {
    return this.opts.source !== undefined ? this.opts.source.slice(e.span.start, e.span.end) : renderExpr(e);
  }
}

const PARAM_TYPE_NAMES: Record<ParamType, string> = {
  string: 'string',
  integer: 'integer',
  numeric: 'numeric',
  boolean: 'boolean',
  address: 'ip or string',
  any: 'a scalar',
};

function accepts(param: ParamType, t: ExprType): boolean {
  if (isOpen(t)) return true;
  switch (param) {
    case 'string': return t === 'string';
    case 'integer': return t === 'long';
    case 'numeric': return isNumeric(t);
    case 'boolean': return t === 'boolean';
    case 'address': return t === 'ip' || t === 'string';
    case 'any': return t !== 'object';
  }
}

const COUNT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five'];

/** ES's arity phrases: "exactly two arguments", "two or three arguments", "at least one argument". */
function arityText(fn: FunctionDecl): string {
  const word = (n: number) => COUNT_WORDS[n] ?? String(n);
  const noun = (n: number) => (n === 1 ? 'argument' : 'arguments');
  if (fn.maxArgs === Infinity) return `at least ${word(fn.minArgs)} ${noun(fn.minArgs)}`;
  if (fn.minArgs === fn.maxArgs) return `exactly ${word(fn.minArgs)} ${noun(fn.minArgs)}`;
  return `${word(fn.minArgs)} or ${word(fn.maxArgs)} arguments`;
}

/**
 * A constant, or an optional field the schema does not know: with a mapping ES turns it into the
 * null literal; a schema-less source cannot, so it is not held against the "no field-to-field
 * comparison" rule either.
 */
function isNullConst(node: TExpr): boolean {
  return node.kind === 'const' && node.value === null;
}

function isConstantLike(node: TExpr): boolean {
  return node.kind === 'const' || (node.kind === 'field' && node.optional && node.def === undefined);
}

/** The direct sub-expressions of a node (a leaf is its own one operand). */
export function operands(node: TExpr): readonly TExpr[] {
  return node.kind === 'const' || node.kind === 'field' ? [node] : childrenOf(node);
}

/** A node's sub-expressions in a fixed order (none for a leaf). */
export function childrenOf(node: TExpr): readonly TExpr[] {
  switch (node.kind) {
    case 'const':
    case 'field':
    case 'lineage':
      return [];
    case 'not':
    case 'neg':
    case 'isnull':
      return [node.operand];
    case 'logical':
      return node.operands;
    case 'compare':
    case 'arith':
      return [node.left, node.right];
    case 'in':
    case 'match':
      return [node.expr];
    case 'call':
      return node.args;
  }
}
