// A recursive-descent reading of grammar/eql.ne: the fast path of parser.ts. The Earley parser
// (nearley) took ~90% of a cold start's parsing: ~0.4 s for the 454 rules of the bundled set and
// Elastic's corpus, and most of that start's garbage. This reads the same token array in one pass
// with one token of lookahead (two for `not in`), and builds every node through the grammar's own
// postprocessors (build.ts) with the data arrays nearley would give them, so the trees are the same
// by construction (test/eql-descent-parser.test.ts compares them over every rule and suite query).
//
// It only ever accepts: on any input it cannot read it gives up (undefined), and parser.ts runs
// nearley, whose parse or error message is then the answer. Errors therefore read exactly as
// before, and a query this reader got wrong would still parse right, only slower.
//
// The grammar's left-recursive rules (or, and, + -, * / %, lists, paths) are loops here; the
// right-recursive prefix rules (`not`, unary + -) are loops too, so a long chain of prefixes
// cannot overflow the stack (nesting of brackets is bounded by the tokenizer's limit).
import * as B from './build.js';
import type { LexToken } from './build.js';
import type * as A from './ast.js';
import { KEYWORDS } from './lexer.js';

/** Thrown (one shared instance) when the input is not something this reader accepts. */
const GIVE_UP = new Error('descent parser gives up');

/** The `reject` argument nearley passes to postprocessors; build.ts returns it to refuse a match. */
const REJECT = Symbol('reject');

const COMPARE_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);
const ADD_OPS = new Set(['+', '-']);
const MUL_OPS = new Set(['*', '/', '%']);
const OR = B.logical('or');
const AND = B.logical('and');
const MATCH_KEYWORDS = new Set(['kw_like', 'kw_like_i', 'kw_regex', 'kw_regex_i']);
const CATEGORY_TYPES = new Set(['kw_any', 'identifier', 'string', 'rawString', 'backquoted']);
const LITERAL_TYPES = new Set(['string', 'rawString', 'number', 'kw_true', 'kw_false', 'kw_null']);
/** Keywords are plain names after a dot (event.sequence, process.parent.any …); in~ and kin are not. */
const SEGMENT_KEYWORDS = new Set(KEYWORDS.map((k) => `kw_${k}`));

/**
 * The parse of a whole token array as grammar/eql.ne's `main` (or `expr`), or undefined when the
 * tokens are not a query this reader accepts.
 */
