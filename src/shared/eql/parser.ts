// EQL text → AST. Three passes: tokenize (moo) with limits and lexical checks, decode literal
// values, then the parse: by recursive descent (descent-parser.ts), and by nearley's Earley parser
// where that gives up, which is where every error is found and worded. Every failure is an
// EqlSyntaxError or LimitError with the span of the offending text; nothing else escapes (fuzz
// tests hold us to that).
import nearley from 'nearley';
import grammar from './generated/eql.js';
import { lexer, SKIPPED } from './lexer.js';
import { TokenArrayLexer } from './grammar-lexer.js';
import { descend } from './descent-parser.js';
import type { LexToken } from './build.js';
import type { Expr, Query } from './ast.js';
import { EqlSyntaxError, LimitError } from '../errors.js';

/**
 * Documented limits (docs/eql.md). They bound parse time and memory for hostile input: Earley
 * parsing is linear for this grammar but allocates per token, and later passes recurse on nesting.
 */
export const PARSE_LIMITS = {
  /** Characters in one query. Real rules are < 10 KB; the largest Elastic Linux rule is ~6 KB. */
  maxQueryLength: 256 * 1024,
  /** Significant tokens in one query. */
  maxTokens: 40_000,
  /** Nesting of ( and [ . */
  maxNesting: 128,
} as const;

const compiled = nearley.Grammar.fromCompiled(grammar as unknown as nearley.CompiledRules);
const exprGrammar = nearley.Grammar.fromCompiled({ ...(grammar as unknown as nearley.CompiledRules), ParserStart: 'expr' });

/**
 * Parsed queries by text, most recently used last. A run parses each rule's query several times
 * (checking, compiling, routing, the predicate module); the AST is never mutated after parsing
 * (the checker builds a new typed tree), so one parse serves all.
 */
const parsed = new Map<string, Query>();
const PARSE_CACHE_ENTRIES = 4096;

export function parseQuery(text: string): Query {
  const hit = parsed.get(text);
  if (hit !== undefined) {
    parsed.delete(text);
    parsed.set(text, hit);
    return hit;
  }
  const q = runParser(compiled, text) as Query;
  parsed.set(text, q);
  if (parsed.size > PARSE_CACHE_ENTRIES) parsed.delete(parsed.keys().next().value!);
  return q;
}

/**
 * The parsed form of each text (parsing those not parsed yet), to hand to another thread, which
 * then need not parse them again (seedParsedQueries). ASTs are plain, structured-clonable data.
 */
export function exportParsedQueries(texts: readonly string[]): [string, Query][] {
  return texts.map((t) => [t, parseQuery(t)]);
}

/** Adds queries parsed elsewhere (exportParsedQueries) to this thread's parse cache. */
export function seedParsedQueries(entries: readonly [string, Query][]): void {
  for (const [text, q] of entries) if (!parsed.has(text)) parsed.set(text, q);
  while (parsed.size > PARSE_CACHE_ENTRIES) parsed.delete(parsed.keys().next().value!);
}

/** Parses a lone expression (used for constant-folding tests and `kestrel query --where`-style use). */
export function parseExpression(text: string): Expr {
  return runParser(exprGrammar, text) as Expr;
}

function runParser(g: nearley.Grammar, text: string): unknown {
  const tokens = tokenize(text);
  // The fast path; what it does not accept (every error among it) nearley parses and reports.
  if (useDescent) {
    const fast = descend(tokens, g === exprGrammar ? 'expr' : 'main');
    if (fast !== undefined) return fast;
  }
  return runEarley(g, text, tokens);
}

/**
 * parseQuery without the parse cache, by the given reader ('descent' gives up to nearley as
 * parseQuery does; 'earley' is nearley alone): for the front-end bench, which times each.
 */
export function parseQueryUncached(text: string, reader: 'descent' | 'earley' = 'descent'): Query {
  return (reader === 'descent' ? runParser(compiled, text) : runEarley(compiled, text, tokenize(text))) as Query;
}

/**
 * Both readings of one text, uncached, for the test that they agree: the descent parser's tree
 * (undefined where it gives up) and the Earley parser's tree or error.
 */
export function parseEachWay(text: string, start: 'main' | 'expr' = 'main'): { descent: unknown; earley: unknown } {
  const g = start === 'main' ? compiled : exprGrammar;
  let tokens: LexToken[];
  try {
    tokens = tokenize(text);
  } catch (e) {
    return { descent: undefined, earley: e };
  }
  const descent = descend(tokens, start);
  let earley: unknown;
  try {
    earley = runEarley(g, text, tokens);
  } catch (e) {
    earley = e;
  }
  return { descent, earley };
}

/** KESTREL_EQL_PARSER=earley: the Earley parser alone (descent-parser.ts is then never tried). */
const useDescent = process.env.KESTREL_EQL_PARSER !== 'earley';

