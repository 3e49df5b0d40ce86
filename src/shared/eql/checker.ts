// Query checking for the Elasticsearch dialect: event filters, sequences (join keys, maxspan,
// runs, missing events, until), samples and pipes. Expressions are handled by check-expr.ts.
// Rules and messages follow ES's LogicalPlanBuilder / Verifier; the first problem is thrown.
import type * as A from './ast.js';
import type { Schema } from '../schema/types.js';
import { EqlSemanticError, EqlTypeError, SchemaError, type Span } from '../errors.js';
import type { CheckedFilter, CheckedPipe, CheckedQuery, CheckedStep, FieldNode, TExpr } from './ir.js';
import { ExprChecker, childrenOf } from './check-expr.js';
import { comparable, esTypeName, exprTypeOfField } from './check-types.js';
import { didYouMean } from './suggest.js';
import { withElasticsearchSemantics, type MissingFieldSemantics } from './es-semantics.js';

export interface CheckOptions {
  schema: Schema;
  /** Field holding the event category (ES `event_category_field`). Default `event.category`. */
  categoryField?: string;
  /**
   * How a filter treats a field an event lacks: 'elasticsearch' (default) runs negations the way
   * Elasticsearch does (a negated query matches events without the field; es-semantics.ts);
   * 'null' is three-valued throughout, as Endgame's engine (not null is null).
   */
  missingFields?: MissingFieldSemantics;
  /** 'endpoint': Elastic Endpoint's dialect (numbers compare with keyword fields; docs/eql.md). */
  dialect?: 'elasticsearch' | 'endpoint';
  /** The query text the AST came from, so messages quote nodes as written. */
  source?: string;
}

/** ES: `with runs=N` takes 1..100. */
export const MAX_RUNS = 100;
/** ES: a sample has 2..5 filters. */
export const MAX_SAMPLE_QUERIES = 5;

const UNIT_MILLIS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const ENDGAME_PIPES = ['count', 'filter', 'sort', 'unique', 'unique_count'];

export function checkQuery(query: A.Query, opts: CheckOptions): CheckedQuery {
  return new QueryChecker(opts).query(query);
}

/** Checks a lone expression (constant folding tests, `--where`-style use). */
export function checkExpression(expr: A.Expr, opts: CheckOptions): TExpr {
  return new ExprChecker(opts).check(expr);
}

class QueryChecker {
  private readonly exprs: ExprChecker;
  private readonly categoryFieldName: string;

  constructor(private readonly opts: CheckOptions) {
    this.exprs = new ExprChecker(opts);
    this.exprs.checkLineageFilter = (f) => this.filter(f);
    this.categoryFieldName = opts.categoryField ?? 'event.category';
  }

  query(q: A.Query): CheckedQuery {
    switch (q.kind) {
      case 'event': {
        const step: CheckedStep = { filter: this.filter(q.filter), keys: [], keyNullable: [], runs: 1, missing: false, span: q.filter.span };
        return { kind: 'event', steps: [step], pipes: this.pipes(q.pipes), keyCount: 0, span: q.span };
      }
      case 'sequence':
        return this.sequence(q);
      case 'sample':
        return this.sample(q);
      case 'join':
        throw new EqlSemanticError('eql.unsupported.join', 'join queries are not supported in the Elasticsearch EQL dialect', {
          span: q.span,
          hint: 'use a sequence, or the endgame dialect',
        });
    }
  }

  private sequence(q: A.SequenceQuery): CheckedQuery {
    const maxspanMs = q.maxspan ? this.maxspan(q.maxspan) : undefined;
    const steps = this.steps(q.steps, q.by, 'sequence');
    const queries = steps.reduce((n, s) => n + s.runs, 0);
    if (queries < 2) {
      throw new EqlSemanticError('eql.sequence.too_short', `A sequence requires a minimum of 2 queries, found [${queries}]`, { span: q.span });
    }
    if (q.steps.some((s) => s.missing)) {
      if (q.steps.every((s) => s.missing)) {
        throw new EqlSemanticError('eql.sequence.no_positive', 'A sequence requires at least one positive event query; found none', { span: q.span });
      }
      if (maxspanMs === undefined) {
        throw new EqlSemanticError('eql.sequence.missing_needs_maxspan', 'A sequence with missing events requires [with maxspan]', {
          span: q.steps.find((s) => s.missing)!.span,
          hint: 'add e.g. `with maxspan=1m` after `sequence`',
        });
      }
    }
    let until: CheckedStep | undefined;
    if (q.until) {
      if (q.until.missing || q.until.runs) {
        throw new EqlSemanticError('eql.sequence.until', 'An [until] query cannot be a missing event or take [with runs]', { span: q.until.span });
      }
      [until] = this.steps([q.until], q.by, 'sequence', steps[0]);
    }
    return { kind: 'sequence', steps, until, maxspanMs, pipes: this.pipes(q.pipes), keyCount: steps[0]!.keys.length, span: q.span };
  }

