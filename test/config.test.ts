// The config file: every setting checks with file:line:col and a caret, flags win over the file,
// relative paths are the file's, and `kestrel config check` says what each setting becomes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KESTREL_BIN, distModule } from './helpers/dist.js';
import { checkConfigText } from '../src/main/config/load-config.js';
import { applyConfig } from '../src/main/config/apply-config.js';
import { tomlKeyPositions } from '../src/main/config/toml-positions.js';
import { replayCommand } from '../src/main/commands/replay.js';
import type { ParsedArgs } from '../src/main/command.js';
import { formatError } from '../src/main/format-error.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kestrel(...args: string[]) {
  const r = spawnSync(process.execPath, [KESTREL_BIN, ...args], { encoding: 'utf8', env: { ...process.env, KESTREL_LOG_LEVEL: 'warn' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const GOOD = `# a comment
log_level = "warn"
workers = 2
engine = "interp"

[rules]
paths = ["rules", "/abs/rules"]
watch = false

[caps]
max_partials = 5000   # per rule

[[sinks]]
url = "redis://127.0.0.1:6379/alerts"
min_severity = "high"
maxlen = 1000

[[sinks]]
url = "stdout"

[[sinks]]
url = "file:alerts.ndjson?keep=3"

[metrics]
listen = "127.0.0.1:9464"
`;

function problem(text: string): string {
  try {
    checkConfigText('/etc/kestrel/k.toml', text);
  } catch (e) {
    return formatError(e);
  }
  throw new Error('expected the config to fail');
}

describe('config file checking', () => {
  it('reads every setting, with paths relative to the file', () => {
    const c = checkConfigText('/etc/kestrel/k.toml', GOOD);
    expect(c.values.get('workers')).toBe(2);
    expect(c.values.get('rules.paths')).toEqual(['/etc/kestrel/rules', '/abs/rules']);
    expect(c.values.get('rules.watch')).toBe(false);
    expect(c.values.get('caps.max_partials')).toBe(5000);
    expect(c.values.get('sinks')).toEqual([
      { url: 'redis://127.0.0.1:6379/alerts', minSeverity: 'high', options: { maxlen: '1000' } },
      { url: 'stdout', options: {} },
      { url: 'file:/etc/kestrel/alerts.ndjson?keep=3', options: {} },
    ]);
  });

  it.each([
    ['workers = "two"\n', '1:11', 'workers must be an integer', '          ^^^^^'],
    ['workers = 300\n', '1:11', 'workers must be from 0 to 256', '          ^^^'],
    ['[caps]\nmax_partials = 0\n', '2:16', 'caps.max_partials must be from 1 to 2147483648', ''],
    ['[sensor]\nring_bytes = 5000\n', '2:14', 'sensor.ring_bytes must be a power of two', ''],
    ['engine = "fast"\n', '1:10', 'engine must be one of "wasm", "interp"', ''],
    ['wokers = 2\n', '1:1', 'unknown setting wokers (known: log_level, workers', '^^^^^^'],
    ['[rules]\npath = ["x"]\n', '2:1', 'unknown setting rules.path', ''],
    ['[metrics]\nlisten = "localhost"\n', '2:10', 'metrics.listen must be "HOST:PORT"', ''],
    ['[[sinks]]\nurl = "stdout"\n[[sinks]]\nmin_severity = "urgent"\nurl = "stdout"\n', '4:16', 'sinks[1].min_severity must be one of low, medium, high, critical', ''],
    ['[[sinks]]\nmaxlen = 5\n', '1:3', 'sinks[0] needs url', ''],
    ['workers = 2\nworkers = 3\n', '2:1', 'TOML syntax', ''],
    ['[rules\n', '1:', 'TOML syntax', ''],
  ])('%j → %s %s', (text, where, message, caret) => {
    const out = problem(text);
    expect(out).toContain(`/etc/kestrel/k.toml:${where}`);
    expect(out).toContain(message);
    if (caret) expect(out).toContain(`| ${caret}`);
  });

  it('the commented example packaging/kestrel.toml checks', () => {
    const c = checkConfigText('packaging/kestrel.toml', readFileSync('packaging/kestrel.toml', 'utf8'));
    expect(c.values.get('metrics.listen')).toBe('127.0.0.1:9464');
    expect(c.values.get('rules.paths')).toEqual(['/usr/lib/node_modules/kestrel/rules']);
  });

  it('locates keys under tables, arrays of tables, dotted and quoted keys, past multi-line arrays', () => {
    const text = 'a = [\n  "x = 1",\n]\n[t]\n"q.k" = 1\nd.e = 2\n[[s]]\nu = 1\n[[s]]\nu = 2\n';
    const p = tomlKeyPositions(text);
    expect([...p.keys()]).toEqual(['a', 't', 't.q.k', 't.d.e', 's[0]', 's[0].u', 's[1]', 's[1].u']);
    expect(text.slice(p.get('s[1].u')!.valueStart)).toMatch(/^2\n/);
  });
});

describe('flags win over the file', () => {
  it('fills only what the command line left out, and only options the command has', () => {
    const config = checkConfigText('/etc/kestrel/k.toml', GOOD);
    const args: ParsedArgs = { values: { workers: '0', rules: ['/cli/rules'] }, positionals: [] };
    const applied = applyConfig(replayCommand, args, config);
    expect(args.values.workers).toBe('0');
    expect(args.values.rules).toEqual(['/cli/rules']);
    expect(args.values.engine).toBe('interp');
    expect(args.values['max-partials']).toBe('5000');
    expect(args.values['log-level']).toBe('warn');
    expect(args.values.sink).toEqual(['redis://127.0.0.1:6379/alerts?maxlen=1000&min_severity=high', 'stdout', 'file:/etc/kestrel/alerts.ndjson?keep=3']);
    expect(args.values.metrics).toBe('127.0.0.1:9464');
    // rules.watch is a run option: replay has no --no-rules-watch, so it is left alone.
    expect(args.values['no-rules-watch']).toBeUndefined();
    expect(applied).not.toContain('rules.watch');
  });
});

describe('kestrel config check and --config through the CLI', () => {
  let capture = '';
  beforeAll(() => {
    distModule('main/cli.js');
    capture = join(dir, 'c.bin');
    expect(kestrel('synth', '--events', '20000', '--seed', '1', '-o', capture).code).toBe(0);
  }, 60_000);

  it('check prints each setting as the flag it stands for; a bad file exits 2 with a caret', () => {
    const file = join(dir, 'k.toml');
    writeFileSync(file, GOOD);
    const ok = kestrel('config', 'check', file);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain(`${file}: ok, 8 setting(s)`);
    expect(ok.out).toMatch(/workers\s+--workers 2\s+\[SIGHUP: needs a restart\]/);
    expect(ok.out).toMatch(/caps\.max_partials\s+--max-partials 5000\s+\[SIGHUP: new caps/);
    expect(ok.out).toContain(`--rules ${resolve(dir, 'rules')}`);
    writeFileSync(file, 'workers = 2\n[caps]\nmax_partials = -1\n');
    const bad = kestrel('config', 'check', file);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(`${file}:3:16: input error: caps.max_partials must be from 1`);
    expect(bad.err).toContain('3 | max_partials = -1\n  |                ^^');
    expect(kestrel('config', 'check', join(dir, 'missing.toml')).err).toContain('no such file');
  });

  it('replay --config takes rules, workers and output from the file; a flag overrides it', () => {
    const out = join(dir, 'alerts.ndjson');
    const file = join(dir, 'replay.toml');
    writeFileSync(file, `workers = 2\n[rules]\npaths = ["${resolve('rules')}"]\n[output]\nfile = "alerts.ndjson"\n`);
    const r = kestrel('replay', capture, '--config', file);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('');
    const fromFile = spawnSync('cat', [out], { encoding: 'utf8' }).stdout;
    expect(fromFile.split('\n').filter(Boolean).length).toBeGreaterThan(0);
    // Flags win: --output - is not a thing, so override with --workers 0 and an explicit rules path.
    const flags = kestrel('replay', capture, '--config', file, '--workers', '0', '--output', join(dir, 'flag.ndjson'));
    expect(flags.code, flags.err).toBe(0);
    expect(spawnSync('cat', [join(dir, 'flag.ndjson')], { encoding: 'utf8' }).stdout).toBe(fromFile);
    const broken = join(dir, 'broken.toml');
    writeFileSync(broken, 'workers = 1\nrules = 3\n');
    const b = kestrel('replay', capture, '--config', broken);
    expect(b.code).toBe(2);
    expect(b.err).toContain(`${broken}:2:1: input error: rules must be a table ([rules])`);
  }, 60_000);
});