/** The Earley parse of tokenize(text): the grammar's reference reading, and its error messages. */
function runEarley(g: nearley.Grammar, text: string, tokens: LexToken[]): unknown {
  const parser = new nearley.Parser(g);
  (parser as unknown as { lexer: TokenArrayLexer }).lexer = new TokenArrayLexer(tokens);
  // nearley's own message walks the whole parse table; we build a shorter one ourselves.
  (parser as unknown as { reportError: () => string }).reportError = () => '';
  try {
    parser.feed('');
  } catch (e) {
    const token = (e as { token?: LexToken }).token;
    if (!token) throw e;
    throw unexpectedToken(text, token, expectedAfter(parser));
  }
  if (parser.results.length === 0) {
    const last = tokens[tokens.length - 1];
    const at = text.length;
    const what = last ? 'unexpected end of query' : 'empty query';
    const expected = expectedAfter(parser, true);
    throw new EqlSyntaxError('eql.syntax.eof', `${what}${expected ? `, expected ${expected}` : ''}`, { span: { start: at, end: at } });
  }
  // An ambiguous grammar is a bug in grammar/eql.ne, never the user's fault.
  if (parser.results.length > 1) throw new Error(`internal: ambiguous parse (${parser.results.length} trees)`);
  return parser.results[0];
}

// ───────────────────────────── tokenizer pass ─────────────────────────────

function tokenize(text: string): LexToken[] {
  if (text.length > PARSE_LIMITS.maxQueryLength) {
    throw new LimitError('eql.limit.length', `query is ${text.length} characters; the limit is ${PARSE_LIMITS.maxQueryLength}`, {
      span: { start: PARSE_LIMITS.maxQueryLength, end: text.length },
    });
  }
  lexer.reset(text);
  const out: LexToken[] = [];
  let depth = 0;
  for (let tok = lexer.next() as LexToken | undefined; tok; tok = lexer.next() as LexToken | undefined) {
    if (SKIPPED.has(tok.type!)) continue;
    checkLexical(tok);
    if (tok.type === 'op') {
      if (tok.text === '(' || tok.text === '[' || tok.text === '![') {
        if (++depth > PARSE_LIMITS.maxNesting) {
          throw new LimitError('eql.limit.nesting', `nesting deeper than ${PARSE_LIMITS.maxNesting} levels`, { span: spanOf(tok) });
        }
      } else if (tok.text === ')' || tok.text === ']') depth--;
      // Operators are matched by literal in the grammar; give them their own type so nearley's
      // literal comparison sees the text.
    }
    if (tok.type === 'string' || tok.type === 'rawString' || tok.type === 'number') tok.decoded = decodeLiteral(tok);
    out.push(tok);
    if (out.length > PARSE_LIMITS.maxTokens) {
      throw new LimitError('eql.limit.tokens', `query has more than ${PARSE_LIMITS.maxTokens} tokens`, { span: spanOf(tok) });
    }
  }
  return out;
}

function spanOf(t: LexToken) {
  return { start: t.offset, end: t.offset + t.text.length };
}

/** Tokens that are never valid, each with the message and hint a user needs. */
function checkLexical(t: LexToken): void {
  const span = spanOf(t);
  switch (t.type) {
    case 'singleQuoted':
      throw new EqlSyntaxError('eql.syntax.single_quote', "single quotes are not string delimiters in EQL", {
        span,
        hint: 'Use double quotes ["] to define string literals, not single quotes [\']',
      });
    case 'questionString':
      throw new EqlSyntaxError('eql.syntax.question_string', '?"..." strings are not supported', {
        span,
        hint: 'Use triple quotes ["""] to define unescaped string literals',
      });
    case 'unterminatedString':
    case 'unterminatedRawString':
      throw new EqlSyntaxError('eql.syntax.unterminated_string', 'unterminated string literal', { span: { start: t.offset, end: t.offset + 1 } });
    case 'unterminatedBackquote':
      throw new EqlSyntaxError('eql.syntax.unterminated_identifier', 'unterminated back-quoted identifier', { span: { start: t.offset, end: t.offset + 1 } });
    case 'unterminatedComment':
      throw new EqlSyntaxError('eql.syntax.unterminated_comment', 'unterminated /* comment', { span: { start: t.offset, end: t.offset + 2 } });
    case 'invalid':
      throw new EqlSyntaxError('eql.syntax.invalid_character', `invalid character ${JSON.stringify(t.text)}`, { span });
    case 'backquoted':
      if (t.text === '``') throw new EqlSyntaxError('eql.syntax.empty_identifier', 'empty back-quoted identifier', { span });
      return;
    case 'op':
      if (t.text === '&&' || t.text === '||' || t.text === '&') {
        throw new EqlSyntaxError('eql.syntax.operator', `unknown operator ${t.text}`, { span, hint: `Use ${t.text === '||' ? 'or' : 'and'} instead of ${t.text}` });
      }
      return;
    default:
      return;
  }
}