  private sample(q: A.SampleQuery): CheckedQuery {
    for (const s of q.steps) {
      if (s.missing) throw new EqlSemanticError('eql.sample.missing', 'Missing events are not supported in samples', { span: s.span });
      if (s.runs) throw new EqlSemanticError('eql.sample.runs', '[with runs] is not supported in samples', { span: s.runs.span });
    }
    const n = q.steps.length;
    if (n < 2) throw new EqlSemanticError('eql.sample.too_short', `A sample requires a minimum of 2 queries, found [${n}]`, { span: q.span });
    if (n > MAX_SAMPLE_QUERIES) {
      throw new EqlSemanticError('eql.sample.too_long', `A sample cannot contain more than ${MAX_SAMPLE_QUERIES} queries, found [${n}]`, { span: q.span });
    }
    const steps = this.steps(q.steps, q.by, 'sample');
    return { kind: 'sample', steps, pipes: this.pipes(q.pipes), keyCount: steps[0]!.keys.length, span: q.span };
  }

  /** Checks steps and their join keys; `reference` is the step the keys must agree with. */
  private steps(steps: A.SequenceStep[], shared: A.Expr[], kind: string, reference?: CheckedStep): CheckedStep[] {
    const sharedKeys = shared.map((k) => this.exprs.check(k));
    const checked: CheckedStep[] = [];
    // Named steps (Elastic Endpoint): alias → index of that step's event among a partial's events.
    const aliases = new Map<string, number>();
    let slot = 0;
    for (const s of steps) {
      this.stepParams(s);
      this.exprs.stepRefs = aliases.size > 0 && kind === 'sequence' && !reference ? aliases : undefined;
      const own = s.by.map((k) => this.exprs.check(k));
      const first = reference ?? checked[0];
      const expected = first ? first.keys.length - sharedKeys.length : own.length;
      if (own.length !== expected) {
        throw new EqlSemanticError('eql.sequence.keys', `Inconsistent number of join keys specified; expected [${expected}] but found [${own.length}]`, {
          span: s.by.length > 0 ? { start: s.by[0]!.span.start, end: s.by[s.by.length - 1]!.span.end } : s.span,
        });
      }
      const keys = [...sharedKeys, ...own];
      const keyAst = [...shared, ...s.by];
      if (first) this.keyTypes(kind, first, keys, keyAst);
      checked.push({
        filter: this.filter(s.filter),
        keys,
        keyNullable: keyAst.map((k) => k.kind === 'field' && k.optional),
        runs: s.runs?.value ?? 1,
        missing: s.missing,
        span: s.span,
      });
      if (s.alias) this.alias(s, kind, reference, aliases, slot);
      if (!s.missing) slot += s.runs?.value ?? 1;
    }
    this.exprs.stepRefs = undefined;
    return checked;
  }

