// Elasticsearch's execution semantics for missing fields, made explicit in the checked tree.
//
// Elasticsearch does not evaluate an EQL filter with three-valued logic throughout: its planner
// translates the filter into a Query DSL query (QueryTranslator / ExpressionTranslators in the QL
// planner). A field compared with a constant becomes a term, range, wildcard, prefix or exists
// query; and/or become `bool`; and `not x` becomes `bool.must_not` of x's query — which matches
// every document where x's query does not, including documents that lack the field. Only what
// cannot be a query (a function of a field, arithmetic, field-to-field) runs as a script, and a
// script keeps null semantics: `not` of a script is a script, so `not length(x) > 3` is null (no
// match) when x is missing. EQL's optimizer keeps `not` as written (its BooleanSimplification does
// not turn `not (x < 5)` into `x >= 5`), and it rewrites `x != v` into a negated term query.
//
// A `bool` query is two-valued at every level: a sub-query (script or not) either matches or not.
// Three-valued and/or agree with that whenever only "is it true?" is asked, so the one place the
// two semantics part is negation. This pass therefore marks every negation that Elasticsearch runs
// as a query with `mustNot` (true unless the operand is true), turns pushable `!=`, `not in` and
// `not like`/`not :`/`not regex` into such a negation of the positive test, and leaves negations
// of scripts as they are. Every back end (interpreter, Wasm, prefilter) then only has to honour
// `mustNot`; the rules for what is "pushable" live here alone.
import type { CallNode, CompareNode, InNode, MatchNode, NotNode, TExpr } from './ir.js';

/** How a filter treats a field an event lacks. */
export type MissingFieldSemantics = 'elasticsearch' | 'null';

interface Translation {
  node: TExpr;
  /** Elasticsearch would run this sub-expression as a script (not as a query). */
  script: boolean;
}

/** The filter with Elasticsearch's query semantics made explicit (see the file comment). */
export function withElasticsearchSemantics(where: TExpr): TExpr {
  return translate(where).node;
}

function translate(node: TExpr): Translation {
  switch (node.kind) {
    case 'logical': {
      const operands = node.operands.map((o) => translate(o).node);
      const changed = operands.some((o, i) => o !== node.operands[i]);
      return { node: changed ? { ...node, operands } : node, script: false };
    }
    case 'not': {
      if (node.mustNot) return { node, script: false };
      const inner = translate(node.operand);
      // ES: a negated script is one script over the original expression, three-valued.
      if (inner.script) return { node, script: true };
      return { node: mustNot(node, inner.node), script: false };
    }
    case 'compare':
      return compare(node);
    case 'isnull':
      return { node, script: !isFieldAttribute(node.operand) };
    case 'in':
      return negatable(node, isFieldAttribute(node.expr));
    case 'match':
      return negatable(node, isFieldAttribute(node.expr));
    case 'call':
      return { node, script: !isQueryFunction(node) };
    case 'field':
      // A boolean field used as a condition: a term query on `true`.
      return { node, script: !isFieldAttribute(node) };
    case 'const':
      return { node, script: false };
    default:
      return { node, script: true };
  }
}

/**
 * A field the index maps. An optional field the schema does not know is, for Elasticsearch, the
 * null literal, not a field.
 */
function isFieldAttribute(node: TExpr): boolean {
  return node.kind === 'field' && !(node.optional && node.def === undefined);
}

/**
 * A non-null constant. ES's own tests show a null argument keeps the expression a script
 * (`not startsWith(x, null)` selects nothing), and `x == null` is already an exists test.
 */
function isConstant(node: TExpr): boolean {
  return node.kind === 'const' && node.value !== null;
}

/** `in`/`match` are queries on a field; their `not` form is a must_not of the positive query. */
function negatable(node: InNode | MatchNode, pushable: boolean): Translation {
  if (!pushable) return { node, script: true };
  if (!node.negated) return { node, script: false };
  return { node: mustNot(node, { ...node, negated: false }), script: false };
}

function compare(node: CompareNode): Translation {
  const boolEquality = booleanFunctionEquality(node);
  if (boolEquality) return translate(boolEquality);
  // ES puts literals on the right (LiteralsOnTheRight) and then needs a field on the left.
  const pushable = (isFieldAttribute(node.left) && isConstant(node.right)) || (isConstant(node.left) && isFieldAttribute(node.right));
  if (!pushable) return { node, script: true };
  if (node.op !== '!=') return { node, script: false };
  return { node: mustNot(node, { ...node, op: '==' }), script: false };
}

/**
 * ES's BooleanFunctionEqualsElimination: `f(…) == true` is `f(…)`, `f(…) == false` and
 * `f(…) != true` are `not f(…)` (so a pushable f is negated as a query).
 */
function booleanFunctionEquality(node: CompareNode): TExpr | null {
  if (node.op !== '==' && node.op !== '!=') return null;
  const [fn, other] = node.left.kind === 'call' ? [node.left, node.right] : [node.right, node.left];
  if (fn.kind !== 'call' || other.kind !== 'const' || typeof other.value !== 'boolean') return null;
  const positive = other.value === (node.op === '==');
  if (positive) return fn;
  const negation: NotNode = { kind: 'not', type: 'boolean', operand: fn, span: node.span };
  return negation;
}

/** Functions ES turns into a query when their input is a field and the rest constants. */
function isQueryFunction(node: CallNode): boolean {
  const [input, ...rest] = node.args;
  if (!input || !isFieldAttribute(input) || !rest.every(isConstant)) return false;
  switch (node.fn.name) {
    case 'startsWith': // prefix query
    case 'endsWith': // wildcard `*x`
    case 'stringContains': // wildcard `*x*`
    case 'cidrMatch': // terms query on an ip field
      return true;
    default:
      return false;
  }
}

function mustNot(original: TExpr, operand: TExpr): NotNode {
  return { kind: 'not', type: 'boolean', operand, span: original.span, mustNot: true };
}
