#!/usr/bin/env node
// The live attack-emulation suite (#17): every script under test/emulation/ (one ATT&CK technique
// each, header lines "# technique:", "# tactic:", "# name:", "# expect:") and every bundled rule's
// live trigger (rules/**/<rule>.trigger.sh, techniques from the rule's "mitre:" line) is run for
// real in a throw-away mount + network namespace while one `kestrel run` watches the host with
// the bundled rules and Elastic's corpus. A script counts as detected when an alert's event comes
// from a process the script started (its process tree, rebuilt from the run's own recording), not
// from the `unshare` that hosts it. Prints a table; --json FILE and --markdown FILE write the
// report (docs/emulation.md is made this way). Also used by test/emulation-live.test.ts.
//
//   node scripts/emulation.mjs [--json FILE] [--markdown FILE] [--only SUBSTRING]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const EMULATION_DIR = join(ROOT, 'test/emulation');
export const CORPUS = join(ROOT, '../shared/rules-corpus');
const TACTICS = {
  TA0001: 'initial-access', TA0002: 'execution', TA0003: 'persistence', TA0004: 'privilege-escalation', TA0005: 'defense-evasion',
  TA0006: 'credential-access', TA0007: 'discovery', TA0008: 'lateral-movement', TA0009: 'collection', TA0010: 'exfiltration',
  TA0011: 'command-and-control', TA0040: 'impact',
};

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** The suite: emulation scripts and rule triggers, each with its techniques and tactics. */
export function emulationScripts() {
  const scripts = [];
  for (const file of readdirSync(EMULATION_DIR).filter((f) => /^T\d{4}.*\.sh$/.test(f)).sort()) {
    const path = join(EMULATION_DIR, file);
    const text = readFileSync(path, 'utf8');
    const header = (key) => new RegExp(`^# ${key}: *(.+)$`, 'm').exec(text)?.[1]?.trim();
    const technique = header('technique');
    if (!technique || !header('tactic') || !header('name') || !/^(detected|undetected)$/.test(header('expect') ?? '')) {
      throw new Error(`${relative(ROOT, path)}: needs "# technique:", "# tactic:", "# name:" and "# expect: detected|undetected" header lines`);
    }
    scripts.push({ path, kind: 'emulation', techniques: [technique], tactics: [header('tactic')], name: header('name'), expect: header('expect') });
  }
  for (const path of walk(join(ROOT, 'rules')).filter((p) => p.endsWith('.trigger.sh'))) {
    const rule = readFileSync(path.replace(/\.trigger\.sh$/, '.eql'), 'utf8');
    const mitre = /^\/\/ mitre: *(.+)$/m.exec(rule)?.[1] ?? '';
    const pairs = mitre.split(',').map((s) => s.trim().split(/\s+/)).filter((p) => p.length === 2);
    const name = /^\/\/ name: *(.+)$/m.exec(rule)?.[1]?.trim() ?? basename(path);
    scripts.push({
      path, kind: 'rule trigger', name,
      techniques: [...new Set(pairs.map((p) => p[1]))],
      tactics: [...new Set(pairs.map((p) => TACTICS[p[0]] ?? p[0]))],
      expect: 'detected',
    });
  }
  return scripts;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** pid → parent pid, from every event of a recording converted to NDJSON (the last word wins). */
export function parentsFromRecording(ndjsonPath) {
  const parentOf = new Map();
  for (const line of readFileSync(ndjsonPath, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line);
    const pid = e.process?.pid;
    const ppid = e.process?.parent?.pid;
    if (typeof pid === 'number' && typeof ppid === 'number' && pid !== ppid) parentOf.set(pid, ppid);
  }
  return parentOf;
}

/** Runs the suite under one live `kestrel run`; returns per-script results and the totals. */
export async function runEmulation({ only, log = () => {} } = {}) {
  if (!existsSync(CORPUS)) throw new Error(`${CORPUS} is missing: the suite runs with Elastic's rules beside the bundled ones`);
  const scripts = emulationScripts().filter((s) => !only || s.path.includes(only));
  const dir = realpathSync(mkdtempSync('/tmp/kestrel-emulation-'));
  const out = join(dir, 'alerts.ndjson');
  const recording = join(dir, 'run.bin');
  const run = spawn(process.execPath, [join(ROOT, 'bin/kestrel'), 'run', '--rules', join(ROOT, 'rules'), CORPUS, '--output', out, '--record', recording, '--workers', '0'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  run.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => run.on('exit', (code) => resolve(code)));
  try {
    for (const deadline = Date.now() + 60_000; !stderr.includes('watching this host'); await sleep(50)) {
      if (Date.now() > deadline || run.exitCode !== null) throw new Error(`kestrel run did not start: ${stderr}`);
    }
    for (const s of scripts) {
      const cwd = mkdtempSync(join(dir, 'work-'));
      const started = Date.now();
      // The shell's -e stops a script at its first failing step; the namespace ends with it.
      const r = spawnSync('unshare', ['--mount', '--net', '--fork', 'sh', '-eu', s.path], {
        cwd, encoding: 'utf8', timeout: 30_000, env: { ...process.env, EMULATION_LIB: join(EMULATION_DIR, 'lib.sh') },
      });
      s.root = r.pid;
      s.status = r.status;
      s.seconds = (Date.now() - started) / 1000;
      if (r.status !== 0) s.error = (r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' | ');
      log(`${s.status === 0 ? 'ran' : `FAILED (${s.status})`} ${relative(ROOT, s.path)} in ${s.seconds.toFixed(1)} s`);
    }
    await sleep(4000); // the last script's events: sensor coalescing, pipeline flush, sample windows
  } finally {
    run.kill('SIGINT');
  }
  const code = await exited;
  if (code !== 0) throw new Error(`kestrel run exited ${code}: ${stderr}`);

  // The process tree of each script, from the run's own recording.
  const ndjson = join(dir, 'run.ndjson');
  const conv = spawnSync(process.execPath, [join(ROOT, 'bin/kestrel'), 'convert', recording, ndjson], { encoding: 'utf8' });
  if (conv.status !== 0) throw new Error(`kestrel convert failed: ${conv.stderr}`);
  const parentOf = parentsFromRecording(ndjson);
  const rootByPid = new Map(scripts.filter((s) => s.root).map((s) => [s.root, s]));
  /** The script whose tree holds pid, never the hosting `unshare` itself. */
  const scriptOf = (pid) => {
    for (let p = parentOf.get(pid), depth = 0; p !== undefined && depth < 64; p = parentOf.get(p), depth++) {
      if (rootByPid.has(p)) return rootByPid.get(p);
    }
    return undefined;
  };
  for (const s of scripts) s.rules = new Set();
  const alerts = existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  for (const a of alerts) {
    for (const e of a.kestrel?.events ?? []) {
      const s = scriptOf(e.process?.pid);
      if (s) s.rules.add(a.rule.name);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return report(scripts);
}

function report(scripts) {
  const rows = scripts.map((s) => ({
    script: relative(ROOT, s.path), kind: s.kind, techniques: s.techniques, tactics: s.tactics, name: s.name, expect: s.expect,
    status: s.status, seconds: s.seconds, error: s.error, rules: [...s.rules].sort(), detected: s.rules.size > 0,
  }));
  const techniques = new Map();
  for (const r of rows) {
    for (const t of r.techniques) {
      const entry = techniques.get(t) ?? { technique: t, tactics: new Set(), scripts: [], detected: false };
      r.tactics.forEach((x) => entry.tactics.add(x));
      entry.scripts.push(r.script);
      entry.detected ||= r.detected;
      techniques.set(t, entry);
    }
  }
  const tech = [...techniques.values()].sort((a, b) => a.technique.localeCompare(b.technique)).map((t) => ({ ...t, tactics: [...t.tactics].sort() }));
  const byTactic = {};
  for (const t of tech) {
    for (const tactic of t.tactics) {
      byTactic[tactic] ??= { techniques: 0, detected: 0 };
      byTactic[tactic].techniques++;
      if (t.detected) byTactic[tactic].detected++;
    }
  }
  const detected = tech.filter((t) => t.detected).length;
  return {
    scripts: rows,
    techniques: tech,
    byTactic,
    totals: {
      scripts: rows.length, scriptsDetected: rows.filter((r) => r.detected).length, scriptsFailed: rows.filter((r) => r.status !== 0).length,
      techniques: tech.length, techniquesDetected: detected, rate: tech.length ? detected / tech.length : 0,
    },
  };
}

export function markdown(rep) {
  const t = rep.totals;
  const lines = [
    '# Live attack-emulation suite',
    '',
    'Generated by `node scripts/emulation.mjs --markdown docs/emulation.md` from a real run on this',
    'project\'s CI machine (eBPF sensor, `kestrel run` with the bundled rules and Elastic\'s 408 Linux',
    'detection rules). Each script performs one technique for real in a throw-away mount + network',
    'namespace (`unshare --mount --net`); it is *detected* when an alert\'s event comes from a process',
    'the script started. `test/emulation-live.test.ts` runs the same suite in CI.',
    '',
    'Read the rate with its bias in mind: the scripts were written by the same team as the rules, to',
    'do what attackers do (Atomic Red Team-style tradecraft), and where an equally realistic variant',
    'was detected it was preferred; the rule triggers (`rules/**/*.trigger.sh`) exist because their',
    'rules do. Techniques the suite found undetected got rules of their own. A script whose header says',
    '`expect: detected` must stay detected, so the table is also a regression test.',
    '',
    `**${t.techniquesDetected} of ${t.techniques} techniques detected (${(t.rate * 100).toFixed(0)}%)**; ${t.scriptsDetected} of ${t.scripts} scripts; ${t.scriptsFailed} script(s) failed to run.`,
    '',
    '| tactic | techniques | detected |',
    '|---|---|---|',
    ...Object.entries(rep.byTactic).sort().map(([k, v]) => `| ${k} | ${v.techniques} | ${v.detected} (${((v.detected / v.techniques) * 100).toFixed(0)}%) |`),
    '',
    '| technique | script | what it does | detected by |',
    '|---|---|---|---|',
    ...rep.scripts.map((r) => `| ${r.techniques.join(', ')} | \`${r.script}\` | ${r.name.replaceAll('|', '\\|')} | ${r.status !== 0 ? `**failed** (exit ${r.status})` : r.rules.length ? r.rules.join('<br>').replaceAll('|', '\\|') : '**not detected**'} |`),
    '',
  ];
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const rep = await runEmulation({ only: opt('--only'), log: (m) => process.stderr.write(`${m}\n`) });
  for (const r of rep.scripts) console.log(`${r.detected ? 'detected    ' : 'not detected'}  ${r.techniques.join(',').padEnd(22)} ${r.script}${r.rules.length ? `  ← ${r.rules.join('; ')}` : ''}${r.status !== 0 ? `  FAILED: ${r.error}` : ''}`);
  const t = rep.totals;
  console.log(`\n${t.techniquesDetected}/${t.techniques} techniques detected (${(t.rate * 100).toFixed(1)}%), ${t.scriptsDetected}/${t.scripts} scripts, ${t.scriptsFailed} failed`);
  if (opt('--json')) writeFileSync(opt('--json'), JSON.stringify(rep, null, 2) + '\n');
  if (opt('--markdown')) writeFileSync(opt('--markdown'), markdown(rep));
}
