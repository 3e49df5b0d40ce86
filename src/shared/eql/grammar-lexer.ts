// Nearley pulls tokens through this lexer interface. Tokenising happens up front in parser.ts (so
// limits and lexical errors are handled before the Earley parser sees anything); this adapter then
// replays the filtered token array to nearley.
import type { Token } from './lexer.js';

/** The token types the grammar may name with %type. */
const TYPES = new Set([
  'identifier', 'string', 'rawString', 'number', 'backquoted',
  'kw_and', 'kw_or', 'kw_not', 'kw_in', 'kw_like', 'kw_regex', 'kw_where', 'kw_sequence', 'kw_sample',
  'kw_join', 'kw_until', 'kw_by', 'kw_with', 'kw_maxspan', 'kw_any', 'kw_of', 'kw_true', 'kw_false',
  'kw_null', 'kw_in_i', 'kw_like_i', 'kw_regex_i',
]);

export class TokenArrayLexer {
  private index = 0;
  constructor(private readonly tokens: Token[] = []) {}

  reset(): void {
    this.index = 0;
  }
  next(): Token | undefined {
    return this.tokens[this.index++];
  }
  save(): Record<string, never> {
    return {};
  }
  formatError(token: Token): string {
    return `unexpected ${token.text}`;
  }
  has(type: string): boolean {
    return TYPES.has(type);
  }
}

/** The instance nearleyc's `@lexer` directive binds to; parser.ts swaps in a loaded one per parse. */
export const grammarLexer = new TokenArrayLexer();
