// Elastic TOML rule files: what is loaded, skipped or rejected, and where the query sits in the file.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse, stringify } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { lineColOf } from '../src/shared/errors.js';
import { loadRules, queryPosition, type RuleSource } from '../src/shared/rules/index.js';
import { PositionCursor } from '../src/shared/rules/position.js';
import { findTomlValue } from '../src/shared/rules/toml-locate.js';
import { readTomlString } from '../src/shared/rules/toml-string.js';
import { readTomlRule } from '../src/shared/rules/toml-rule.js';
import { tomlRule, writeRuleTree } from './helpers/rule-tree.js';

function loadOne(text: string): RuleSource {
  const outcome = readTomlRule('r.toml', text);
  if (outcome.kind !== 'rule') throw new Error(`expected a rule, got ${JSON.stringify(outcome)}`);
  return outcome.rule;
}

describe('TOML rules: skipped and rejected files', () => {
  it('skips non-EQL rules and non-rule TOML with a reason', async () => {
    const root = writeRuleTree({
      'a_kuery.toml': tomlRule('k1').replace('language = "eql"', 'language = "kuery"').replace('type = "eql"', 'type = "query"'),
      'b_threshold.toml': tomlRule('t1').replace('language = "eql"', 'language = "kuery"').replace('type = "eql"', 'type = "threshold"'),
      'c_ml.toml': tomlRule('m1').replace('language = "eql"\n', '').replace('type = "eql"', 'type = "machine_learning"'),
      'd_esql.toml': tomlRule('e1').replace('language = "eql"', 'language = "esql"').replace('type = "eql"', 'type = "esql"'),
      'e_config.toml': '[tool]\nname = "not a rule"\n',
      'f_eql.toml': tomlRule('ok'),
    });
    const result = await loadRules([root]);
    expect(result.errors).toEqual([]);
    expect(result.rules.map((r) => r.id)).toEqual(['ok']);
    expect(result.skipped).toEqual([
      { file: path.join(root, 'a_kuery.toml'), reason: 'language kuery is not EQL', ruleId: 'k1' },
      { file: path.join(root, 'b_threshold.toml'), reason: 'language kuery is not EQL', ruleId: 't1' },
      { file: path.join(root, 'c_ml.toml'), reason: 'type machine_learning is not EQL', ruleId: 'm1' },
      { file: path.join(root, 'd_esql.toml'), reason: 'language esql is not EQL', ruleId: 'e1' },
      { file: path.join(root, 'e_config.toml'), reason: 'no [rule] table: not a detection rule' },
    ]);
  });

  it('reports unparseable TOML as a syntax error at file:line:col and carries on', async () => {
    const root = writeRuleTree({
      'bad.toml': '[rule]\nname = "x"\nseverity = \n',
      'good.toml': tomlRule('good'),
    });
    const { rules, errors } = await loadRules([root]);
    expect(rules.map((r) => r.id)).toEqual(['good']);
    expect(errors).toHaveLength(1);
    const [e] = errors;
    expect(e).toMatchObject({
      kind: 'syntax',
      code: 'rules.toml_syntax',
      message: 'invalid TOML: invalid value (3:12)',
      file: path.join(root, 'bad.toml'),
      context: { line: 3, col: 12 },
      span: { start: 29, end: 30 },
    });
  });

  it('reports a bad metadata value at its position', () => {
    const text = tomlRule('r1', "'''x'''", 'version = 2').replace('severity = "low"', 'severity = "urgent"');
    const outcome = readTomlRule('r.toml', text);
    expect(outcome.kind).toBe('error');
    if (outcome.kind !== 'error') return;
    const at = text.indexOf('"urgent"');
    const { line, col } = lineColOf(text, at);
    expect(outcome.error).toMatchObject({
      kind: 'semantic',
      code: 'rules.field',
      ruleId: 'r1',
      message: `[rule] severity must be one of low, medium, high, critical (${line}:${col})`,
    });
  });

  it('rejects a rule without rule_id or with a bad risk_score', () => {
    const noId = readTomlRule('r.toml', tomlRule('x').replace('rule_id = "x"\n', ''));
    expect(noId.kind === 'error' && noId.error.message).toBe('[rule] rule_id must be a non-empty string');
    const badRisk = readTomlRule('r.toml', tomlRule('x').replace('risk_score = 21', 'risk_score = 101'));
    expect(badRisk.kind === 'error' && badRisk.error.message).toBe('[rule] risk_score must be an integer from 0 to 100 (11:14)');
  });

  it('reads version when present, 1 otherwise', () => {
    expect(loadOne(tomlRule('v', "'''x'''", 'version = 7')).version).toBe(7);
    expect(loadOne(tomlRule('v')).version).toBe(1);
  });
});

