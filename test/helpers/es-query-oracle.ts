// A second, independent model of how Elasticsearch runs an EQL filter, for differential tests of
// es-semantics.ts. It mirrors the planner's shape rather than Kestrel's: the three-valued checked
// tree is first translated into a Query DSL tree the way ES's QueryTranslator does (translators
// tried in order; a negation of a script query is a script over the whole `not`, any other
// negation is must_not), then that tree is run against one document the way Lucene does — a leaf
// query matches only when its field holds a matching value, a script matches only when it returns
// true, and a bool is plain two-valued logic.
import { compileExpr } from '../../src/shared/eql/interp.js';
import type { TExpr } from '../../src/shared/eql/ir.js';
import { truthOf } from '../../src/shared/eql/values.js';

type EsQuery =
  | { kind: 'leaf'; expr: TExpr } // term / terms / range / wildcard / prefix / regexp / exists
  | { kind: 'script'; expr: TExpr }
  | { kind: 'bool'; must: boolean; queries: EsQuery[] }
  | { kind: 'must_not'; query: EsQuery };

const isField = (e: TExpr) => e.kind === 'field' && !(e.optional && e.def === undefined);
const isLiteral = (e: TExpr) => e.kind === 'const' && e.value !== null;

export function toEsQuery(e: TExpr): EsQuery {
  switch (e.kind) {
    case 'logical':
      return { kind: 'bool', must: e.op === 'and', queries: e.operands.map(toEsQuery) };
    case 'not': {
      const inner = toEsQuery(e.operand);
      return inner.kind === 'script' ? { kind: 'script', expr: e } : { kind: 'must_not', query: inner };
    }
    case 'compare': {
      // BooleanFunctionEqualsElimination first: f == true → f; f == false, f != true → not f.
      const [fn, lit] = e.left.kind === 'call' ? [e.left, e.right] : [e.right, e.left];
      if ((e.op === '==' || e.op === '!=') && fn.kind === 'call' && lit.kind === 'const' && typeof lit.value === 'boolean') {
        const positive = lit.value === (e.op === '==');
        return toEsQuery(positive ? fn : { kind: 'not', type: 'boolean', operand: fn, span: e.span });
      }
      const pushable = (isField(e.left) && isLiteral(e.right)) || (isLiteral(e.left) && isField(e.right));
      if (!pushable) return { kind: 'script', expr: e };
      if (e.op === '!=') return { kind: 'must_not', query: { kind: 'leaf', expr: { ...e, op: '==' } } };
      return { kind: 'leaf', expr: e };
    }
    case 'isnull':
      return isField(e.operand) ? { kind: 'leaf', expr: e } : { kind: 'script', expr: e };
    case 'in':
    case 'match': {
      if (!isField(e.expr)) return { kind: 'script', expr: e };
      const positive: EsQuery = { kind: 'leaf', expr: { ...e, negated: false } };
      return e.negated ? { kind: 'must_not', query: positive } : positive;
    }
    case 'call': {
      const [input, ...rest] = e.args;
      const known = ['startsWith', 'endsWith', 'stringContains', 'cidrMatch'].includes(e.fn.name);
      return known && input && isField(input) && rest.every(isLiteral) ? { kind: 'leaf', expr: e } : { kind: 'script', expr: e };
    }
    case 'field':
      return isField(e) ? { kind: 'leaf', expr: e } : { kind: 'script', expr: e };
    default:
      return { kind: 'script', expr: e };
  }
}

/** Whether the document matches the query (Lucene: every query is either a hit or not). */
export function esMatches(q: EsQuery, doc: unknown): boolean {
  switch (q.kind) {
    case 'leaf':
    case 'script':
      // A function over a multi-valued field yields one truth per element: a hit if any is true.
      return truthOf(compileExpr(q.expr)(doc as never)) === true;
    case 'bool':
      return q.must ? q.queries.every((s) => esMatches(s, doc)) : q.queries.some((s) => esMatches(s, doc));
    case 'must_not':
      return !esMatches(q.query, doc);
  }
}