  /** Registers `[…] as NAME` for the steps after it; Endpoint dialect, sequences, one event per step. */
  private alias(s: A.SequenceStep, kind: string, reference: CheckedStep | undefined, aliases: Map<string, number>, slot: number): void {
    const { name, span } = s.alias!;
    if (this.opts.dialect !== 'endpoint') {
      throw new EqlSemanticError('eql.step.alias', `named steps ([…] as ${name}) are Elastic Endpoint's EQL, not Elasticsearch's`, {
        span, hint: 'Endpoint behaviour-rule TOML is read in that dialect',
      });
    }
    if (kind !== 'sequence' || reference) throw new EqlSemanticError('eql.step.alias', 'only sequence steps can be named', { span });
    if (s.missing) throw new EqlSemanticError('eql.step.alias', 'a missing-event step ![…] has no event to name', { span });
    if ((s.runs?.value ?? 1) > 1) throw new EqlSemanticError('eql.step.alias', 'a step with [with runs] has several events: it cannot be named', { span });
    if (aliases.has(name)) throw new EqlSemanticError('eql.step.alias', `step name [${name}] is used twice`, { span });
    if (this.opts.schema.lookup(name) || this.opts.schema.fields().some((f) => f.path.startsWith(`${name}.`))) {
      throw new EqlSemanticError('eql.step.alias', `step name [${name}] is also a field name`, { span });
    }
    aliases.set(name, slot);
  }

  private stepParams(s: A.SequenceStep): void {
    const bad = (s as { badParam?: { name: string; nameSpan: Span } }).badParam;
    if (bad) throw new EqlSemanticError('eql.step.param', `Unrecognized parameter [${bad.name}], expected [runs]`, { span: bad.nameSpan });
    if (!s.runs) return;
    const { value, span } = s.runs;
    if (!Number.isInteger(value) || value < 1) {
      throw new EqlSemanticError('eql.step.runs', `A positive runs value is required; found [${value}]`, { span });
    }
    if (value > MAX_RUNS) {
      throw new EqlSemanticError('eql.step.runs', `A query cannot be repeated more than ${MAX_RUNS} times; found [${value}]`, { span });
    }
  }

  /** ES Verifier.checkJoinKeyTypes: the n-th key of every step has a compatible type. */
  private keyTypes(kind: string, first: CheckedStep, keys: TExpr[], keyAst: A.Expr[]): void {
    keys.forEach((key, i) => {
      const expected = first.keys[i]!;
      if (comparable(expected.type, key.type)) return;
      throw new EqlTypeError(
        'eql.sequence.key_type',
        `${kind} key [${this.exprs.text(keyAst[i]!)}] type [${esTypeName(key)}] is incompatible with key [${describeKey(expected)}] type [${esTypeName(expected)}]`,
        { span: keyAst[i]!.span },
      );
    });
  }

  private maxspan(m: A.MaxSpan): number {
    if (!Number.isInteger(m.value)) {
      throw new EqlSemanticError('eql.maxspan.decimal', `Decimal time interval [${m.value}] not supported; please use an positive integer`, { span: m.span });
    }
    if (m.value <= 0) throw new EqlSemanticError('eql.maxspan.value', `A positive maxspan value is required; found [${m.value}]`, { span: m.span });
    if (m.unit === '') {
      throw new EqlSemanticError('eql.maxspan.unit', `No time unit specified, did you mean [s] as in [${m.value}s]?`, { span: m.span });
    }
    const per = UNIT_MILLIS[m.unit];
    if (per === undefined) {
      throw new EqlSemanticError('eql.maxspan.unit', `Unrecognized time unit [${m.unit}] in [${m.value}${m.unit}], please specify one of [ms, s, m, h, d]`, {
        span: m.span,
      });
    }
    return m.value * per;
  }

  private filter(f: A.EventFilter): CheckedFilter {
    // Elastic Endpoint's `dns where`: DNS events, which ECS files under network with
    // network.protocol "dns" (there is no "dns" event.category).
    if (this.opts.dialect === 'endpoint' && f.category === 'dns') {
      const span = f.categorySpan;
      const isDns: A.Expr = {
        kind: 'compare', op: '==', span,
        left: { kind: 'field', path: ['network', 'protocol'], optional: false, span },
        right: { kind: 'literal', type: 'string', value: 'dns', span },
      };
      f = { ...f, category: 'network', where: { kind: 'logical', op: 'and', operands: [isDns, f.where], span: f.where.span } };
    }
    const checked = this.exprs.checkCondition(f.where);
    const where = (this.opts.missingFields ?? 'elasticsearch') === 'elasticsearch' ? withElasticsearchSemantics(checked) : checked;
    const split = splitCrossStep(where);
    if (split.cross && readsLineage(split.cross)) {
      throw new EqlSemanticError('eql.lineage', 'a lineage expression and a named step\'s field in one condition are not supported: put them in separate `and` terms', { span: f.span });
    }
    return {
      category: f.category, categoryField: this.categoryField(f), where: split.own,
      ...(split.state && { state: split.state }), ...(split.cross && { cross: split.cross }), span: f.span,
    };
  }

