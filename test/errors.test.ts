import { describe, expect, it } from 'vitest';
import { EqlSyntaxError, InputError, ExitCode, exitCodeFor, lineColOf } from '../src/shared/errors.js';
import { formatError } from '../src/main/format-error.js';

describe('errors', () => {
  it('computes 1-based line and column from an offset', () => {
    expect(lineColOf('ab\ncd', 0)).toEqual({ line: 1, col: 1 });
    expect(lineColOf('ab\ncd', 4)).toEqual({ line: 2, col: 2 });
  });

  it('maps error kinds to documented exit codes', () => {
    expect(exitCodeFor(new EqlSyntaxError('x', 'y'))).toBe(ExitCode.ruleError);
    expect(exitCodeFor(new InputError('x', 'y'))).toBe(ExitCode.inputError);
    expect(exitCodeFor(new Error('boom'))).toBe(ExitCode.internal);
  });

  it('renders file:line:col, the source line and carets under the span', () => {
    const src = 'process where\n  process.name = "sh"';
    const err = new EqlSyntaxError('eql.syntax', 'unexpected =', { span: { start: 29, end: 30 }, hint: 'Compare with == instead of =' });
    expect(formatError(err, { name: 'r.eql', text: src })).toBe(
      ['r.eql:2:16: syntax error: unexpected =', '  |', '2 |   process.name = "sh"', '  |                ^', 'hint: Compare with == instead of ='].join('\n'),
    );
  });
});
