// The kernel-event → ECS record converter, without a kernel: events are written byte by byte at
// the offsets layout.json gives, as drain() frames them, and the records are decoded back.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { BootClock } from '../src/main/sensor/boot-clock.js';
import { entityId } from '../src/main/sensor/entity-id.js';
import type { HostInfo } from '../src/main/sensor/host-info.js';
import { ProcessTable } from '../src/main/sensor/process-table.js';
import { KernelRecordConverter } from '../src/main/sensor/to-record.js';
import { UserDb } from '../src/main/sensor/user-db.js';
import { formatNsIso } from '../src/shared/record/date.js';
import { decodeRecord } from '../src/shared/record/decode.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { RecordView } from '../src/shared/record/view.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';
import { FRAME_HEADER_BYTES, HEADER, KINDS, STRUCTS, frameBytes } from '../src/shared/sensor/layout.js';

const layout = buildLayout(ecsLinuxSchema());
const BOOT_ID = 'boot-0';
const OFFSET_NS = 1_790_000_000_123_456_789n; // realtime − boottime
const HOST: HostInfo = { hostname: 'h1', id: 'machine-1', bootId: BOOT_ID, kernel: '6.18.0', architecture: 'x86_64', osName: 'Debian GNU/Linux', osPlatform: 'debian', osFamily: 'debian', osVersion: '12' };

