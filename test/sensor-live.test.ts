// Starts the real sensor, runs real programs, and checks that the exact kernel events arrive.
import { execFile } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKernelEvent, forEachFrame, type KernelEvent } from '../src/shared/sensor/decode.js';
import { Sensor } from '../src/shared/sensor/sensor.js';
import { EBPF_UNAVAILABLE, ebpfSuiteTitle, requireEbpfWhenAsked } from './helpers/ebpf.js';

const run = promisify(execFile);
const FMODE_CREATED = 1 << 20;
const AF_INET = 2;
const IPPROTO_TCP = 6;

requireEbpfWhenAsked();

describe.skipIf(EBPF_UNAVAILABLE !== undefined)(ebpfSuiteTitle('live sensor'), () => {
  const events: KernelEvent[] = [];
  const sensor = new Sensor({ ringBufferBytes: 1 << 22 });
  let dir: string;
  let server: Server;
  let serverPort: number;

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'kestrel-sensor-')));
    sensor.start((view, bytes) => forEachFrame(view, 0, bytes, (offset, length) => events.push(decodeKernelEvent(view, offset, length))));
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverPort = (server.address() as { port: number }).port;
  });

  afterAll(() => {
    sensor.stop();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Resolves with the first event matching within 1 s of being asked (events keep arriving). */
  async function eventually<T extends KernelEvent>(what: string, match: (e: KernelEvent) => e is T): Promise<T>;
  async function eventually(what: string, match: (e: KernelEvent) => boolean): Promise<KernelEvent>;
  async function eventually(what: string, match: (e: KernelEvent) => boolean): Promise<KernelEvent> {
    const deadline = Date.now() + 1000;
    for (;;) {
      const found = events.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${what} event within 1 s (${events.length} events seen)`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('reports exec with filename, resolved exe, argv, cwd and ids; fork; exit codes', async () => {
    const child = execFile('/bin/sh', ['-c', '/bin/true alpha "beta gamma"; exit 3'], { cwd: dir });
    const shPid = child.pid!;
    await new Promise((resolve) => child.on('exit', resolve));

    const exec = await eventually('exec of /bin/true', (e) => e.kind === 'process_exec' && e.ppid === shPid && e.filename === '/bin/true');
    if (exec.kind !== 'process_exec') throw new Error('unreachable');
    expect(exec.args).toEqual(['/bin/true', 'alpha', 'beta gamma']);
    expect(exec.argc).toBe(3);
    expect(exec.exe).toBe(realpathSync('/bin/true'));
    expect(exec.cwd).toBe(dir);
    expect(exec.comm).toBe('true');
    expect([exec.uid, exec.euid, exec.gid, exec.egid]).toEqual([0, 0, 0, 0]);
    expect(exec.pid).toBe(exec.tgid);
    expect(exec.startTime).toBeGreaterThan(0n);
    expect(exec.flags).toBe(0);

    const fork = await eventually('fork by sh', (e) => e.kind === 'process_fork' && e.tgid === shPid && e.childPid === exec.tgid);
    if (fork.kind !== 'process_fork') throw new Error('unreachable');
    expect(fork.childStartTime).toBe(exec.startTime);

    const trueExit = await eventually('exit of true', (e) => e.kind === 'process_exit' && e.tgid === exec.tgid);
    const shExit = await eventually('exit of sh', (e) => e.kind === 'process_exit' && e.tgid === shPid);
    if (trueExit.kind !== 'process_exit' || shExit.kind !== 'process_exit') throw new Error('unreachable');
    expect(trueExit.exitCode).toBe(0);
    expect(shExit.exitCode >> 8).toBe(3);
  });

  it('reports create/write, rename, chmod, chown and unlink with full paths', async () => {
    await run('/bin/sh', ['-c', 'echo hi > a.txt; mv a.txt b.txt; chmod 640 b.txt; chown 1:2 b.txt; rm b.txt'], { cwd: dir });
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.txt');

    const open = await eventually('open of a.txt', (e) => e.kind === 'file_open' && e.path === a);
    if (open.kind !== 'file_open') throw new Error('unreachable');
    expect(open.fmode & FMODE_CREATED).toBe(FMODE_CREATED);
    expect(open.comm).toBe('sh');

    const rename = await eventually('rename', (e) => e.kind === 'file_rename' && e.oldPath === a);
    if (rename.kind !== 'file_rename') throw new Error('unreachable');
    expect(rename.newPath).toBe(b);
    expect(rename.comm).toBe('mv');

    const chmod = await eventually('chmod', (e) => e.kind === 'file_chmod' && e.path === b);
    if (chmod.kind !== 'file_chmod') throw new Error('unreachable');
    expect(chmod.mode).toBe(0o640);

    const chown = await eventually('chown', (e) => e.kind === 'file_chown' && e.path === b);
    if (chown.kind !== 'file_chown') throw new Error('unreachable');
    expect([chown.newUid, chown.newGid]).toEqual([1, 2]);

    const unlink = await eventually('unlink', (e) => e.kind === 'file_unlink' && e.path === b);
    expect(unlink.comm).toBe('rm');
  });

  it('reports connect to a local listener, and bind, listen, accept with addresses and ports', async () => {
    const script = [
      'import socket',
      `c = socket.create_connection(("127.0.0.1", ${serverPort})); c.close()`,
      's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(7)',
      'port = s.getsockname()[1]',
      'd = socket.create_connection(("127.0.0.1", port)); a, peer = s.accept()',
      'print(port, d.getsockname()[1])',
    ].join('\n');
    const { stdout } = await run('python3', ['-c', script]);
    const [listenPort, clientPort] = stdout.trim().split(' ').map(Number);

    const connect = await eventually('connect', (e) => e.kind === 'net_connect' && e.remotePort === serverPort);
    if (connect.kind !== 'net_connect') throw new Error('unreachable');
    expect([connect.family, connect.protocol, connect.remoteAddr, connect.localAddr]).toEqual([AF_INET, IPPROTO_TCP, '127.0.0.1', '127.0.0.1']);
    expect(connect.localPort).toBeGreaterThan(0);

    const bind = await eventually('bind', (e) => e.kind === 'net_bind' && e.localPort === listenPort);
    expect(bind.tgid).toBe(connect.tgid);
    const listen = await eventually('listen', (e) => e.kind === 'net_listen' && e.localPort === listenPort);
    if (listen.kind !== 'net_listen') throw new Error('unreachable');
    expect(listen.backlog).toBe(7);
    const accept = await eventually('accept', (e) => e.kind === 'net_accept' && e.localPort === listenPort);
    if (accept.kind !== 'net_accept') throw new Error('unreachable');
    expect([accept.remoteAddr, accept.remotePort]).toEqual(['127.0.0.1', clientPort]);
  });

  it('reports setuid with the new ids and capabilities, memfd_create with name and flags, ptrace attach', async () => {
    // Other live test files run at the same time and change uids too: match this process only.
    const { stdout: pidText } = await run('python3', ['-c', 'import os; print(os.getpid()); os.setuid(65534)']);
    const pythonPid = Number(pidText.trim());
    const setuid = await eventually('setuid', (e) => e.kind === 'cred_setuid' && e.tgid === pythonPid && e.newReal === 65534);
    if (setuid.kind !== 'cred_setuid') throw new Error('unreachable');
    // The ids before come from the process table in userspace (sensor-record-live checks them).
    expect([setuid.uid, setuid.newEffective, setuid.newSaved, setuid.newFs]).toEqual([65534, 65534, 65534, 65534]);
    // Leaving root clears the permitted and effective capabilities.
    expect([setuid.capEffective, setuid.capPermitted]).toEqual([0n, 0n]);

    await run('python3', ['-c', 'import os; os.memfd_create("kestrel-test", os.MFD_CLOEXEC)']);
    const memfd = await eventually('memfd_create', (e) => e.kind === 'process_memfd' && e.name === 'kestrel-test');
    if (memfd.kind !== 'process_memfd') throw new Error('unreachable');
    expect(memfd.mfdFlags).toBe(1);

    const tracer = [
      'import ctypes, os, signal, time',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]',
      'pid = os.fork()',
      'if pid == 0:',
      '    time.sleep(5); os._exit(0)',
      'assert libc.ptrace(16, pid, None, None) == 0, ctypes.get_errno()',
      'os.waitpid(pid, 0); os.kill(pid, signal.SIGKILL); print(pid)',
    ].join('\n');
    const { stdout } = await run('python3', ['-c', tracer]);
    const target = Number(stdout.trim());
    const ptrace = await eventually('ptrace attach', (e) => e.kind === 'process_ptrace' && e.targetPid === target);
    if (ptrace.kind !== 'process_ptrace') throw new Error('unreachable');
    expect(ptrace.request).toBe(16);
  });

  it('drops the sensor process\'s own events in the kernel', async () => {
    const own = join(dir, 'written-by-the-sensor-process.txt');
    writeFileSync(own, 'x');
    const marker = join(dir, 'marker.txt');
    await run('/bin/sh', ['-c', `: > ${marker}`]);
    await eventually('marker open', (e) => e.kind === 'file_open' && e.path === marker);
    expect(events.filter((e) => e.tgid === process.pid)).toEqual([]);
    expect(events.some((e) => e.kind === 'file_open' && e.path === own)).toBe(false);
  });

  it('counts events and kernel drops, and accounts for every program', () => {
    const stats = sensor.stats()!;
    expect(stats.events).toBeGreaterThanOrEqual(events.length);
    expect(stats.dropsPerCpu.length).toBeGreaterThan(0);
    expect(stats.drops).toBe(0);
    for (const p of sensor.programs()) expect(p.attached || typeof p.skipped === 'string').toBe(true);
    expect(sensor.programs().filter((p) => p.attached).map((p) => p.name)).toEqual(
      expect.arrayContaining(['process_exec', 'process_fork', 'process_exit', 'sys_exit']),
    );
  });
});
