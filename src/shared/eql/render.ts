// AST → canonical EQL text. Parentheses appear only where precedence requires them, strings use
// the minimal escapes, and fields are back-quoted only when they are not plain identifiers.
// Invariant (tested over every corpus and conformance query): parse(render(ast)) ≡ ast.
import type * as A from './ast.js';
import { KEYWORDS } from './lexer.js';

const KEYWORD_SET = new Set<string>(KEYWORDS);
const IDENTIFIER = /^[A-Za-z_@][A-Za-z0-9_]*$/;

/** Binding strength; a child binding more weakly than its slot allows is parenthesised. */
const enum Prec {
  Or = 1,
  And = 2,
  Not = 3,
  Compare = 4,
  Add = 5,
  Mul = 6,
  Unary = 7,
  Predicate = 8,
  Primary = 9,
}

function precOf(e: A.Expr): Prec {
  switch (e.kind) {
    case 'logical':
      return e.op === 'or' ? Prec.Or : Prec.And;
    case 'not':
      return Prec.Not;
    case 'compare':
      return Prec.Compare;
    case 'arith':
      return e.op === '+' || e.op === '-' ? Prec.Add : Prec.Mul;
    case 'neg':
      return Prec.Unary;
    case 'in':
    case 'match':
      return Prec.Predicate;
    case 'literal':
      // A negative number literal renders with a leading minus, which binds like unary minus.
      return (e.type === 'long' || e.type === 'double') && isNegative(e.value as bigint | number) ? Prec.Unary : Prec.Primary;
    default:
      return Prec.Primary;
  }
}

function isNegative(v: bigint | number): boolean {
  return typeof v === 'bigint' ? v < 0n : v < 0 || Object.is(v, -0);
}

function wrap(e: A.Expr, min: Prec): string {
  const s = renderExpr(e);
  return precOf(e) < min ? `(${s})` : s;
}

export function renderExpr(e: A.Expr): string {
  switch (e.kind) {
    case 'literal':
      return renderLiteral(e);
    case 'field':
      return (e.optional ? '?' : '') + e.path.map((seg, i) => renderName(seg, i > 0)).join('.');
    case 'not':
      return `not ${wrap(e.operand, Prec.Not)}`;
    case 'neg':
      return `-${wrap(e.operand, Prec.Unary)}`;
    case 'logical': {
      const min = e.op === 'or' ? Prec.Or : Prec.And;
      // Same-operator children are only nested when the user grouped them; keep that grouping.
      return e.operands.map((o) => (precOf(o) <= min && o.kind === 'logical' ? `(${renderExpr(o)})` : wrap(o, min))).join(` ${e.op} `);
    }
    case 'compare':
      return `${wrap(e.left, Prec.Add)} ${e.op} ${wrap(e.right, Prec.Add)}`;
    case 'arith': {
      const own = precOf(e);
      return `${wrap(e.left, own)} ${e.op} ${wrap(e.right, (own + 1) as Prec)}`;
    }
    case 'in':
      return `${wrap(e.expr, Prec.Primary)} ${e.negated ? 'not ' : ''}in${e.insensitive ? '~' : ''} (${e.values.map(renderExpr).join(', ')})`;
    case 'match': {
      const op = e.op === ':' ? ':' : `${e.op}${e.insensitive ? '~' : ''}`;
      const single = e.patterns.length === 1 && !e.list && isSimpleOperand(e.patterns[0]);
      const rhs = single ? renderExpr(e.patterns[0]) : `(${e.patterns.map(renderExpr).join(', ')})`;
      return `${e.negated ? 'not ' : ''}${wrap(e.expr, Prec.Primary)} ${op} ${rhs}`;
    }
    case 'call':
      return `${e.name}${e.insensitive ? '~' : ''}(${e.args.map(renderExpr).join(', ')})`;
    case 'lineage':
      return `${e.relation} of [${e.filter.category ?? 'any'} where ${renderExpr(e.filter.where)}]`;
  }
}

function isSimpleOperand(e: A.Expr): boolean {
  return e.kind === 'field' || e.kind === 'call' || (e.kind === 'literal' && precOf(e) === Prec.Primary);
}

function renderLiteral(e: A.LiteralExpr): string {
  switch (e.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return e.value ? 'true' : 'false';
    case 'long':
      return String(e.value);
    case 'double': {
      const v = e.value as number;
      const s = Object.is(v, -0) ? '-0.0' : String(v);
      // Keep a decimal point or exponent so the text re-parses as a double, not a long.
      return /[.eE]/.test(s) ? s : `${s}.0`;
    }
    case 'string':
      return renderString(e.value as string);
  }
}

const STRING_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

export function renderString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const esc = STRING_ESCAPES[ch];
    if (esc) out += esc;
    else if (ch.charCodeAt(0) < 0x20 || ch === '\u2028' || ch === '\u2029') out += `\\u{${ch.codePointAt(0)!.toString(16)}}`;
    else out += ch;
  }
  return out + '"';
}

/** A field segment or category: bare when it is a plain identifier, back-quoted otherwise. */
function renderName(name: string, afterDot: boolean): string {
  if (IDENTIFIER.test(name) && (afterDot || !KEYWORD_SET.has(name))) return name;
  return '`' + name.replace(/`/g, '``') + '`';
}

function renderFilter(f: A.EventFilter): string {
  const cat = f.category === null ? 'any' : IDENTIFIER.test(f.category) && !KEYWORD_SET.has(f.category) ? f.category : renderString(f.category);
  return `${cat} where ${renderExpr(f.where)}`;
}

function renderKeys(keys: A.Expr[]): string {
  return keys.length ? ` by ${keys.map(renderExpr).join(', ')}` : '';
}

function renderStep(s: A.SequenceStep): string {
  const runs = s.runs ? ` with runs=${s.runs.value}` : '';
  return `${s.missing ? '!' : ''}[${renderFilter(s.filter)}]${renderKeys(s.by)}${runs}`;
}

function renderPipes(pipes: A.Pipe[]): string {
  return pipes.map((p) => ` | ${p.name}${p.args.length ? ' ' + p.args.map(renderExpr).join(', ') : ''}`).join('');
}

export function renderQuery(q: A.Query): string {
  switch (q.kind) {
    case 'event':
      return renderFilter(q.filter) + renderPipes(q.pipes);
    case 'sequence': {
      const span = q.maxspan ? ` with maxspan=${q.maxspan.value}${q.maxspan.unit}` : '';
      const until = q.until ? ` until ${renderStep(q.until)}` : '';
      return `sequence${renderKeys(q.by)}${span} ${q.steps.map(renderStep).join(' ')}${until}${renderPipes(q.pipes)}`;
    }
    case 'sample':
      return `sample${renderKeys(q.by)} ${q.steps.map(renderStep).join(' ')}${renderPipes(q.pipes)}`;
    case 'join': {
      const until = q.until ? ` until ${renderStep(q.until)}` : '';
      return `join${renderKeys(q.by)} ${q.steps.map(renderStep).join(' ')}${until}${renderPipes(q.pipes)}`;
    }
  }
}
