// The userspace process table: what the sensor knows about every live process, so each event can
// carry process.* and process.parent.* (name, executable, args, entity ids, users) even when the
// kernel event itself has only a pid — and even for processes that started before Kestrel, which
// are read from /proc at start.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { entityId } from './entity-id.js';
import { UserDb } from './user-db.js';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  entityId: string;
  /** Start time in clock ticks since boot (see entity-id.ts). */
  startTicks: number;
  name: string;
  executable: string;
  args: string[];
  workingDirectory?: string;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  /** Saved and filesystem ids, when known (/proc, exec, set*id events). */
  suid?: number;
  fsuid?: number;
  sgid?: number;
  fsgid?: number;
  /**
   * Capability sets as numbers (exact: capabilities stop at 40 today, below 2^53), when known
   * (/proc, exec, set*id and capset events). They are what a capset changes from.
   */
  capEffective?: number;
  capPermitted?: number;
  capInheritable?: number;
  sessionId?: number;
  tty?: number;
  /** Set when the process exited; kept a while so late events still resolve. */
  exitedAtMs?: number;
}

export interface ProcessTableOptions {
  proc?: string;
  bootId?: string;
  users?: UserDb;
  /** How long an exited process stays resolvable, in ms of event time (default 30 s). */
  exitGraceMs?: number;
}

export class ProcessTable {
  private readonly byPid = new Map<number, ProcessInfo>();
  readonly bootId: string;
  readonly users: UserDb;
  private readonly proc: string;
  private readonly exitGraceMs: number;

  constructor(opts: ProcessTableOptions = {}) {
    this.proc = opts.proc ?? '/proc';
    this.bootId = opts.bootId ?? readFileSync(`${this.proc}/sys/kernel/random/boot_id`, 'utf8').trim();
    this.users = opts.users ?? new UserDb();
    this.exitGraceMs = opts.exitGraceMs ?? 30_000;
  }

  get size(): number {
    return this.byPid.size;
  }

  get(pid: number): ProcessInfo | undefined {
    return this.byPid.get(pid);
  }

  /** Every process known now (a copy). */
  entries(): ProcessInfo[] {
    return [...this.byPid.values()];
  }

  /** Records a process learnt some other way (read from /proc late, or built from an event). */
  set(info: ProcessInfo): void {
    this.byPid.set(info.pid, info);
  }

  /** Reads every process in /proc. Processes that vanish while we read are skipped. */
  seedFromProc(): number {
    let n = 0;
    for (const name of readdirSync(this.proc)) {
      if (!/^\d+$/.test(name)) continue;
      const info = this.readProc(Number(name));
      if (info) {
        this.byPid.set(info.pid, info);
        n++;
      }
    }
    return n;
  }

  /** Reads one process from /proc (also used for a pid first seen in an event). */
  readProc(pid: number): ProcessInfo | undefined {
    try {
      const base = `${this.proc}/${pid}`;
      const stat = readFileSync(`${base}/stat`, 'utf8');
      // comm may contain spaces and parentheses: fields start after the LAST ')'.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      // f[0] = state (field 3); ppid = field 4, session = 6, tty_nr = 7, starttime = 22.
      const ppid = Number(f[1]);
      const sessionId = Number(f[3]);
      const tty = Number(f[4]);
      const startTicks = Number(f[19]);
      const status = readFileSync(`${base}/status`, 'utf8');
      // "Uid:\treal\teffective\tsaved\tfs", "CapEff:\t000001ffffffffff" (hex).
      const line = (key: string) => (new RegExp(`^${key}:\\s+(.*)$`, 'm').exec(status)?.[1] ?? '').trim().split(/\s+/);
      const [uid, euid, suid, fsuid] = line('Uid').map(Number);
      const [gid, egid, sgid, fsgid] = line('Gid').map(Number);
      const caps = (key: string) => {
        const hex = line(key)[0];
        return hex ? parseInt(hex, 16) : undefined;
      };
      const cmdline = readFileSync(`${base}/cmdline`);
      const args = cmdline.length ? cmdline.toString('utf8').replace(/\0$/, '').split('\0') : [];
      const executable = safeReadlink(`${base}/exe`) ?? '';
      const workingDirectory = safeReadlink(`${base}/cwd`);
      return {
        pid, ppid, startTicks, entityId: entityId(this.bootId, pid, startTicks),
        // Kernel threads have no exe; their name is the comm.
        name: executable ? basename(executable) : comm,
        executable, args, workingDirectory, uid: uid!, gid: gid!, euid: euid!, egid: egid!, suid, fsuid, sgid, fsgid,
        capEffective: caps('CapEff'), capPermitted: caps('CapPrm'), capInheritable: caps('CapInh'), sessionId, tty,
      };
    } catch {
      return undefined;
    }
  }

  /** fork/clone: the child starts as a copy of its parent (same image until it execs). */
  onFork(parentPid: number, childPid: number, childStartTicks: number): ProcessInfo {
    const parent = this.byPid.get(parentPid) ?? this.readProc(parentPid);
    const child: ProcessInfo = {
      ...(parent ?? { name: '', executable: '', args: [], uid: 0, gid: 0, euid: 0, egid: 0 }),
      pid: childPid,
      ppid: parentPid,
      startTicks: childStartTicks,
      entityId: entityId(this.bootId, childPid, childStartTicks),
      exitedAtMs: undefined,
    };
    this.byPid.set(childPid, child);
    return child;
  }

  /** exec: same process (same entity id), new image. */
  onExec(pid: number, update: Partial<ProcessInfo> & { startTicks: number }): ProcessInfo {
    const prev = this.byPid.get(pid);
    const info: ProcessInfo = {
      ...(prev ?? { ppid: 0, name: '', executable: '', args: [], uid: 0, gid: 0, euid: 0, egid: 0 }),
      ...update,
      pid,
      entityId: prev && prev.startTicks === update.startTicks ? prev.entityId : entityId(this.bootId, pid, update.startTicks),
    };
    if (update.executable && !update.name) info.name = basename(update.executable);
    this.byPid.set(pid, info);
    return info;
  }

  onExit(pid: number, eventTimeMs: number): void {
    const p = this.byPid.get(pid);
    if (p) p.exitedAtMs = eventTimeMs;
  }

  /** Forgets processes that exited more than the grace period ago (event time). */
  sweep(eventTimeMs: number): number {
    let removed = 0;
    for (const [pid, p] of this.byPid) {
      if (p.exitedAtMs !== undefined && eventTimeMs - p.exitedAtMs > this.exitGraceMs) {
        this.byPid.delete(pid);
        removed++;
      }
    }
    return removed;
  }
}

function safeReadlink(path: string): string | undefined {
  try {
    return readlinkSync(path).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}