export function descend(tokens: readonly LexToken[], start: 'main' | 'expr'): unknown {
  const reader = new Reader(tokens);
  try {
    const out = start === 'main' ? reader.main() : reader.expr();
    return reader.atEnd() ? out : undefined;
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
}

class Reader {
  private pos = 0;

  constructor(private readonly tokens: readonly LexToken[]) {}

  atEnd(): boolean {
    return this.pos === this.tokens.length;
  }

  // ── tokens ──

  private peek(ahead = 0): LexToken | undefined {
    return this.tokens[this.pos + ahead];
  }

  private isOp(t: LexToken | undefined, text: string): boolean {
    return t !== undefined && t.type === 'op' && t.text === text;
  }

  private isType(t: LexToken | undefined, type: string): boolean {
    return t !== undefined && t.type === type;
  }

  /** The next token, which must be the operator `text`. */
  private op(text: string): LexToken {
    const t = this.peek();
    if (!this.isOp(t, text)) throw GIVE_UP;
    this.pos++;
    return t!;
  }

  /** The next token, which must be of `type`. */
  private type(type: string): LexToken {
    const t = this.peek();
    if (t === undefined || t.type !== type) throw GIVE_UP;
    this.pos++;
    return t;
  }

  private take(): LexToken {
    const t = this.peek();
    if (t === undefined) throw GIVE_UP;
    this.pos++;
    return t;
  }

  // ── queries ──

  main(): A.Query {
    const query = this.query();
    const pipes: A.Pipe[] = [];
    while (this.isOp(this.peek(), '|')) pipes.push(this.pipe());
    return B.statement([query, pipes]);
  }

  private query(): A.Query {
    const t = this.peek();
    if (t === undefined) throw GIVE_UP;
    switch (t.type) {
      case 'kw_sequence': return this.sequence();
      case 'kw_sample': return this.sample();
      case 'kw_join': return this.join();
      default: return B.eventQuery([this.eventFilter()]);
    }
  }

  private eventFilter(): A.EventFilter {
    const category = this.take();
    if (!CATEGORY_TYPES.has(category.type!)) throw GIVE_UP;
    const where = this.type('kw_where');
    return B.eventFilter([category, where, this.expr()]);
  }

  private sequence(): A.SequenceQuery {
    const kw = this.take();
    let header: ReturnType<typeof B.seqHeaderByFirst> | null = null;
    const next = this.peek();
    if (this.isType(next, 'kw_by')) {
      const keys = this.joinKeys();
      header = B.seqHeaderByFirst([keys, this.isType(this.peek(), 'kw_with') ? this.maxspan() : null]);
    } else if (this.isType(next, 'kw_with')) {
      const span = this.maxspan();
      header = B.seqHeaderSpanFirst([span, this.isType(this.peek(), 'kw_by') ? this.joinKeys() : null]);
    }
    const steps = this.steps();
    const until = this.untilClause();
    return B.sequence([kw, header, steps, until]);
  }

  private sample(): A.SampleQuery {
    const kw = this.take();
    const keys = this.isType(this.peek(), 'kw_by') ? this.joinKeys() : null;
    return B.sample([kw, keys, this.steps()]);
  }

  private join(): A.JoinQuery {
    const kw = this.take();
    const keys = this.isType(this.peek(), 'kw_by') ? this.joinKeys() : null;
    const steps = this.steps();
    return B.join([kw, keys, steps, this.untilClause()]);
  }

  private maxspan(): A.MaxSpan {
    const withTok = this.type('kw_with');
    const kw = this.type('kw_maxspan');
    const eq = this.op('=');
    const num = this.type('number');
    const unit = this.isType(this.peek(), 'identifier') ? this.take() : null;
    return B.maxspan([withTok, kw, eq, num, unit]);
  }

  private joinKeys(): { keys: A.Expr[]; span: A.Span } {
    const by = this.type('kw_by');
    return B.joinKeys([by, this.exprList()]);
  }

  /** seqStep:+ */
  private steps(): A.SequenceStep[] {
    const steps = [this.step()];
    while (this.isOp(this.peek(), '[') || this.isOp(this.peek(), '![')) steps.push(this.step());
    return steps;
  }

  private untilClause(): A.SequenceStep | null {
    if (!this.isType(this.peek(), 'kw_until')) return null;
    const kw = this.take();
    return B.nth(1)([kw, this.step()]) as A.SequenceStep;
  }

  private step(): A.SequenceStep {
    const open = this.take();
    if (open.type !== 'op' || (open.text !== '[' && open.text !== '![')) throw GIVE_UP;
    const filter = this.eventFilter();
    const close = this.op(']');
    const keys = this.isType(this.peek(), 'kw_by') ? this.joinKeys() : null;
    let runs: ReturnType<typeof B.runs> | null = null;
    if (this.isType(this.peek(), 'kw_with')) {
      runs = B.runs([this.take(), this.type('identifier'), this.op('='), this.type('number')]);
    }
    let alias: { name: string; span: A.Span } | null = null;
    if (this.isType(this.peek(), 'identifier')) {
      const made = B.stepAlias([this.take(), this.type('identifier')], 0, REJECT);
      if (made === REJECT) throw GIVE_UP;
      alias = made as { name: string; span: A.Span };
    }
    return B.step(open.text === '![')([open, filter, close, keys, runs, alias]);
  }

  private pipe(): A.Pipe {
    const bar = this.take();
    const name = this.type('identifier');
    const next = this.peek();
    const args = next === undefined || this.isOp(next, '|') ? null : this.exprList();
    return B.pipe([bar, name, args]);
  }

  // ── expressions ──

  private exprList(): A.Expr[] {
    const list = [this.expr()];
    while (this.isOp(this.peek(), ',')) {
      this.pos++;
      list.push(this.expr());
    }
    return list;
  }

  expr(): A.Expr {
    return this.leftChain((t) => t.type === 'kw_or', OR, () => this.andExpr());
  }

  private andExpr(): A.Expr {
    return this.leftChain((t) => t.type === 'kw_and', AND, () => this.notExpr());
  }

  private notExpr(): A.Expr {
    const nots: LexToken[] = [];
    while (this.isType(this.peek(), 'kw_not')) nots.push(this.take());
    let e = this.compareExpr();
    for (let i = nots.length - 1; i >= 0; i--) e = B.not([nots[i]!, e]);
    return e;
  }

  private compareExpr(): A.Expr {
    const left = this.addExpr();
    const t = this.peek();
    if (t === undefined || t.type !== 'op' || !COMPARE_OPS.has(t.text)) return left;
    this.pos++;
    return B.compare([left, t, this.addExpr()]);
  }

  private addExpr(): A.Expr {
    return this.leftChain((t) => t.type === 'op' && ADD_OPS.has(t.text), B.arith, () => this.mulExpr());
  }

  private mulExpr(): A.Expr {
    return this.leftChain((t) => t.type === 'op' && MUL_OPS.has(t.text), B.arith, () => this.unaryExpr());
  }

  /**
   * operand (operator operand)*, folded to the left through `build`: the grammar's left-recursive
   * binary rules (or, and, + -, * / %), as a loop.
   */
  private leftChain(isOperator: (t: LexToken) => boolean, build: (d: [A.Expr, LexToken, A.Expr]) => A.Expr, operand: () => A.Expr): A.Expr {
    let left = operand();
    for (let t = this.peek(); t !== undefined && isOperator(t); t = this.peek()) {
      this.pos++;
      left = build([left, t, operand()]);
    }
    return left;
  }

  private unaryExpr(): A.Expr {
    const signs: LexToken[] = [];
    for (let t = this.peek(); this.isOp(t, '-') || this.isOp(t, '+'); t = this.peek()) signs.push(this.take());
    let e = this.predicateExpr();
    for (let i = signs.length - 1; i >= 0; i--) e = signs[i]!.text === '-' ? B.negate([signs[i]!, e]) : B.plus([signs[i]!, e]);
    return e;
  }

  private predicateExpr(): A.Expr {
    const primary = this.primary();
    const t = this.peek();
    if (t === undefined) return primary;
    if (t.type === 'kw_in' || t.type === 'kw_in_i') {
      this.pos++;
      const open = this.op('(');
      const list = this.exprList();
      return B.inExpr(false)([primary, t, open, list, this.op(')')]);
    }
    if (t.type === 'kw_not') {
      const inOp = this.peek(1);
      if (!this.isType(inOp, 'kw_in') && !this.isType(inOp, 'kw_in_i')) return primary;
      this.pos += 2;
      const open = this.op('(');
      const list = this.exprList();
      return B.inExpr(true)([primary, t, inOp, open, list, this.op(')')]);
    }
    if (this.isOp(t, ':') || MATCH_KEYWORDS.has(t.type!)) {
      this.pos++;
      if (this.isOp(this.peek(), '(')) {
        const open = this.take();
        const list = this.exprList();
        return B.matchExpr(true)([primary, t, open, list, this.op(')')]);
      }
      return B.matchExpr(false)([primary, t, this.matchOperand()]);
    }
    return primary;
  }

  /** literal | field | call: a primary that is neither parenthesised nor a lineage term. */
  private matchOperand(): A.Expr {
    const t = this.peek();
    if (t === undefined) throw GIVE_UP;
    if (this.isOp(t, '(') || (t.type === 'identifier' && this.isType(this.peek(1), 'kw_of'))) throw GIVE_UP;
    return this.primary();
  }

  private primary(): A.Expr {
    const t = this.peek();
    if (t === undefined) throw GIVE_UP;
    if (LITERAL_TYPES.has(t.type!)) return this.literal();
    if (t.type === 'op') {
      if (t.text === '(') {
        this.pos++;
        const inner = this.expr();
        return B.paren([t, inner, this.op(')')]);
      }
      if (t.text === '?') {
        this.pos++;
        return B.field(true)([t, this.fieldPath()]);
      }
      throw GIVE_UP;
    }
    if (t.type === 'identifier') {
      const next = this.peek(1);
      if (this.isOp(next, '(')) return this.call();
      if (this.isType(next, 'kw_of')) return this.lineage();
    }
    return B.field(false)([this.fieldPath()]);
  }

  private literal(): A.LiteralExpr {
    const t = this.take();
    switch (t.type) {
      case 'string': return B.stringLiteral([t]);
      case 'rawString': return B.rawStringLiteral([t]);
      case 'number': return B.numberLiteral([t]);
      case 'kw_null': return B.nullLiteral([t]);
      default: return B.boolLiteral([t]);
    }
  }

  private call(): A.CallExpr {
    const name = this.take();
    const open = this.op('(');
    const args = this.isOp(this.peek(), ')') ? null : this.exprList();
    return B.call([name, open, args, this.op(')')]);
  }

  private lineage(): A.Expr {
    const relation = this.take();
    const of = this.take();
    const open = this.op('[');
    const filter = this.eventFilter();
    const made = B.lineage([relation, of, open, filter, this.op(']')], 0, REJECT);
    if (made === REJECT) throw GIVE_UP;
    return made as A.Expr;
  }

  /** fieldName ("." fieldSegment)*: after a dot, keywords are plain names. */
  private fieldPath(): LexToken[] {
    const first = this.take();
    if (first.type !== 'identifier' && first.type !== 'backquoted') throw GIVE_UP;
    const path = [first];
    while (this.isOp(this.peek(), '.')) {
      this.pos++;
      const seg = this.take();
      if (seg.type !== 'identifier' && seg.type !== 'backquoted' && !SEGMENT_KEYWORDS.has(seg.type!)) throw GIVE_UP;
      path.push(seg);
    }
    return path;
  }
}
