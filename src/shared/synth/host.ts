// The simulated Linux host: users, a process table with fork/exec/exit, pid allocation with
// wrap-around (so pids are reused, as on a real box), and Elastic-style entity ids.
import { Prng, hashString } from './prng.js';

export interface User {
  uid: string;
  name: string;
  gid: string;
  group: string;
  home: string;
}

export interface Proc {
  pid: number;
  /** Stable hash of (boot id, pid, start time): unique even when the pid is reused. */
  entityId: string;
  name: string;
  exe: string;
  args: string[];
  commandLine: string;
  cwd: string;
  user: User;
  parent: Proc | undefined;
  /** Fork time, microseconds since the epoch. */
  startUs: number;
}

export const USERS = {
  root: { uid: '0', name: 'root', gid: '0', group: 'root', home: '/root' },
  www: { uid: '33', name: 'www-data', gid: '33', group: 'www-data', home: '/var/www' },
  alice: { uid: '1000', name: 'alice', gid: '1000', group: 'alice', home: '/home/alice' },
  bob: { uid: '1001', name: 'bob', gid: '1001', group: 'bob', home: '/home/bob' },
  app: { uid: '1002', name: 'app', gid: '1002', group: 'app', home: '/srv/app' },
  postgres: { uid: '112', name: 'postgres', gid: '119', group: 'postgres', home: '/var/lib/postgresql' },
} as const satisfies Record<string, User>;

/** Linux default pid_max is 32768 on small machines; pids wrap and get reused. */
export const DEFAULT_PID_MAX = 32768;
const PID_FIRST_REUSABLE = 300;

export class Host {
  readonly bootId: string;
  readonly hostname: string;
  readonly hostId: string;
  readonly kernel = '6.1.0-18-amd64';
  /** IPv4 address of the host, as four octets. */
  readonly ip: readonly [number, number, number, number];
  readonly procs = new Map<number, Proc>();
  private nextPid = 2;
  private readonly pidMax: number;

  constructor(rng: Prng, pidMax = DEFAULT_PID_MAX) {
    this.pidMax = pidMax;
    this.bootId = hex32(rng.u32()) + hex32(rng.u32()) + hex32(rng.u32()) + hex32(rng.u32());
    this.hostname = rng.pick(['web-01', 'app-02', 'build-03', 'db-04']);
    this.hostId = hex32(rng.u32()) + hex32(rng.u32()) + hex32(rng.u32()) + hex32(rng.u32());
    this.ip = [10, 0, rng.range(0, 9), rng.range(2, 250)];
  }

  /** The first process (pid 1), created at boot. */
  init(atUs: number): Proc {
    const p = this.makeProc(1, undefined, USERS.root, atUs);
    this.setImage(p, '/usr/lib/systemd/systemd', ['/sbin/init'], '/');
    return p;
  }

  /** fork(): a child with the parent's image and a fresh pid. */
  fork(parent: Proc, atUs: number): Proc {
    const p = this.makeProc(this.allocPid(), parent, parent.user, atUs);
    p.name = parent.name;
    p.exe = parent.exe;
    p.args = parent.args;
    p.commandLine = parent.commandLine;
    p.cwd = parent.cwd;
    return p;
  }

  /** execve(): the same process (pid and entity id) runs a new image. */
  setImage(p: Proc, exe: string, args: string[], cwd?: string): void {
    p.exe = exe;
    p.name = exe.slice(exe.lastIndexOf('/') + 1);
    p.args = args;
    p.commandLine = args.join(' ');
    if (cwd !== undefined) p.cwd = cwd;
  }

  /** Moves the pid counter on, as if `n` short-lived processes had come and gone since boot. */
  skipPids(n: number): void {
    this.nextPid = PID_FIRST_REUSABLE + ((this.nextPid - PID_FIRST_REUSABLE + n) % (this.pidMax - PID_FIRST_REUSABLE));
  }

  exit(p: Proc): void {
    this.procs.delete(p.pid);
  }

  private makeProc(pid: number, parent: Proc | undefined, user: User, atUs: number): Proc {
    const p: Proc = { pid, entityId: entityId(this.bootId, pid, atUs), name: '', exe: '', args: [], commandLine: '', cwd: '/', user, parent, startUs: atUs };
    this.procs.set(pid, p);
    return p;
  }

  private allocPid(): number {
    for (;;) {
      const pid = this.nextPid++;
      if (this.nextPid >= this.pidMax) this.nextPid = PID_FIRST_REUSABLE;
      if (!this.procs.has(pid)) return pid;
    }
  }
}

/** Elastic Defend entity ids are opaque base64 strings; this one hashes (boot id, pid, start). */
export function entityId(bootId: string, pid: number, startUs: number): string {
  const key = `${bootId}:${pid}:${startUs}`;
  const bytes = new Uint8Array(12);
  const dv = new DataView(bytes.buffer);
  dv.setUint32(0, hashString(key), true);
  dv.setUint32(4, hashString(key, 0x01234567), true);
  dv.setUint32(8, hashString(key, 0x89abcdef), true);
  return Buffer.from(bytes).toString('base64');
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}
