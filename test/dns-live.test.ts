// DNS lookups for real (#15): a program resolving a name through glibc's resolver is seen as a
// `lookup_result` (dns.question.name, dns.resolved_ip, the server as source), and an Endpoint rule's
// `dns where` fires on it. The resolver talks to a tiny DNS server inside a throw-away network
// namespace (its own loopback, its own /etc/resolv.conf), so nothing leaves the host.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseValidAlerts } from './helpers/alert-schema.js';
import { distModule } from './helpers/dist.js';
import { EBPF_UNAVAILABLE, ebpfSuiteTitle, requireEbpfWhenAsked } from './helpers/ebpf.js';
import { startKestrelRun } from './helpers/live-run.js';

requireEbpfWhenAsked();

describe.skipIf(EBPF_UNAVAILABLE !== undefined)(ebpfSuiteTitle('DNS lookups (live)'), () => {
  const dir = realpathSync(mkdtempSync('/tmp/kestrel-dns-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    distModule('main/cli.js');
  });

  it('a resolved name is a lookup_result with the answer, and `dns where` fires on it', async () => {
    const tag = `k${process.pid}`;
    const rules = join(dir, 'rules');
    mkdirSync(rules);
    writeFileSync(join(rules, 'dns.toml'), `[rule]
id = "dddddddd-4444-4000-8000-000000000001"
name = "Lookup of the test domain"
description = "Kestrel test rule"
os_list = ["linux"]
version = "1.0.0"
query = '''
dns where event.action == "lookup_result" and dns.question.name like~ "*.${tag}.test"
'''
`);
    const script = join(dir, 'resolve.sh');
    writeFileSync(script, [
      'ip link set lo up',
      // glibc only asks for A records when a non-loopback address is configured (AI_ADDRCONFIG).
      'ip addr add 198.51.100.2/32 dev lo',
      `mount -t tmpfs kestrel-dns ${dir}/etc`,
      `printf 'nameserver 127.0.0.1\\n' > ${dir}/etc/resolv.conf`,
      `mount --bind ${dir}/etc/resolv.conf /etc/resolv.conf`,
      `python3 ${resolve('test/fixtures/dns/tiny-dns-server.py')} ${dir}/etc/listening &`,
      // Up to 20 s for the server to listen (a lookup before that is refused at once).
      `for i in $(seq 200); do [ -e ${dir}/etc/listening ] && break; sleep 0.1; done`,
      `[ -e ${dir}/etc/listening ]`,
      `getent ahostsv4 miner.${tag}.test > ${dir}/answer.txt`,
      'kill %1 2>/dev/null || true',
      '',
    ].join('\n'));
    mkdirSync(join(dir, 'etc'));
    const out = join(dir, 'alerts.ndjson');
    const rec = join(dir, 'run.bin');
    const { run, exited } = await startKestrelRun(['--rules', rules, '--output', out, '--record', rec, '--workers', '0']);
    try {
      const r = spawnSync('unshare', ['--mount', '--net', '--fork', 'sh', '-eu', script], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(join(dir, 'answer.txt'), 'utf8')).toMatch(/^203\.0\.113\.7 /);
      for (let i = 0; i < 100 && !(existsSync(out) && readFileSync(out, 'utf8').length > 0); i++) await new Promise((res) => setTimeout(res, 50));
    } finally {
      run.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const alerts = parseValidAlerts(readFileSync(out, 'utf8'));
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    const ev = alerts[0].kestrel.events[0];
    expect(ev).toMatchObject({
      event: { category: ['network'], type: ['protocol', 'info'], action: 'lookup_result' },
      network: { protocol: 'dns', transport: 'udp', direction: 'ingress' },
      source: { ip: '127.0.0.1', port: 53 },
      dns: { question: { name: `miner.${tag}.test`, type: 'A', class: 'IN' }, resolved_ip: ['203.0.113.7'], response_code: 'NOERROR', type: 'answer' },
      process: { name: 'getent' },
    });
    // The recording replays to the same alert.
    const replay = spawnSync(process.execPath, ['bin/kestrel', 'replay', rec, '--rules', rules], { encoding: 'utf8' });
    expect(replay.stdout).toBe(readFileSync(out, 'utf8'));
  }, 60_000);
});