describe('TOML rules: locating the query', () => {
  it('finds [rule] query past look-alikes in other tables, strings and comments', () => {
    const text = [
      '# query = "in a comment"',
      '[[transform.osquery]]',
      'query = "SELECT 1"',
      '[rule]',
      'note = """',
      '[rule]',
      "query = '''not this'''",
      '"""',
      'tags = ["a", "query = \'b\'", ] # query = 1',
      'meta = { query = "inline, elsewhere" }',
      "'query' = '''the one'''",
      '[rule.threat]',
      'query = "nor this"',
    ].join('\n');
    const at = findTomlValue(text, ['rule', 'query']);
    expect(text.slice(at)).toMatch(/^'''the one'''/);
  });

  it('finds dotted and inline-table spellings of rule.query', () => {
    for (const text of ['rule.query = "a"\n', 'rule = { name = "n", query = "a" }\n', '[rule]\n"query" = "a"\n']) {
      const at = findTomlValue(text, ['rule', 'query']);
      expect(text.slice(at, at + 3)).toBe('"a"');
    }
    expect(findTomlValue('[rules]\nquery = "a"\n', ['rule', 'query'])).toBe(-1);
  });

  it('finds rule.query in random documents written by smol-toml', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 });
    const scalar = fc.oneof(text, fc.integer(), fc.boolean(), fc.array(text, { maxLength: 3 }));
    const table = fc.dictionary(fc.constantFrom('query', 'name', 'a b', 'x.y', 'rule'), scalar, { maxKeys: 4 });
    fc.assert(
      fc.property(table, table, table, text, (before, inRule, after, query) => {
        const doc = { before, transform: { osquery: [{ query: 'SELECT 1' }, before] }, rule: { ...inRule, query, nested: after }, zz: after };
        const written = stringify(doc);
        const at = findTomlValue(written, ['rule', 'query']);
        expect(readTomlString(written, at, new PositionCursor(written)).value).toBe(query);
      }),
      { numRuns: 300 },
    );
  });

  it('places literal, multi-line literal and multi-line basic queries', () => {
    for (const literal of ["'process where true'", "'''\nprocess where true\n'''", '"""\r\nprocess where true"""', '"process where true"']) {
      const text = tomlRule('q', literal);
      const rule = loadOne(text);
      expect(rule.query.replace(/\s+$/, '')).toBe('process where true');
      expect(text.startsWith('process where', rule.queryBase.offset)).toBe(true);
      expect(lineColOf(text, rule.queryBase.offset)).toEqual({ line: rule.queryBase.line, col: rule.queryBase.col });
      expect(rule.querySegments).toBeUndefined();
    }
  });

  it('maps offsets inside a basic string with escapes and line continuations to the file', () => {
    const literal = '"""\nprocess where process.name == \\"sh\\" and \\\n    process.args : \\"\\u00e9*\\"\\tor\r\n\\U0001F600 == \\\\x"""';
    const text = tomlRule('esc', literal);
    const rule = loadOne(text);
    expect(rule.query).toBe('process where process.name == "sh" and process.args : "é*"\tor\r\n😀 == \\x');
    const pos = (needle: string): { line: number; col: number } => {
      const p = queryPosition(rule, rule.query.indexOf(needle));
      return { line: p.line, col: p.col };
    };
    const queryLine = text.split('\n').indexOf('process where process.name == \\"sh\\" and \\') + 1;
    expect(pos('process where')).toEqual({ line: queryLine, col: 1 });
    expect(pos('"sh"')).toEqual({ line: queryLine, col: 31 }); // the backslash of \"
    expect(pos('sh"')).toEqual({ line: queryLine, col: 33 });
    expect(pos('process.args')).toEqual({ line: queryLine + 1, col: 5 }); // after the continuation
    expect(pos('é')).toEqual({ line: queryLine + 1, col: 22 }); // the \u00e9 escape
    expect(pos('*"')).toEqual({ line: queryLine + 1, col: 28 });
    expect(pos('😀')).toEqual({ line: queryLine + 2, col: 1 });
    expect(pos(' == \\')).toEqual({ line: queryLine + 2, col: 11 });
    // The end of the query is the closing delimiter.
    const end = queryPosition(rule, rule.query.length);
    expect(text.startsWith('"""', end.offset)).toBe(true);
  });

  it('maps every offset of random escaped basic strings back to its source character', () => {
    const piece = fc.oneof(
      fc.constantFrom('a', 'b ', '==', '\n', '*', 'é', '😀'),
      fc.constantFrom('\\"', '\\\\', '\\n', '\\t', '\\r', '\\u00e9', '\\U0001F600', '\\\n   ', '\\  \n\n  '),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.boolean(), (pieces, multiline) => {
        const body = multiline ? pieces.join('') : pieces.filter((p) => !p.includes('\n')).join('');
        const literal = multiline ? `"""${body}x"""` : `"${body}x"`;
        const text = tomlRule('p', literal);
        const rule = loadOne(text);
        expect(rule.query).toBe((parse(text) as { rule: { query: string } }).rule.query);
        for (let k = 0; k <= rule.query.length; k++) {
          const p = queryPosition(rule, k);
          expect(lineColOf(text, p.offset)).toEqual({ line: p.line, col: p.col });
          if (k === rule.query.length) expect(text[p.offset]).toBe('"');
          else expect([rule.query[k], '\\']).toContain(text[p.offset]);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('TOML rules in a folder', () => {
  it('reports duplicate rule ids naming both files, keeping the first', async () => {
    const root = writeRuleTree({ 'a/one.toml': tomlRule('same'), 'b/two.toml': tomlRule('same'), 'c.toml': tomlRule('other') });
    const { rules, errors } = await loadRules([root]);
    expect(rules.map((r) => [r.id, path.relative(root, r.file)])).toEqual([
      ['same', path.join('a', 'one.toml')],
      ['other', 'c.toml'],
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'rules.duplicate_id', file: path.join(root, 'b/two.toml'), ruleId: 'same' });
    expect(errors[0]!.message).toBe(`duplicate rule id "same": also used by ${path.join(root, 'a/one.toml')}; this file's rule is not loaded`);
  });

  it('keeps the file text untouched: the query slice equals the raw file slice', async () => {
    const root = writeRuleTree({ 'r.toml': tomlRule('raw', "'''\n  process where true  \n'''") });
    const { rules } = await loadRules([root]);
    const raw = readFileSync(path.join(root, 'r.toml'), 'utf8');
    expect(raw.slice(rules[0]!.queryBase.offset, rules[0]!.queryBase.offset + rules[0]!.query.length)).toBe(rules[0]!.query);
    expect(rules[0]!.query).toBe('  process where true  \n');
  });
});
