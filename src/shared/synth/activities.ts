// Benign host activity: interactive commands in login shells, cron jobs, web and app traffic,
// ssh logins, package and log maintenance. Each function is an Activity (see sim.ts): it emits
// one event per step and yields.
import { USERS, type Proc } from './host.js';
import type { Activity, Sim } from './sim.js';

interface Command {
  exe: string;
  /** argv variants; the first element is argv[0]. */
  argv: string[][];
  /** Optional side effects, run by the child after exec. */
  effect?: (s: Sim, p: Proc) => Activity;
}

const COMMANDS: Command[] = [
  { exe: '/usr/bin/ls', argv: [['ls', '-la'], ['ls'], ['ls', '-lh', '/var/log']] },
  { exe: '/usr/bin/cat', argv: [['cat', '/etc/os-release'], ['cat', 'notes.txt'], ['cat', '/proc/meminfo']] },
  { exe: '/usr/bin/grep', argv: [['grep', '-r', 'TODO', 'src'], ['grep', 'error', '/var/log/syslog']] },
  { exe: '/usr/bin/ps', argv: [['ps', 'aux'], ['ps', '-ef']] },
  { exe: '/usr/bin/git', argv: [['git', 'status'], ['git', 'pull'], ['git', 'log', '--oneline']], effect: gitEffect },
  { exe: '/usr/bin/python3', argv: [['python3', 'report.py'], ['python3', '-m', 'pytest', '-q']], effect: writeFiles(['report.csv', 'out/result.json']) },
  { exe: '/usr/bin/vim', argv: [['vim', 'notes.txt'], ['vim', 'config.yaml']], effect: editFile },
  { exe: '/usr/bin/cp', argv: [['cp', 'config.yaml', 'config.yaml.bak']], effect: writeFiles(['config.yaml.bak']) },
  { exe: '/usr/bin/rm', argv: [['rm', '-f', 'build.log'], ['rm', 'tmp.txt']], effect: deleteFiles(['build.log', 'tmp.txt']) },
  { exe: '/usr/bin/tar', argv: [['tar', 'czf', 'backup.tar.gz', 'docs']], effect: writeFiles(['backup.tar.gz']) },
  { exe: '/usr/bin/curl', argv: [['curl', '-s', 'https://api.github.com/repos'], ['curl', '-fsSL', 'https://deb.debian.org/']], effect: connectOut(443) },
  { exe: '/usr/bin/ssh', argv: [['ssh', 'git@github.com'], ['ssh', 'deploy@10.0.3.7']], effect: connectOut(22) },
  { exe: '/usr/bin/systemctl', argv: [['systemctl', 'status', 'nginx'], ['systemctl', 'is-active', 'cron']] },
  { exe: '/usr/bin/journalctl', argv: [['journalctl', '-u', 'nginx', '--since', 'today']] },
  { exe: '/usr/bin/top', argv: [['top', '-b', '-n', '1']] },
  { exe: '/usr/bin/df', argv: [['df', '-h']] },
  { exe: '/usr/bin/make', argv: [['make'], ['make', 'test']], effect: writeFiles(['build/app.o', 'build/app']) },
];

/** A user runs one command in a login shell: fork, exec, side effects, exit. */
export function* shellCommand(s: Sim): Activity {
  const shell = s.rng.pick(s.shells);
  const cmd = s.rng.pick(COMMANDS);
  const child = s.fork(shell);
  yield;
  s.exec(child, cmd.exe, s.rng.pick(cmd.argv));
  yield;
  if (cmd.effect) yield* cmd.effect(s, child);
  s.exit(child, s.rng.chance(0.05) ? 1 : 0);
  yield;
}

/** cron runs a job through /bin/sh -c. */
export function* cronJob(s: Sim): Activity {
  const job = s.rng.pick([
    { cmd: 'test -x /usr/sbin/anacron || run-parts --report /etc/cron.daily', exe: '/usr/bin/run-parts', argv: ['run-parts', '--report', '/etc/cron.daily'] },
    { cmd: '/usr/lib/php/sessionclean', exe: '/usr/lib/php/sessionclean', argv: ['/usr/lib/php/sessionclean'] },
    { cmd: '/usr/local/bin/backup.sh', exe: '/usr/local/bin/backup.sh', argv: ['/usr/local/bin/backup.sh'] },
  ]);
  const sh = s.fork(s.daemons.cron);
  yield;
  s.exec(sh, '/usr/bin/sh', ['/bin/sh', '-c', job.cmd], '/root');
  yield;
  const child = s.fork(sh);
  yield;
  s.exec(child, job.exe, job.argv);
  yield;
  if (job.exe.endsWith('backup.sh')) {
    s.file(child, 'creation', `/var/backups/db-${s.rng.range(1, 9999)}.sql.gz`);
    yield;
  }
  s.exit(child);
  yield;
  s.exit(sh);
  yield;
}

