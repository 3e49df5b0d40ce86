// Least privilege, for real: packaging/kestrel.service runs Kestrel as a non-root user holding a few
// ambient capabilities. This runs `kestrel record` the same way — setpriv to uid/gid 65534 with no
// groups, exactly the unit's capabilities as inheritable, ambient and the whole bounding set, and
// no_new_privs — and checks that the sensor records real activity. Then it drops one capability at
// a time: without CAP_BPF or CAP_PERFMON the sensor cannot start; without CAP_SYS_PTRACE it runs but
// no longer knows the executable of processes that started before it (other users' /proc/PID/exe).
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureReader } from '../src/shared/capture/reader.js';
import { decodeRecord, type DecodedEvent } from '../src/shared/record/decode.js';
import { CAPABILITY_NAMES } from '../src/main/sensor/capabilities.js';
import { distModule, KESTREL_BIN } from './helpers/dist.js';
import { EBPF_REQUIRED, EBPF_UNAVAILABLE } from './helpers/ebpf.js';

const NOBODY = 65534;

/** The unit's AmbientCapabilities (the test of the unit file checks the bounding set is the same). */
const UNIT_CAPS = /^AmbientCapabilities=(.*)$/m.exec(readFileSync('packaging/kestrel.service', 'utf8'))![1]!.trim().split(/\s+/);

/** Capabilities this process may hand on: its bounding set (a sandbox may lack some). */
function boundingSet(): Set<string> {
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
  const bits = BigInt(`0x${hex}`);
  return new Set(CAPABILITY_NAMES.filter((_, bit) => ((bits >> BigInt(bit)) & 1n) === 1n));
}

const BOUNDING = process.platform === 'linux' ? boundingSet() : new Set<string>();
/** The unit's capabilities this host can grant, and those it cannot (left out, said in the title). */
const GRANTABLE = UNIT_CAPS.filter((c) => BOUNDING.has(c));
const LEFT_OUT = UNIT_CAPS.filter((c) => !BOUNDING.has(c));

function hasSetpriv(): boolean {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why this suite cannot run here, or undefined. */
const UNAVAILABLE = EBPF_UNAVAILABLE
  ?? (process.getuid?.() !== 0 ? 'not root: setpriv cannot switch to another user' : undefined)
  ?? (!hasSetpriv() ? 'setpriv (util-linux) is not installed' : undefined)
  ?? (['CAP_BPF', 'CAP_PERFMON'].some((c) => !BOUNDING.has(c)) ? 'CAP_BPF or CAP_PERFMON is not in this process\'s bounding set' : undefined);

if (UNAVAILABLE && EBPF_REQUIRED) {
  it('the capability test can run (KESTREL_REQUIRE_EBPF=1)', () => {
    throw new Error(`KESTREL_REQUIRE_EBPF=1 but ${UNAVAILABLE}`);
  });
}

type Ev = DecodedEvent & { event: { action: string }; process: { pid: number; name?: string; executable?: string; args?: string[] }; file?: { path?: string } };

interface Recording {
  status: number | null;
  stderr: string;
  capture: string;
  events: Ev[];
}

/** `CAP_SYS_PTRACE` → `+sys_ptrace`, as setpriv spells capabilities. */
const setprivCaps = (caps: string[]) => ['-all', ...caps.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)].join(',');

/**
 * Records for `seconds` as uid 65534 holding exactly `caps`. Once recording, a root shell started
 * before the recorder writes `before-<tag>` (its executable comes from the /proc snapshot) and a
 * new shell writes `after-<tag>`.
 */