const etc = mkdtempSync(join(tmpdir(), 'kestrel-etc-'));
writeFileSync(join(etc, 'passwd'), 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n');
writeFileSync(join(etc, 'group'), 'root:x:0:\nalice:x:1000:\nnogroup:x:65534:\n');
const emptyProc = mkdtempSync(join(tmpdir(), 'kestrel-proc-'));
mkdirSync(join(emptyProc, 'sys'), { recursive: true });

type Values = Record<string, number | bigint | string | Uint8Array>;

/**
 * One kernel event as drain() frames it. `fields` are by name; header fields too. Tail strings
 * (path, args …) are packed as the kernel packs them — C strings get their NUL, each *_len is
 * set unless given — and the frame ends where the tail's used part ends, as in the kernel's.
 */
function frame(kind: string, fields: Values): Uint8Array {
  const k = [...KINDS.values()].find((x) => x.name === kind)!;
  const bytes = new Uint8Array(frameBytes(k.struct.size));
  const dv = new DataView(bytes.buffer);
  const base = FRAME_HEADER_BYTES;
  const values: Values = { ...fields };
  let length = k.struct.size;
  const tail = k.struct.fields.at(-1)!;
  if (tail.parts) {
    let at = base + tail.offset;
    for (const part of tail.parts) {
      const v = values[part.name] ?? '';
      const encoded = typeof v === 'string' ? new TextEncoder().encode(part.format === 'cstr' ? `${v}\0` : v) : (v as Uint8Array);
      bytes.set(encoded, at);
      at += encoded.length;
      values[part.lengthField] ??= encoded.length;
      delete values[part.name];
    }
    length = at - base;
  }
  dv.setUint32(0, length, true);
  const write = (struct: string, at: number, vals: Values) => {
    for (const f of STRUCTS.get(struct)!.fields) {
      const v = vals[f.name];
      if (v === undefined) continue;
      const o = at + f.offset;
      if (typeof v === 'string') bytes.set(new TextEncoder().encode(v), o);
      else if (v instanceof Uint8Array) bytes.set(v, o);
      else if (f.type === 'u64') dv.setBigUint64(o, BigInt(v), true);
      else if (f.type === 'u16') dv.setUint16(o, Number(v), true);
      else dv.setUint32(o, Number(v), true);
    }
  };
  write(HEADER.name, base, { kind: k.id, ...values });
  write(k.struct.name, base, values);
  return bytes.slice(0, frameBytes(length));
}

const SEC = 1_000_000_000n;
/** Header of a process: pid = tgid, started `startS` seconds after boot. */
function proc(pid: number, startS: number, extra: Values = {}): Values {
  return { pid, tgid: pid, ppid: 1, uid: 0, gid: 0, euid: 0, start_time: BigInt(startS) * SEC, comm: 'sh', time_ns: 100n * SEC, ...extra };
}

describe('KernelRecordConverter', () => {
  let table: ProcessTable;
  let conv: KernelRecordConverter;
  beforeEach(() => {
    table = new ProcessTable({ bootId: BOOT_ID, proc: emptyProc, users: new UserDb(etc) });
    conv = new KernelRecordConverter({ layout, table, host: HOST, clock: new BootClock(OFFSET_NS), firstSeq: 7 });
  });

  /** Converts frames (one batch) and decodes every record. */
  function convert(...frames: Uint8Array[]): Array<Record<string, any>> {
    const total = frames.reduce((n, f) => n + f.length, 0);
    const buf = new Uint8Array(new SharedArrayBuffer(total));
    let at = 0;
    for (const f of frames) {
      buf.set(f, at);
      at += f.length;
    }
    const out: Array<Record<string, any>> = [];
    const view = new RecordView(layout);
    conv.convertBatch(new DataView(buf.buffer), total, (record, length) => {
      const copy = record.slice(0, length);
      out.push({ ...decodeRecord(view.reset(copy, 0)), seq: view.seq });
    });
    return out;
  }

  const wall = (bootNs: bigint) => formatNsIso(bootNs + OFFSET_NS, 9);

  it('fork then exec: child linked to its parent by entity id, argv, cwd, tty, users, exact times', () => {
    const [parentExec] = convert(frame('process_exec', { ...proc(100, 5, { time_ns: 6n * SEC }), exe: '/usr/bin/bash', filename: '/bin/bash', cwd: '/home/alice', args: 'bash\0', args_len: 5, argc: 1 }));
    const [fork, exec] = convert(
      frame('process_fork', { ...proc(100, 5, { time_ns: 10n * SEC }), child_pid: 200, child_start_time: 10n * SEC + 123n }),
      frame('process_exec', {
        ...proc(200, 10, { start_time: 10n * SEC + 123n, time_ns: 10n * SEC + 999n, ppid: 100, uid: 1000, euid: 1000, gid: 1000, comm: 'cat' }),
        egid: 1000, sid: 100, tty_dev: (136 << 20) | 3, argc: 3, args_len: 19,
        filename: '/bin/cat', exe: '/usr/bin/cat', cwd: '/home/alice', tty: 'pts/3', args: 'cat\0-n\0my file.txt\0',
      }),
    );
    const parentId = entityId(BOOT_ID, 100, 500);
    const childId = entityId(BOOT_ID, 200, 1000);
    expect(parentExec!.process.entity_id).toBe(parentId);
    expect(fork).toMatchObject({
      seq: 8,
      event: { kind: 'event', category: ['process'], type: ['start'], action: 'fork', module: 'kestrel', dataset: 'kestrel.process' },
      process: { pid: 200, entity_id: childId, name: 'bash', args: ['bash'], start: wall(10n * SEC + 123n), parent: { pid: 100, entity_id: parentId } },
    });
    expect(exec).toMatchObject({
      seq: 9,
      '@timestamp': wall(10n * SEC + 999n),
      event: { category: ['process'], type: ['start'], action: 'exec' },
      host: { hostname: 'h1', id: 'machine-1', boot: { id: BOOT_ID }, architecture: 'x86_64', os: { type: 'linux', kernel: '6.18.0', family: 'debian' } },
      process: {
        pid: 200, entity_id: childId, name: 'cat', executable: '/usr/bin/cat', args: ['cat', '-n', 'my file.txt'], args_count: 3,
        command_line: 'cat -n my file.txt', working_directory: '/home/alice', start: wall(10n * SEC + 123n),
        interactive: true, tty: { char_device: { major: 136, minor: 3 } }, thread: { id: 200, name: 'cat' },
        user: { id: '1000', name: 'alice' }, group: { id: '1000', name: 'alice' }, real_user: { id: '1000', name: 'alice' },
        parent: { pid: 100, entity_id: parentId, name: 'bash', executable: '/usr/bin/bash', args: ['bash'], command_line: 'bash', working_directory: '/home/alice' },
      },
      user: { id: '1000', name: 'alice' },
      group: { id: '1000', name: 'alice' },
    });
  });

  it('exit: exit code from the wait status (128 + signal when killed), process.end', () => {
    const [ok, killed] = convert(
      frame('process_exit', { ...proc(300, 1), exit_code: 3 << 8 }),
      frame('process_exit', { ...proc(301, 1), exit_code: 9 }),
    );
    expect(ok).toMatchObject({ event: { type: ['end'], action: 'end' }, process: { pid: 300, exit_code: 3, end: wall(100n * SEC) } });
    expect(killed!.process.exit_code).toBe(137);
    expect(table.get(300)!.exitedAtMs).toBeDefined();
  });

  it('files: creation vs modification, path parts, rename, chmod, chown, deletion', () => {
    const p = proc(400, 2);
    const [created, modified, renamed, chmod, chown, deleted, root] = convert(
      frame('file_open', { ...p, fmode: (1 << 20) | 2, path: '/srv/a.tar.gz' }),
      frame('file_open', { ...p, fmode: 2, path: '/etc/.bashrc' }),
      frame('file_rename', { ...p, old_path: '/tmp/x.sh', new_path: '/tmp/.x' }),
      frame('file_chmod', { ...p, mode: 0o104755, path: '/tmp/.x' }),
      frame('file_chown', { ...p, new_uid: 0, new_gid: 0xffffffff, path: '/tmp/.x' }),
      frame('file_unlink', { ...p, path: '/tmp/.x' }),
      frame('file_open', { ...p, fmode: 2, path: '/vmlinuz' }),
    );
    expect(created).toMatchObject({ event: { category: ['file'], type: ['creation'], action: 'creation', dataset: 'kestrel.file' } });
    expect(created!.file).toEqual({ path: '/srv/a.tar.gz', name: 'a.tar.gz', extension: 'gz', directory: '/srv' });
    expect(modified!.event).toMatchObject({ type: ['change'], action: 'modification' });
    expect(modified!.file).toEqual({ path: '/etc/.bashrc', name: '.bashrc', directory: '/etc' });
    expect(renamed!.event).toMatchObject({ type: ['change'], action: 'rename' });
    expect(renamed!.file).toEqual({ path: '/tmp/.x', name: '.x', directory: '/tmp', target_path: '/tmp/.x', Ext: { original: { path: '/tmp/x.sh', name: 'x.sh', extension: 'sh' } } });
    expect(chmod!.event.action).toBe('permission_change');
    expect(chmod!.file.mode).toBe('4755');
    expect(chown!.event.action).toBe('owner_change');
    expect(chown!.file).toEqual({ path: '/tmp/.x', name: '.x', directory: '/tmp', uid: '0', owner: 'root' });
    expect(deleted!.event).toMatchObject({ type: ['deletion'], action: 'deletion' });
    expect(root!.file).toEqual({ path: '/vmlinuz', name: 'vmlinuz', directory: '/' });
    // A process never seen before is built from the event header.
    expect(created!.process).toMatchObject({ pid: 400, entity_id: entityId(BOOT_ID, 400, 200), name: 'sh', user: { id: '0', name: 'root' } });
  });

  it('a read-only open of a watched file is an "open" access event; a writable one stays a change', () => {
    const p = proc(410, 2);
    const [read, written] = convert(
      frame('file_open', { ...p, fmode: 1, path: '/etc/shadow' }),
      frame('file_open', { ...p, fmode: 3, path: '/etc/shadow' }),
    );
    expect(read).toMatchObject({ event: { category: ['file'], type: ['access'], action: 'open' }, file: { path: '/etc/shadow', name: 'shadow', directory: '/etc' } });
    expect(read!.file.Ext).toBeUndefined();
    expect(written!.event).toMatchObject({ type: ['change'], action: 'modification' });
  });

  it('exec: keeps only the configured environment variables, and the header bytes as hex', () => {
    conv.setEnvNames(['LD_PRELOAD', 'HISTFILE']);
    const env = 'PATH=/usr/bin\0LD_PRELOAD=/tmp/.x.so\0SECRET_TOKEN=abc\0HISTFILE=/dev/null\0LD_PRELOADX=no\0=odd\0';
    const header = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 0x02, 0x00, 0xff);
    const [exec, bare] = convert(
      frame('process_exec', { ...proc(420, 4), exe: '/usr/bin/true', filename: '/bin/true', cwd: '/', args: 'true\0', argc: 1, env, header }),
      frame('process_exec', { ...proc(421, 4), exe: '/usr/bin/true', filename: '/bin/true', cwd: '/', args: 'true\0', argc: 1 }),
    );
    expect(exec!.process.env_vars).toEqual(['LD_PRELOAD=/tmp/.x.so', 'HISTFILE=/dev/null']);
    expect(exec!.process.Ext.header_bytes).toBe('7f454c460200ff');
    expect(exec!.process.args).toEqual(['true']);
    expect(bare!.process.env_vars).toBeUndefined();
    expect(bare!.process.Ext?.header_bytes).toBeUndefined();
    // With no names configured, nothing of the environment is kept.
    conv.setEnvNames([]);
    const [none] = convert(frame('process_exec', { ...proc(422, 4), exe: '/usr/bin/true', filename: '/bin/true', cwd: '/', args: 'true\0', argc: 1, env }));
    expect(none!.process.env_vars).toBeUndefined();
  });

  it('network: connect is egress from the local side, accept ingress to it; bind has one side; IPv6', () => {
    const p = proc(500, 3);
    const v4 = (a: number, b: number, c: number, d: number) => Uint8Array.of(a, b, c, d);
    const v6 = new Uint8Array(16);
    v6[0] = 0x20;
    v6[1] = 0x01;
    v6[2] = 0x0d;
    v6[3] = 0xb8;
    v6[15] = 1;
    const [connect, accept, bind, six] = convert(
      frame('net_connect', { ...p, family: 2, sock_type: 1, protocol: 6, local_port: 40000, remote_port: 443, local_addr: v4(10, 0, 0, 5), remote_addr: v4(93, 184, 216, 34) }),
      frame('net_accept', { ...p, family: 2, sock_type: 1, protocol: 6, local_port: 22, remote_port: 50000, local_addr: v4(10, 0, 0, 5), remote_addr: v4(10, 0, 0, 9) }),
      frame('net_bind', { ...p, family: 2, sock_type: 2, protocol: 17, local_port: 53, local_addr: v4(0, 0, 0, 0) }),
      frame('net_connect', { ...p, family: 10, sock_type: 1, protocol: 6, local_port: 40001, remote_port: 80, local_addr: v6, remote_addr: v6 }),
    );
    expect(connect).toMatchObject({
      event: { category: ['network'], type: ['start'], action: 'connection_attempted', dataset: 'kestrel.network' },
      source: { ip: '10.0.0.5', port: 40000, address: '10.0.0.5' },
      destination: { ip: '93.184.216.34', port: 443, address: '93.184.216.34' },
      network: { transport: 'tcp', type: 'ipv4', direction: 'egress', iana_number: '6' },
    });
    expect(accept).toMatchObject({
      event: { action: 'connection_accepted' },
      source: { ip: '10.0.0.9', port: 50000 },
      destination: { ip: '10.0.0.5', port: 22 },
      network: { direction: 'ingress' },
    });
    expect(bind).toMatchObject({ event: { type: ['info'], action: 'bind' }, source: { ip: '0.0.0.0', port: 53 }, network: { transport: 'udp', type: 'ipv4' } });
    expect(bind!.destination).toBeUndefined();
    expect(bind!.network.direction).toBeUndefined();
    expect(six).toMatchObject({ destination: { ip: '2001:db8::1', port: 80 }, network: { type: 'ipv6' } });
  });

  it('setuid/setgid: new ids in user.*/process.*, old ones (from the table) as extra JSON; the table follows', () => {
    const p = proc(600, 4, { uid: 1000, euid: 1000, gid: 1000 });
    const ids = (real: number, effective: number, saved: number, fs: number) => ({ new_real: real, new_effective: effective, new_saved: saved, new_fs: fs });
    const [, uid, gid, again, after] = convert(
      // exec makes the saved and fs ids the effective ones: the table knows all four from here.
      frame('process_exec', { ...p, egid: 1000, exe: '/usr/bin/su', args: 'su\0', argc: 1 }),
      frame('cred_setuid', { ...p, ...ids(0, 0, 0, 0) }),
      frame('cred_setgid', { ...p, ...ids(0, 0, 1000, 0) }),
      frame('cred_setuid', { ...p, uid: 0, euid: 0, ...ids(0, 65534, 0, 65534) }),
      frame('file_unlink', { ...p, path: '/x' }),
    );
    expect(uid).toMatchObject({
      event: { category: ['process'], type: ['change'], action: 'uid_change' },
      user: { id: '0', name: 'root' },
      process: { user: { id: '0' }, real_user: { id: '0' }, saved_user: { id: '0', name: 'root' } },
      kestrel: { previous_user: { real: '1000', effective: '1000', saved: '1000', fs: '1000' } },
    });
    expect(gid).toMatchObject({
      event: { action: 'gid_change' }, group: { id: '0', name: 'root' }, user: { id: '0' }, process: { saved_group: { id: '1000' } },
      kestrel: { previous_group: { real: '1000', effective: '1000', saved: '1000', fs: '1000' } },
    });
    expect(again).toMatchObject({ user: { id: '65534' }, kestrel: { previous_user: { real: '0', effective: '0', saved: '0', fs: '0' } } });
    expect(after).toMatchObject({ user: { id: '65534' }, group: { id: '0' } });
  });

  it('setuid of a process the table never saw: previous ids only as far as the header tells', () => {
    const [uid] = convert(frame('cred_setuid', { ...proc(610, 4, { uid: 1000, euid: 1001 }), new_real: 0, new_effective: 0, new_saved: 0, new_fs: 0 }));
    expect(uid!.kestrel).toEqual({ previous_user: { real: '1000', effective: '1001' } });
  });

  it('capset, ptrace, memfd_create and module load', () => {
    const p = proc(700, 5);
    const [, caps, ptrace, memfd, mod, capsAgain] = convert(
      frame('process_exec', { ...p, exe: '/usr/bin/capsh', cap_effective: 0n, cap_permitted: 1n << 19n, cap_inheritable: 0n }),
      frame('cred_capset', { ...p, new_effective: (1n << 21n) | (1n << 39n), new_permitted: 1n << 19n }),
      frame('process_ptrace', { ...p, request: 16, target_pid: 42 }),
      frame('process_memfd', { ...p, mfd_flags: 1 | 0x10, name: 'stage2' }),
      frame('module_load', { ...p, name: 'rootkit' }),
      frame('cred_capset', { ...p, new_effective: 0n, new_permitted: 0n, new_inheritable: 1n }),
    );
    expect(caps).toMatchObject({
      event: { category: ['process'], type: ['change'], action: 'capabilities_change' },
      process: { thread: { capabilities: { effective: ['CAP_SYS_ADMIN', 'CAP_BPF'], permitted: ['CAP_SYS_PTRACE'] } } },
      kestrel: { previous_capabilities: { effective: '0x0', permitted: '0x80000', inheritable: '0x0' }, inheritable: '0x0' },
    });
    // The previous sets of the next capset are this one's new sets, kept in the table.
    expect(capsAgain!.kestrel).toEqual({ previous_capabilities: { effective: '0x8000200000', permitted: '0x80000', inheritable: '0x0' }, inheritable: '0x1' });
    expect(ptrace).toMatchObject({ event: { type: ['access'], action: 'ptrace' }, process: { Ext: { ptrace: { request: 16, child_pid: 42 } } } });
    expect(memfd).toMatchObject({
      event: { type: ['info'], action: 'memfd_create' },
      process: { Ext: { memfd: { name: 'stage2', flags: 0x11, flag_cloexec: true, flag_allow_seal: false, flag_hugetlb: false, flag_noexec_seal: false, flag_exec: true } } },
    });
    expect(mod).toMatchObject({ event: { category: ['driver', 'process'], type: ['start'], action: 'load_module' }, process: { Ext: { load_module: { name: 'rootkit' } } } });
  });

  it('snapshot: one already_running record per known process, parents first, with parent fields and start time', () => {
    const info = (pid: number, ppid: number, startTicks: number, name: string) => ({
      pid, ppid, startTicks, entityId: entityId(BOOT_ID, pid, startTicks), name, executable: `/usr/bin/${name}`, args: [name], uid: 0, gid: 0, euid: 0, egid: 0,
    });
    table.set(info(300, 200, 50, 'child'));
    table.set(info(200, 1, 20, 'parent'));
    const out: Array<Record<string, any>> = [];
    const view = new RecordView(layout);
    const n = conv.snapshot(1_800_000_000_000_000, (record, length) => out.push({ ...decodeRecord(view.reset(record.slice(0, length), 0)), seq: view.seq }));
    expect(n).toBe(2);
    expect(out.map((r) => [r.seq, r.process.pid])).toEqual([[7, 200], [8, 300]]);
    expect(out[1]).toMatchObject({
      event: { category: ['process'], type: ['info'], action: 'already_running' },
      process: { pid: 300, entity_id: entityId(BOOT_ID, 300, 50), name: 'child', start: wall(50n * 10_000_000n), parent: { pid: 200, entity_id: entityId(BOOT_ID, 200, 20), name: 'parent' } },
    });
    expect(out[0]['@timestamp']).toBe('2027-01-15T08:00:00.000000000Z');
  });

  it('skips kinds it does not know, without using a seq', () => {
    const unknown = frame('process_exit', proc(800, 1));
    new DataView(unknown.buffer).setUint32(FRAME_HEADER_BYTES, 99, true);
    const records = convert(unknown, frame('process_exit', proc(801, 1)));
    expect(records.map((r) => r.seq)).toEqual([7]);
    expect(conv.unknownKinds).toBe(1);
  });
});

describe('BootClock', () => {
  it('adds the offset exactly, for any boot time a u64 can hold', () => {
    const offset = 1_790_000_000_987_654_321n;
    const clock = new BootClock(offset);
    for (const boot of [0n, 999n, 1000n, 123_456_789_012n, (1n << 53n) + 12_345n, 365n * 86_400n * SEC * 3n + 999n]) {
      clock.convert(Number(boot & 0xffffffffn), Number(boot >> 32n));
      expect(BigInt(clock.us) * 1000n + BigInt(clock.ns)).toBe(boot + offset);
      expect(clock.ns).toBeLessThan(1000);
    }
    clock.convertTicks(12_345);
    expect(BigInt(clock.us) * 1000n + BigInt(clock.ns)).toBe(12_345n * 10_000_000n + offset);
  });
});
