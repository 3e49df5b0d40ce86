// The EQL tokenizer (moo). Token types are data: the grammar in grammar/eql.ne refers to them by
// `%type` or by literal value. Errors that are best caught here (single-quoted strings, bad
// escapes, unterminated strings) get a clear message and a hint instead of a bare "unexpected".
import moo from 'moo';

/**
 * Keywords are lower-case only, as in Elasticsearch's EQL lexer. `runs` and pipe names (`head`,
 * `tail`) are ordinary identifiers that the grammar recognises by value.
 */
export const KEYWORDS = [
  'and', 'or', 'not', 'in', 'like', 'regex', 'where', 'sequence', 'sample', 'join', 'until', 'by',
  'with', 'maxspan', 'any', 'of', 'true', 'false', 'null',
] as const;

const INSENSITIVE_KEYWORDS = ['in~', 'like~', 'regex~'] as const;

const keywordType = moo.keywords(
  Object.fromEntries([...KEYWORDS, ...INSENSITIVE_KEYWORDS].map((k) => [`kw_${k.replace('~', '_i')}`, k])),
);

/** Token rules, in priority order (moo tries regexes in the order given). */
const rules: moo.Rules = {
  ws: { match: /[ \t\r\n\f]+/, lineBreaks: true },
  lineComment: /\/\/[^\r\n]*/,
  blockComment: { match: /\/\*[^]*?\*\//, lineBreaks: true },
  unterminatedComment: { match: /\/\*[^]*/, lineBreaks: true },
  // """raw""" strings: no escapes; up to two extra quotes before the closing triple belong to the
  // content ("""a"""" is the string a"), as in Elasticsearch.
  rawString: { match: /"""[^]*?"""(?:""?(?!"))?/, lineBreaks: true },
  unterminatedRawString: { match: /"""[^]*/, lineBreaks: true },
  string: /"(?:\\[^\r\n]|[^"\\\r\n])*"/,
  unterminatedString: /"(?:\\[^\r\n]|[^"\\\r\n])*/,
  singleQuoted: /'(?:\\[^\r\n]|[^'\\\r\n])*'?/,
  questionString: /\?"(?:\\"|[^"\r\n])*"?|\?'(?:\\'|[^'\r\n])*'?/,
  backquoted: /`(?:``|[^`])*`/,
  unterminatedBackquote: /`(?:``|[^`])*/,
  number: /(?:\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)/,
  // A trailing ~ makes a case-insensitive function name (startsWith~) or keyword (in~, like~).
  identifier: { match: /[A-Za-z_@][A-Za-z0-9_]*~?/, type: keywordType },
  op: ['![', '==', '!=', '<=', '>=', '<', '>', '=', ':', '+', '-', '*', '/', '%', '(', ')', '[', ']', ',', '|', '!', '.', '?', '&&', '||', '&', '~'],
  invalid: { match: /[^]/, lineBreaks: true },
};

export const lexer = moo.compile(rules);

/** Token types that carry no meaning for the grammar. */
export const SKIPPED = new Set(['ws', 'lineComment', 'blockComment']);

export type Token = moo.Token;
