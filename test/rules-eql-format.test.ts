// Kestrel's `.eql` rule files: the `// key: value` header, defaults, and errors.
import path from 'node:path';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { lineColOf } from '../src/shared/errors.js';
import { readEqlRule } from '../src/shared/rules/eql-rule.js';
import { loadRules, type RuleSource } from '../src/shared/rules/index.js';
import { tomlRule, writeRuleTree } from './helpers/rule-tree.js';

function read(text: string): ReturnType<typeof readEqlRule> {
  return readEqlRule('x/r.eql', text, 'x/r', 'r');
}
function readRule(text: string): RuleSource {
  const outcome = read(text);
  if (outcome.kind !== 'rule') throw new Error(`expected a rule, got ${JSON.stringify(outcome)}`);
  return outcome.rule;
}

const FULL = [
  '// id: 7d4c3f0e-1111-4a4a-9b9b-000000000001',
  '// name: Web server spawned a shell',
  '// description: A web server process started a shell,',
  '//   as a web shell would.',
  '// severity: high',
  '// risk_score: 73',
  '// tags: OS: Linux, Tactic: Persistence',
  '// tags: Data Source: Kestrel',
  '// mitre: TA0003 T1505.003, TA0002 T1059.004',
  '// mitre: TA0002 T1059',
  '// version: 3',
  '// See https://attack.mitre.org/techniques/T1505/003/ for background.',
  '',
  'process where event.type == "start" // trailing comment stays in the query',
  '  and process.parent.name in ("nginx", "apache2")',
  '',
].join('\n');

describe('.eql rule header', () => {
  it('reads every header key', () => {
    const rule = readRule(FULL);
    expect(rule).toMatchObject({
      id: '7d4c3f0e-1111-4a4a-9b9b-000000000001',
      name: 'Web server spawned a shell',
      description: 'A web server process started a shell, as a web shell would.',
      severity: 'high',
      riskScore: 73,
      version: 3,
      tags: ['OS: Linux', 'Tactic: Persistence', 'Data Source: Kestrel'],
      language: 'eql',
      type: 'eql',
      format: 'eql',
      file: 'x/r.eql',
    });
    expect(rule.threat).toEqual([
      {
        framework: 'MITRE ATT&CK',
        tactic: { id: 'TA0003', name: 'Persistence', reference: 'https://attack.mitre.org/tactics/TA0003/' },
        technique: [
          {
            id: 'T1505',
            reference: 'https://attack.mitre.org/techniques/T1505/',
            subtechnique: [{ id: 'T1505.003', reference: 'https://attack.mitre.org/techniques/T1505/003/' }],
          },
        ],
      },
      {
        framework: 'MITRE ATT&CK',
        tactic: { id: 'TA0002', name: 'Execution', reference: 'https://attack.mitre.org/tactics/TA0002/' },
        technique: [
          {
            id: 'T1059',
            reference: 'https://attack.mitre.org/techniques/T1059/',
            subtechnique: [{ id: 'T1059.004', reference: 'https://attack.mitre.org/techniques/T1059/004/' }],
          },
        ],
      },
    ]);
  });

  it('takes the query from the first non-comment line to the end, with its file position', () => {
    const rule = readRule(FULL);
    expect(rule.query).toBe(
      'process where event.type == "start" // trailing comment stays in the query\n  and process.parent.name in ("nginx", "apache2")',
    );
    expect(rule.queryBase).toEqual({ offset: FULL.indexOf('process where'), line: 14, col: 1 });
  });

  it('fills defaults: derived id, file stem as name, medium severity with its risk score', () => {
    const rule = readRule('\n  process where true\n');
    expect(rule).toMatchObject({ id: 'x/r', name: 'r', description: '', severity: 'medium', riskScore: 47, version: 1, tags: [], threat: [] });
    expect(rule.queryBase).toEqual({ offset: 3, line: 2, col: 3 });
    expect(readRule('// severity: critical\nprocess where true').riskScore).toBe(99);
  });

  it('keeps block comments and CRLF line ends in the query', () => {
    const rule = readRule('// name: crlf\r\n/* why */\r\nprocess where true\r\n');
    expect(rule.name).toBe('crlf');
    expect(rule.query).toBe('/* why */\r\nprocess where true');
    expect(rule.queryBase).toMatchObject({ line: 2, col: 1 });
  });

  it.each([
    ['// severity: urgent\nprocess where true', 'severity must be one of low, medium, high, critical (1:14)'],
    ['// risk_score: 7.5\nprocess where true', 'risk_score must be an integer from 0 to 100 (1:16)'],
    ['// version: 0\nprocess where true', 'version must be an integer ≥ 1 (1:13)'],
    ['// name: a\n// owner: me\nprocess where true', 'unknown header key "owner" (known: id, name, description, severity, risk_score, tags, mitre, version) (2:4)'],
    ['// name: a\n//name: b\nprocess where true', 'header key "name" given twice (2:3)'],
    ['// mitre: TA9999 T1059\nprocess where true', 'unknown MITRE ATT&CK tactic id "TA9999" (expected TA0001…TA0043, e.g. TA0002 for Execution) (1:11)'],
    ['// mitre: TA0002 T10\nprocess where true', 'invalid MITRE ATT&CK technique id "T10" (expected T1234 or T1234.001) (1:11)'],
  ])('rejects a bad header: %j', (text, message) => {
    const outcome = read(text);
    expect(outcome.kind).toBe('error');
    if (outcome.kind === 'error') expect(outcome.error).toMatchObject({ kind: 'semantic', code: 'rules.field', file: 'x/r.eql', message });
  });

  it('points a header error span at the bad value', () => {
    const text = '// name: a\n// severity:   urgent\nprocess where true';
    const outcome = read(text);
    if (outcome.kind !== 'error') throw new Error('expected an error');
    expect(outcome.error.span).toEqual({ start: text.indexOf('urgent'), end: text.indexOf('urgent') + 1 });
    expect(lineColOf(text, outcome.error.span!.start)).toEqual({ line: 2, col: 16 });
  });

  it('rejects a file with a header and no query', () => {
    const outcome = read('// name: empty\n\n   \n');
    expect(outcome.kind === 'error' && outcome.error).toMatchObject({ kind: 'syntax', code: 'rules.no_query', message: 'no query after the header (4:1)' });
  });
});

