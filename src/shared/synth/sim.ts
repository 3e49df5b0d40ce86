// The simulation loop: a clock, the host, and a set of concurrently running activities whose
// events interleave. An activity is a generator that emits one event per step (through the Sim
// methods) and yields; the scheduler picks which activity steps next. Everything random comes
// from one seeded Prng, so a seed fixes the output byte for byte.
import type { RecordLayout } from '../record/layout.js';
import { EcsRecordWriter, type FileAction } from './ecs.js';
import { Host, USERS, type Proc, type User } from './host.js';
import { Prng } from './prng.js';

export type Activity = Generator<void, void, void>;

/** Receives each finished record: bytes [0, length) of `bytes` (valid until the next call). */
export type RecordSink = (bytes: Uint8Array, length: number) => void;

export class Sim {
  readonly rng: Prng;
  readonly host: Host;
  /** Event time, microseconds since the epoch. */
  nowUs: number;
  /** seq of the next event. */
  seq: number;
  emitted = 0;
  readonly init: Proc;
  /** Long-running processes activities hang off. */
  readonly daemons: Record<'sshd' | 'cron' | 'nginx' | 'apache' | 'node' | 'postgres', Proc>;
  /** Interactive login shells (bash under sshd). */
  readonly shells: Proc[] = [];
  private readonly out: EcsRecordWriter;
  private readonly sink: RecordSink;

  constructor(layout: RecordLayout, seed: number | string, startUs: number, firstSeq: number, sink: RecordSink, pidMax?: number) {
    this.rng = new Prng(seed);
    this.host = new Host(this.rng, pidMax);
    this.nowUs = startUs;
    this.seq = firstSeq;
    this.out = new EcsRecordWriter(layout);
    this.sink = sink;
    // The boot-time process tree exists before the capture starts: no events for it.
    const bootUs = startUs - 86_400_000_000;
    this.init = this.host.init(bootUs);
    const daemon = (exe: string, args: string[], user: User, parent = this.init) => {
      const p = this.host.fork(parent, bootUs);
      p.user = user;
      this.host.setImage(p, exe, args, '/');
      return p;
    };
    const nginxMaster = daemon('/usr/sbin/nginx', ['nginx', '-g', 'daemon on; master_process on;'], USERS.root);
    const apacheMaster = daemon('/usr/sbin/apache2', ['/usr/sbin/apache2', '-k', 'start'], USERS.root);
    this.daemons = {
      sshd: daemon('/usr/sbin/sshd', ['sshd:', '/usr/sbin/sshd', '-D', '[listener]', '0', 'of', '10-100', 'startups'], USERS.root),
      cron: daemon('/usr/sbin/cron', ['/usr/sbin/cron', '-f'], USERS.root),
      nginx: daemon('/usr/sbin/nginx', ['nginx:', 'worker', 'process'], USERS.www, nginxMaster),
      apache: daemon('/usr/sbin/apache2', ['/usr/sbin/apache2', '-k', 'start'], USERS.www, apacheMaster),
      node: daemon('/usr/bin/node', ['node', '/srv/app/server.js'], USERS.app),
      postgres: daemon('/usr/lib/postgresql/15/bin/postgres', ['/usr/lib/postgresql/15/bin/postgres', '-D', '/var/lib/postgresql/15/main'], USERS.postgres),
    };
    this.host.skipPids(this.rng.range(800, 5000));
    for (const user of [USERS.alice, USERS.bob]) {
      const s = daemon('/usr/bin/bash', ['-bash'], user, this.daemons.sshd);
      s.cwd = user.home;
      this.shells.push(s);
    }
  }

  /** Runs activities until `count` events were emitted. `next` supplies new activities. */
  run(count: number, next: () => Activity, concurrency = 6): void {
    const active: Activity[] = [];
    while (this.emitted < count) {
      if (active.length < concurrency && (active.length === 0 || this.rng.chance(0.3))) active.push(next());
      const i = this.rng.int(active.length);
      if (active[i]!.next().done) {
        active[i] = active[active.length - 1]!;
        active.pop();
      }
    }
  }

  // ---- event emitters: each writes exactly one record -------------------------------------------

  fork(parent: Proc, user?: User): Proc {
    this.tick();
    const child = this.host.fork(parent, this.nowUs);
    if (user) child.user = user;
    this.emit(this.out.process(this.seq, this.nowUs, this.host, child, 'fork'));
    return child;
  }

  exec(p: Proc, exe: string, args: string[], cwd?: string): void {
    this.tick();
    this.host.setImage(p, exe, args, cwd);
    this.emit(this.out.process(this.seq, this.nowUs, this.host, p, 'exec'));
  }

  exit(p: Proc, code = 0): void {
    this.tick();
    this.emit(this.out.process(this.seq, this.nowUs, this.host, p, 'end', code));
    this.host.exit(p);
  }

  file(p: Proc, action: FileAction, path: string, originalPath?: string): void {
    this.tick();
    this.emit(this.out.file(this.seq, this.nowUs, this.host, p, action, path, originalPath));
  }

  connect(p: Proc, remote: readonly number[], port: number): void {
    this.tick();
    this.emit(this.out.network(this.seq, this.nowUs, this.host, p, 'connection_attempted', remote, port, this.rng.range(32768, 60999)));
  }

  accept(p: Proc, remote: readonly number[], localPort: number): void {
    this.tick();
    this.emit(this.out.network(this.seq, this.nowUs, this.host, p, 'connection_accepted', remote, this.rng.range(32768, 60999), localPort));
  }

  // ---- helpers for activities -------------------------------------------------------------------

  /** A routable public IPv4 address (not private, loopback, link-local or multicast). */
  publicIp(): number[] {
    for (;;) {
      const a = this.rng.range(1, 223);
      if (a === 10 || a === 127 || a === 169 || a === 172 || a === 192 || a === 100) continue;
      return [a, this.rng.int(256), this.rng.int(256), this.rng.range(1, 254)];
    }
  }

  internalIp(): number[] {
    return [10, 0, this.rng.range(0, 9), this.rng.range(2, 250)];
  }

  private tick(): void {
    // Events arrive at ~1.2k/s on average with bursty exponential gaps; always ≥ 1 µs apart.
    this.nowUs += 1 + Math.floor(this.rng.exp(800));
  }

  private emit(length: number): void {
    this.sink(this.out.builder.output, length);
    this.seq++;
    this.emitted++;
  }
}