const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', "'": "'", '\\': '\\' };
const U64_MAX = (1n << 64n) - 1n;

function decodeLiteral(t: LexToken): string | bigint | number {
  if (t.type === 'rawString') {
    // """…""" with up to two trailing quotes that belong to the content.
    return t.text.slice(3, -3);
  }
  if (t.type === 'number') {
    if (/^\d+$/.test(t.text)) {
      const v = BigInt(t.text);
      if (v > U64_MAX) throw new EqlSyntaxError('eql.syntax.number_range', `number ${t.text} is too large`, { span: spanOf(t) });
      return v;
    }
    const v = Number(t.text);
    if (!Number.isFinite(v)) throw new EqlSyntaxError('eql.syntax.number_range', `number ${t.text} is out of range`, { span: spanOf(t) });
    return v;
  }
  // Double-quoted string with escapes.
  const s = t.text;
  let out = '';
  for (let i = 1; i < s.length - 1; i++) {
    const c = s[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[i + 1];
    if (e === 'u') {
      const m = /^\{([0-9A-Fa-f]{1,8})\}/.exec(s.slice(i + 2));
      const code = m ? parseInt(m[1], 16) : NaN;
      if (!m || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        throw new EqlSyntaxError('eql.syntax.escape', 'invalid unicode escape', {
          span: { start: t.offset + i, end: t.offset + i + 2 + (m ? m[0].length : 0) },
          hint: 'Write unicode escapes as \\u{XXXX} with 1 to 8 hex digits of a valid code point',
        });
      }
      out += String.fromCodePoint(code);
      i += 1 + m[0].length;
      continue;
    }
    const mapped = ESCAPES[e];
    if (mapped === undefined) {
      throw new EqlSyntaxError('eql.syntax.escape', `invalid escape sequence \\${e}`, {
        span: { start: t.offset + i, end: t.offset + i + 2 },
        hint: 'Valid escapes are \\b \\t \\n \\f \\r \\" \\\' \\\\ and \\u{XXXX}; use """raw strings""" for regexes and Windows paths',
      });
    }
    out += mapped;
    i++;
  }
  return out;
}

// ───────────────────────────── error messages ─────────────────────────────

/** Friendly names for the token types the grammar expects. */
const TYPE_NAMES: Record<string, string> = {
  identifier: 'a field or function name',
  string: 'a string',
  rawString: 'a string',
  number: 'a number',
  backquoted: 'a field name',
};

type ParserInternals = { table: { states: { rule: { symbols: unknown[] }; dot: number }[] }[] };

/** The terminals the parser could have accepted at the point of failure. */
function expectedAfter(parser: nearley.Parser, atEnd = false): string {
  const table = (parser as unknown as ParserInternals).table;
  const column = table[atEnd ? table.length - 1 : table.length - 2];
  if (!column) return '';
  const names = new Set<string>();
  for (const state of column.states) {
    const sym = state.rule.symbols[state.dot] as { literal?: string; type?: string } | string | undefined;
    if (!sym || typeof sym === 'string') continue;
    if (sym.literal !== undefined) names.add(`'${sym.literal}'`);
    else if (sym.type?.startsWith('kw_')) names.add(`'${sym.type.slice(3).replace('_i', '~')}'`);
    else if (sym.type) names.add(TYPE_NAMES[sym.type] ?? sym.type);
  }
  const list = [...names].sort();
  if (list.length === 0) return '';
  if (list.length > 8) return `${list.slice(0, 8).join(', ')}, …`;
  return list.length === 1 ? list[0] : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}

function unexpectedToken(text: string, token: LexToken, expected: string): EqlSyntaxError {
  const span = spanOf(token);
  let hint: string | undefined;
  if (token.text === '=') hint = 'Compare with == instead of =';
  else if (token.text === '!' ) hint = 'Use not, or != for inequality; ![ starts a missing event';
  else if (token.type === 'identifier' && /^(AND|OR|NOT|WHERE|IN|SEQUENCE|BY|UNTIL)$/.test(token.text)) {
    hint = `EQL keywords are lower case: use ${token.text.toLowerCase()}`;
  } else if (token.type === 'identifier' && token.text.endsWith('~')) {
    hint = 'A trailing ~ is only valid on function names and in~, like~, regex~';
  }
  const shown = token.text.length > 40 ? `${token.text.slice(0, 40)}…` : token.text;
  void text;
  return new EqlSyntaxError('eql.syntax.unexpected', `unexpected ${shown}${expected ? `, expected ${expected}` : ''}`, { span, hint });
}