/** Web traffic: a client connects to nginx/apache/node, which may log or call postgres. */
export function* webRequest(s: Sim): Activity {
  const server = s.rng.pick([s.daemons.nginx, s.daemons.nginx, s.daemons.apache, s.daemons.node]);
  const port = server === s.daemons.node ? 3000 : s.rng.pick([80, 443]);
  s.accept(server, s.rng.chance(0.7) ? s.publicIp() : s.internalIp(), port);
  yield;
  if (server === s.daemons.node && s.rng.chance(0.5)) {
    s.connect(server, [127, 0, 0, 1], 5432);
    yield;
    s.accept(s.daemons.postgres, [127, 0, 0, 1], 5432);
    yield;
  }
  if (s.rng.chance(0.1)) {
    s.file(server, 'modification', server === s.daemons.apache ? '/var/log/apache2/access.log' : '/var/log/nginx/access.log');
    yield;
  }
}

/** An ssh login: sshd accepts, forks a session, a login shell starts (and an old one logs out). */
export function* sshLogin(s: Sim): Activity {
  const user = s.rng.pick([USERS.alice, USERS.bob]);
  s.accept(s.daemons.sshd, s.internalIp(), 22);
  yield;
  const session = s.fork(s.daemons.sshd);
  yield;
  s.exec(session, '/usr/sbin/sshd', ['sshd:', `${user.name}@pts/${s.rng.range(0, 9)}`]);
  yield;
  const shell = s.fork(session, user);
  yield;
  s.exec(shell, '/usr/bin/bash', ['-bash'], user.home);
  yield;
  s.file(shell, 'modification', `${user.home}/.bash_history`);
  s.shells.push(shell);
  yield;
  if (s.shells.length > 6) {
    const old = s.shells.shift()!;
    s.exit(old);
    yield;
  }
}

/** Maintenance as root: package lists refresh or log rotation (renames and deletes). */
export function* maintenance(s: Sim): Activity {
  const p = s.fork(s.init);
  yield;
  if (s.rng.chance(0.5)) {
    s.exec(p, '/usr/bin/apt-get', ['apt-get', 'update', '-qq'], '/');
    yield;
    s.connect(p, s.publicIp(), 80);
    yield;
    s.file(p, 'creation', '/var/lib/apt/lists/partial/deb.debian.org_debian_dists_bookworm_InRelease');
    yield;
    s.file(p, 'rename', '/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease', '/var/lib/apt/lists/partial/deb.debian.org_debian_dists_bookworm_InRelease');
    yield;
  } else {
    s.exec(p, '/usr/sbin/logrotate', ['/usr/sbin/logrotate', '/etc/logrotate.conf'], '/');
    yield;
    const log = s.rng.pick(['/var/log/syslog', '/var/log/nginx/access.log', '/var/log/auth.log']);
    s.file(p, 'rename', `${log}.1`, log);
    yield;
    s.file(p, 'creation', log);
    yield;
    s.file(p, 'deletion', `${log}.7.gz`);
    yield;
  }
  s.exit(p);
  yield;
}

function* gitEffect(s: Sim, p: Proc): Activity {
  if (p.args[1] === 'pull') {
    s.connect(p, s.publicIp(), 443);
    yield;
    s.file(p, 'modification', `${p.cwd}/.git/FETCH_HEAD`);
    yield;
  }
}

function* editFile(s: Sim, p: Proc): Activity {
  const name = p.args[1] ?? 'notes.txt';
  const path = `${p.cwd}/${name}`;
  s.file(p, 'creation', `${p.cwd}/.${name}.swp`);
  yield;
  s.file(p, 'rename', `${path}~`, path);
  yield;
  s.file(p, 'creation', path);
  yield;
  s.file(p, 'deletion', `${p.cwd}/.${name}.swp`);
  yield;
}

function writeFiles(names: string[]) {
  return function* (s: Sim, p: Proc): Activity {
    for (const n of names) {
      s.file(p, 'creation', `${p.cwd}/${n}`);
      yield;
    }
  };
}

function deleteFiles(names: string[]) {
  return function* (s: Sim, p: Proc): Activity {
    s.file(p, 'deletion', `${p.cwd}/${s.rng.pick(names)}`);
    yield;
  };
}

function connectOut(port: number) {
  return function* (s: Sim, p: Proc): Activity {
    s.connect(p, s.publicIp(), port);
    yield;
  };
}

/** Benign activities with their relative frequencies. */
export const BENIGN: { weight: number; run: (s: Sim) => Activity }[] = [
  { weight: 40, run: shellCommand },
  { weight: 30, run: webRequest },
  { weight: 8, run: cronJob },
  { weight: 4, run: sshLogin },
  { weight: 3, run: maintenance },
];