async function recordAs(dir: string, caps: string[], tag: string, seconds = 2): Promise<Recording> {
  const capture = join(dir, `${tag}.bin`);
  // A process that exists before the recorder starts, run by another user (root) than the recorder.
  const before = spawn('/bin/sh', ['-c', `read go; echo x > ${join(dir, `before-${tag}`)}`], { stdio: ['pipe', 'ignore', 'ignore'] });
  const recorder = spawn('setpriv', [
    `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--no-new-privs',
    `--bounding-set=${setprivCaps(caps)}`, `--inh-caps=${setprivCaps(caps)}`, `--ambient-caps=${setprivCaps(caps)}`,
    process.execPath, KESTREL_BIN, 'record', '-o', capture, '--duration', String(seconds),
  ], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own writable home and cache: the test's cache folder belongs to root.
    env: { ...process.env, HOME: dir, KESTREL_CACHE_DIR: join(dir, 'cache') },
  });
  let stderr = '';
  recorder.stderr.setEncoding('utf8');
  const exited = new Promise<number | null>((resolve) => recorder.on('exit', (code) => resolve(code)));
  const started = new Promise<boolean>((resolve) => {
    recorder.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.includes('recording to')) resolve(true);
    });
    recorder.on('exit', () => resolve(false));
  });
  try {
    if (await started) {
      before.stdin.end('go\n');
      execFileSync('/bin/sh', ['-c', `echo x > ${join(dir, `after-${tag}`)}`]);
    }
    const status = await exited;
    const events: Ev[] = [];
    if (status === 0) {
      const reader = await CaptureReader.open(capture);
      for await (const view of reader.records()) events.push(decodeRecord(view) as Ev);
      await reader.close();
    }
    return { status, stderr, capture, events };
  } finally {
    before.kill();
  }
}

const creationOf = (r: Recording, path: string) => r.events.filter((e) => e.event.action === 'creation' && e.file?.path === path);

const title = `kestrel record as uid ${NOBODY} with the systemd unit's capabilities${LEFT_OUT.length ? ` (${LEFT_OUT.join(', ')} left out: not in this sandbox's bounding set)` : ''}`;

describe.skipIf(UNAVAILABLE !== undefined)(UNAVAILABLE ? `${title} (skipped: ${UNAVAILABLE})` : title, () => {
  let dir: string;
  let withUnitCaps: Recording;

  beforeAll(async () => {
    distModule('main/cli.js');
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'kestrel-caps-')));
    chmodSync(dir, 0o777);
    mkdirSync(join(dir, 'cache'), { mode: 0o777 });
    chmodSync(join(dir, 'cache'), 0o777);
    withUnitCaps = await recordAs(dir, GRANTABLE, 'unit');
  }, 30_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('uid 65534 can read everything kestrel record loads from this checkout', () => {
    // If not, record fails with a bare EACCES from the module loader: name the files instead.
    const probe = 'const fs=require("fs"),p=require("path");const bad=[];' +
      'const walk=(d)=>{for(const e of fs.readdirSync(d,{withFileTypes:true})){const f=p.join(d,e.name);' +
      'try{fs.accessSync(f,fs.constants.R_OK)}catch{bad.push(f)}if(e.isDirectory())walk(f)}};' +
      'try{walk("dist")}catch(e){bad.push(String(e))}' +
      'for(const f of process.argv.slice(1))try{fs.accessSync(f,fs.constants.R_OK)}catch{bad.push(f)}' +
      'console.log(JSON.stringify(bad.slice(0,20)))';
    const unreadable = execFileSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', probe,
      KESTREL_BIN, 'native/ebpf-loader/build/Release/kestrel_ebpf.node', 'node_modules/.package-lock.json'], { encoding: 'utf8' });
    expect(JSON.parse(unreadable), 'not readable by uid 65534 (chmod -R o+rX)').toEqual([]);
  });

  it('records the activity on the host', () => {
    expect(withUnitCaps.status, withUnitCaps.stderr).toBe(0);
    // As an operator would look at it: a whole capture from the sensor, with events in it.
    const info = JSON.parse(execFileSync(process.execPath, [KESTREL_BIN, 'capture', 'info', '--format', 'json', withUnitCaps.capture], { encoding: 'utf8' })) as {
      records: number; source: { description: string }; integrity: { ok: boolean };
    };
    expect(info).toMatchObject({ source: { description: 'ebpf' }, integrity: { ok: true } });
    expect(info.records).toBeGreaterThan(0);
    expect(info.records).toBe(withUnitCaps.events.length);
    expect(withUnitCaps.stderr).toMatch(/^recorded \d+ events in 2\.\d s/m);
    expect(withUnitCaps.stderr).toMatch(/dropped in the kernel \(ring full\) 0/);
    expect(withUnitCaps.events.length).toBeGreaterThan(0);
    const after = creationOf(withUnitCaps, join(dir, 'after-unit'));
    expect(after).toHaveLength(1);
    expect(after[0]!.process.executable).toBe(realpathSync('/bin/sh'));
    expect(withUnitCaps.events.some((e) => e.event.action === 'exec' && e.process.executable === realpathSync('/bin/sh'))).toBe(true);
  });

  it('knows the executable of a root process that started before it (CAP_SYS_PTRACE)', () => {
    const before = creationOf(withUnitCaps, join(dir, 'before-unit'));
    expect(before).toHaveLength(1);
    expect(before[0]!.process.executable).toBe(realpathSync('/bin/sh'));
  });

  for (const missing of ['CAP_BPF', 'CAP_PERFMON']) {
    it(`cannot start the sensor without ${missing}`, async () => {
      const r = await recordAs(dir, GRANTABLE.filter((c) => c !== missing), `no-${missing}`);
      expect(r.status, r.stderr).toBe(4);
      expect(r.stderr).toContain(`runtime error: the eBPF sensor cannot run: not root and missing ${missing}: loading BPF programs needs root or CAP_BPF + CAP_PERFMON`);
      expect(existsSync(join(dir, `no-${missing}.bin`))).toBe(false);
    }, 20_000);
  }

  it('without CAP_SYS_PTRACE still records, but a process older than the recorder has only its name', async () => {
    const r = await recordAs(dir, GRANTABLE.filter((c) => c !== 'CAP_SYS_PTRACE'), 'no-ptrace');
    expect(r.status, r.stderr).toBe(0);
    expect(creationOf(r, join(dir, 'after-no-ptrace'))[0]?.process.executable).toBe(realpathSync('/bin/sh'));
    const before = creationOf(r, join(dir, 'before-no-ptrace'));
    expect(before).toHaveLength(1);
    expect(before[0]!.process.executable ?? '').toBe('');
    expect(before[0]!.process.name).toBe('sh');
  }, 20_000);
});
