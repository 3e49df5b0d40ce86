// Prometheus metrics, health and readiness from a real `kestrel run` (eBPF) and a real
// `kestrel replay`, scraped over HTTP and parsed as the text exposition format.
import { distModule } from './helpers/dist.js';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExposition } from './helpers/prometheus.js';
import { EBPF_UNAVAILABLE, ebpfSuiteTitle, requireEbpfWhenAsked } from './helpers/ebpf.js';

requireEbpfWhenAsked();

const HIDDEN_RENAME_RULE = 'rules/defense_evasion/file_renamed_to_hidden_name_in_temp_dir.eql';

function startKestrel(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['bin/kestrel', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KESTREL_LOG_LEVEL: 'warn', ...env } });
  const io = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (io.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (io.stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (what: string, done: () => boolean, ms: number) => {
    for (const deadline = Date.now() + ms; !done(); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms; stderr: ${io.stderr}`);
    }
  };
  const address = async () => {
    await waitFor('metrics address', () => /metrics on http:\/\/(\S+)\/metrics/.test(io.stderr), 15_000);
    return /metrics on http:\/\/(\S+)\/metrics/.exec(io.stderr)![1]!;
  };
  return { child, io, exited, waitFor, address };
}

async function get(address: string, path: string) {
  const res = await fetch(`http://${address}${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

beforeAll(() => {
  distModule('main/cli.js');
});

describe('metrics from kestrel replay', () => {
  const dir = mkdtempSync(join('/tmp', 'kestrel-metrics-replay-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts events by stage and alerts by rule while it runs; /healthz and /readyz answer', async () => {
    const capture = join(dir, 'c.bin');
    execFileSync(process.execPath, ['bin/kestrel', 'synth', '--events', '300000', '--seed', '2', '-o', capture], { stdio: 'ignore' });
    // Partitioned state (two workers would otherwise be predicate helpers, with one partition: main).
    const k = startKestrel(['replay', capture, '--rules', 'rules/', '--workers', '2', '--metrics', '127.0.0.1:0', '-o', join(dir, 'a.ndjson'), '--sink', `file:${join(dir, 's.ndjson')}`], { KESTREL_STATE_ON_MAIN_MAX_WORKERS: '0' });
    const address = await k.address();
    const scrapes = [];
    let health = 0;
    let ready: { status: number; text: string } | undefined;
    // Scrape while the replay runs; the last successful scrape is the latest state.
    for (;;) {
      const r = await get(address, '/metrics').catch(() => undefined);
      if (!r) break;
      expect(r.status).toBe(200);
      expect(r.type).toContain('text/plain');
      scrapes.push(parseExposition(r.text));
      health = (await get(address, '/healthz').catch(() => ({ status: 0 }))).status || health;
      ready = (await get(address, '/readyz').catch(() => undefined)) ?? ready;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(await k.exited).toBe(0);
    expect(scrapes.length).toBeGreaterThan(2);
    expect(health).toBe(200);
    expect(ready?.status).toBe(200);
    expect(JSON.parse(ready!.text)).toEqual({ ready: true, checks: { rules_loaded: true, workers_running: true } });
    const last = scrapes.at(-1)!;
    expect(last.types.get('kestrel_events_total')).toBe('counter');
    expect(last.types.get('kestrel_partials')).toBe('gauge');
    expect(last.types.get('kestrel_ingest_to_alert_seconds')).toBe('histogram');
    // Counters only grow, and each stage is at most the one before it.
    const built = scrapes.map((s) => s.value('kestrel_events_total', { stage: 'records_built' })!);
    expect([...built].sort((a, b) => a - b)).toEqual(built);
    expect(built.at(-1)).toBeGreaterThan(0);
    expect(built.at(-1)).toBeLessThanOrEqual(300000);
    expect(last.value('kestrel_events_total', { stage: 'evaluated' })).toBeLessThanOrEqual(built.at(-1)!);
    expect(last.value('kestrel_events_total', { stage: 'matched' })).toBeLessThanOrEqual(last.value('kestrel_events_total', { stage: 'evaluated' })!);
    expect(last.value('kestrel_events_total', { stage: 'matched' })).toBeGreaterThan(0);
    expect(last.samples.filter((s) => s.name === 'kestrel_partials').map((s) => s.labels.partition).sort()).toEqual(['0', '1']);
    expect(last.value('kestrel_events_dropped_total', { stage: 'partition_ring_full' })).toBe(0);
    // Default process metrics come along.
    expect(last.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    // Alerts by rule agree with the output written so far (alerts of the last scrape ≤ total).
    const alerts = last.samples.filter((s) => s.name === 'kestrel_alerts_total').reduce((n, s) => n + s.value, 0);
    const written = execFileSync('wc', ['-l', join(dir, 'a.ndjson')], { encoding: 'utf8' });
    expect(alerts).toBeLessThanOrEqual(Number(written.trim().split(' ')[0]));
    // The sink's counters are there, labelled by the sink's name.
    const sink = `file:${join(dir, 's.ndjson')}`;
    expect(last.value('kestrel_sink_delivered_total', { sink })).toBeLessThanOrEqual(alerts);
    expect(last.value('kestrel_sink_failed_total', { sink })).toBe(0);
    expect(last.value('kestrel_sink_spooled_bytes', { sink })).toBe(0);
  }, 120_000);

  it('a taken port is an input error before any work (exit 2)', async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const k = startKestrel(['replay', join(dir, 'c.bin'), '--rules', 'rules/', '--metrics', `127.0.0.1:${port}`]);
    expect(await k.exited).toBe(2);
    expect(k.io.stderr).toContain(`cannot serve metrics on 127.0.0.1:${port}: the address is in use`);
    server.close();
  }, 60_000);
});

describe.skipIf(EBPF_UNAVAILABLE !== undefined)(ebpfSuiteTitle('metrics from kestrel run (live)'), () => {
  const dir = realpathSync(mkdtempSync('/tmp/kestrel-metrics-run-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports the kernel stage, an alert by rule with its ingest→alert latency, and readiness', async () => {
    const k = startKestrel(['run', '--rules', HIDDEN_RENAME_RULE, '--workers', '1', '--duration', '8', '--metrics', '127.0.0.1:0']);
    const address = await k.address();
    await k.waitFor('start', () => k.io.stderr.includes('watching this host'), 15_000);
    const ready = await get(address, '/readyz');
    expect(ready.status, ready.text).toBe(200);
    expect(JSON.parse(ready.text).checks).toEqual({ sensor_attached: true, rules_loaded: true, workers_running: true });
    const payload = join(dir, 'payload');
    copyFileSync('/bin/true', payload);
    renameSync(payload, join(dir, '.payload'));
    await k.waitFor('alert', () => k.io.stdout.includes('\n'), 5000);
    const m = parseExposition((await get(address, '/metrics')).text);
    const ruleId = JSON.parse(k.io.stdout.split('\n')[0]!).rule.id as string;
    expect(m.value('kestrel_alerts_total', { rule: ruleId })).toBe(1);
    expect(m.value('kestrel_events_total', { stage: 'kernel_read' })).toBeGreaterThan(0);
    expect(m.value('kestrel_events_total', { stage: 'records_built' })).toBeGreaterThan(0);
    // Live records are evaluated in the worker that owns them: counted there, in shared memory.
    expect(m.value('kestrel_events_total', { stage: 'evaluated' })).toBeGreaterThan(0);
    expect(m.value('kestrel_events_total', { stage: 'matched' })).toBeGreaterThan(0);
    expect(m.value('kestrel_events_dropped_total', { stage: 'kernel_ring_full' })).toBe(0);
    expect(m.value('kestrel_ingest_to_alert_seconds_count')).toBe(1);
    // The alert left within a second of the rename (live verdicts are on time).
    expect(m.value('kestrel_ingest_to_alert_seconds_bucket', { le: '1' })).toBe(1);
    k.child.kill('SIGTERM');
    expect(await k.exited).toBe(0);
  }, 60_000);
});