  private categoryField(f: A.EventFilter): FieldNode {
    const name = this.categoryFieldName;
    const { schema } = this.opts;
    const def = schema.lookup(name);
    const span = f.categorySpan;
    if (def) return { kind: 'field', type: exprTypeOfField(def.type), path: def.path, segments: def.path.split('.'), written: name, optional: false, def, span };
    if (schema.strict && f.category !== null) {
      throw new SchemaError('eql.schema.category_field', `Unknown column [${name}] (the event category field)`, {
        span,
        hint: 'use `any where …`, or a schema that maps the category field',
      });
    }
    return { kind: 'field', type: 'any', path: name, segments: name.split('.'), written: name, optional: false, span };
  }

  private pipes(pipes: A.Pipe[]): CheckedPipe[] {
    return pipes.map((p) => {
      if (p.name !== 'head' && p.name !== 'tail') {
        if (ENDGAME_PIPES.includes(p.name)) {
          throw new EqlSemanticError('eql.pipe.unsupported', `Pipe [${p.name}] is not supported`, {
            span: p.nameSpan,
            hint: 'the Elasticsearch dialect supports only head and tail',
          });
        }
        throw new EqlSemanticError('eql.pipe.unknown', `Unrecognized pipe [${p.name}]${didYouMean(p.name, ['head', 'tail', ...ENDGAME_PIPES])}`, {
          span: p.nameSpan,
        });
      }
      if (p.args.length !== 1) {
        throw new EqlSemanticError('eql.pipe.args', `Pipe [${p.name}] expects exactly one argument but found [${p.args.length}]`, { span: p.span });
      }
      const arg = this.exprs.check(p.args[0]!);
      const count = arg.kind === 'const' && arg.type === 'long' ? Number(arg.value) : -1;
      if (count < 0 || !Number.isSafeInteger(count)) {
        throw new EqlSemanticError('eql.pipe.count', `Pipe [${p.name}] expects a positive integer but found [${this.exprs.text(p.args[0]!)}]`, {
          span: p.args[0]!.span,
        });
      }
      return { name: p.name, count, span: p.span };
    });
  }
}

function describeKey(key: TExpr): string {
  return key.kind === 'field' ? key.written : esTypeName(key);
}

/** Whether an expression reads an earlier step's event. */
function readsEarlierStep(e: TExpr): boolean {
  if (e.kind === 'field') return e.step !== undefined;
  return childrenOf(e).some(readsEarlierStep);
}

/** Whether an expression asks about process lineage. */
function readsLineage(e: TExpr): boolean {
  return e.kind === 'lineage' || childrenOf(e).some(readsLineage);
}

/**
 * Splits a condition into the part about this event alone, the conjuncts that need lineage (state),
 * and those that read an earlier step (cross). The first is all the predicate stage sees (true if
 * nothing is left): a superset of the events the whole condition selects. Lineage conjuncts are
 * answered in event order before the step bits are final; cross ones by the matcher.
 */
function splitCrossStep(where: TExpr): { own: TExpr; state?: TExpr; cross?: TExpr } {
  if (!readsEarlierStep(where) && !readsLineage(where)) return { own: where };
  const conjuncts = where.kind === 'logical' && where.op === 'and' ? where.operands : [where];
  const cross = conjuncts.filter(readsEarlierStep);
  const state = conjuncts.filter((c) => !readsEarlierStep(c) && readsLineage(c));
  const own = conjuncts.filter((c) => !readsEarlierStep(c) && !readsLineage(c));
  const and = (list: TExpr[]): TExpr => (list.length === 1 ? list[0]! : { kind: 'logical', op: 'and', operands: list, type: 'boolean', span: where.span });
  return {
    own: own.length ? and(own) : { kind: 'const', type: 'boolean', value: true, span: where.span },
    ...(state.length && { state: and(state) }),
    ...(cross.length && { cross: and(cross) }),
  };
}