describe('loading .eql files from folders', () => {
  it('derives ids from the path below the folder walked, and names from the file stem', async () => {
    const root = writeRuleTree({
      'execution/shell.eql': 'process where true',
      'persistence/cron/cron_write.eql': '// name: Cron write\nfile where true',
      'README.md': '# not a rule',
      'execution/shell.events.ndjson': '{}',
      '.hidden/skip.eql': 'process where true',
    });
    const { rules, errors, skipped } = await loadRules([root]);
    expect(errors).toEqual([]);
    expect(skipped).toEqual([]);
    expect(rules.map((r) => [r.id, r.name])).toEqual([
      ['execution/shell', 'shell'],
      ['persistence/cron/cron_write', 'Cron write'],
    ]);
    // Named directly, a file's derived id is its stem.
    const direct = await loadRules([path.join(root, 'execution/shell.eql')]);
    expect(direct.rules.map((r) => r.id)).toEqual(['shell']);
  });

  it('walks entries in code-unit order, depth first, and loads a file named twice once', async () => {
    const root = writeRuleTree({
      'b.eql': 'process where true',
      'B.eql': 'process where true',
      'a/z.eql': 'process where true',
      'a.eql': 'process where true',
      'a_x.toml': tomlRule('toml-one'),
    });
    const { rules, errors } = await loadRules([root, path.join(root, 'b.eql')]);
    expect(errors).toEqual([]);
    expect(rules.map((r) => path.relative(root, r.file))).toEqual(['B.eql', path.join('a', 'z.eql'), 'a.eql', 'a_x.toml', 'b.eql']);
  });

  it('loads a rule reached through symlinks (to the file, to its folder, a folder loop) once', async () => {
    const root = writeRuleTree({ 'real/a.eql': 'process where true', 'real/deep/b.eql': 'process where true' });
    symlinkSync(path.join(root, 'real/a.eql'), path.join(root, 'link-to-a.eql'));
    symlinkSync(path.join(root, 'real'), path.join(root, 'zlink-to-real'));
    symlinkSync(path.join(root, 'real'), path.join(root, 'real/deep/loop'));
    // The tree named through a symlinked path of its own.
    const aliasRoot = path.join(mkdtempSync(path.join(tmpdir(), 'kestrel-alias-')), 'alias');
    symlinkSync(root, aliasRoot);
    const { rules, errors } = await loadRules([root, aliasRoot, path.join(aliasRoot, 'real/a.eql')]);
    expect(errors).toEqual([]);
    expect(rules.map((r) => path.relative(root, r.file))).toEqual(['link-to-a.eql', path.join('real', 'deep', 'b.eql')]);
  });

  it('reports a named file with another extension and a missing path, and carries on', async () => {
    const root = writeRuleTree({ 'notes.txt': 'hello', 'ok.eql': 'process where true' });
    const { rules, errors } = await loadRules([path.join(root, 'notes.txt'), path.join(root, 'missing'), root]);
    expect(rules.map((r) => r.id)).toEqual(['ok']);
    expect(errors.map((e) => ({ kind: e.kind, code: e.code, message: e.message, file: e.file }))).toEqual([
      { kind: 'input', code: 'rules.extension', message: 'not a rule file: rule files end in .toml, .eql or .wasm', file: path.join(root, 'notes.txt') },
      { kind: 'input', code: 'rules.read', message: 'cannot read: no such file or directory', file: path.join(root, 'missing') },
    ]);
  });

  it('reports duplicate ids across formats', async () => {
    const root = writeRuleTree({ 'a.eql': '// id: dup\nprocess where true', 'b.toml': tomlRule('dup') });
    const { rules, errors } = await loadRules([root]);
    expect(rules.map((r) => r.format)).toEqual(['eql']);
    expect(errors.map((e) => e.message)).toEqual([`duplicate rule id "dup": also used by ${path.join(root, 'a.eql')}; this file's rule is not loaded`]);
  });
});
