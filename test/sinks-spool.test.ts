// The on-disk spool in front of network sinks, and the delivery loop over it: resume from the
// cursor, a torn last line, a damaged cursor, the size bound, segment clean-up; retries in order
// with backoff, and what close() leaves behind.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spool, spoolDirFor } from '../src/main/sinks/spool.js';
import { SpooledSink, type Transport } from '../src/main/sinks/network-sink.js';
import type { OutgoingAlert } from '../src/main/sinks/types.js';
import { initLogger } from '../src/shared/log.js';
import { sleep, testAlert, waitFor } from './helpers/servers.js';

let root: string;
let n = 0;
/** A fresh spool root per test. */
const fresh = () => join(root, `t${n++}`);

beforeAll(() => {
  initLogger(process.env.KESTREL_LOG_LEVEL ?? 'silent');
  root = mkdtempSync(join(tmpdir(), 'kestrel-spool-'));
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const ids = (alerts: readonly OutgoingAlert[]) => alerts.map((a) => a.id);
const range = (from: number, to: number, prefix = 'a') => Array.from({ length: to - from }, (_, i) => testAlert(from + i, prefix).id);
const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.ndjson')).sort();

/** Reads and acks everything, returning the ids in order. */
function drain(spool: Spool, batch = 7): string[] {
  const out: string[] = [];
  for (let b = spool.readBatch(batch, 1 << 20); b; b = spool.readBatch(batch, 1 << 20)) {
    out.push(...ids(b.alerts));
    spool.ack(b);
  }
  return out;
}

describe('spool', () => {
  it('keeps its folder under a short hash of the sink name, with the name beside the data', () => {
    const r = fresh();
    const s = Spool.open(r, 'redis://127.0.0.1:6379/alerts');
    s.close();
    expect(s.dir).toBe(spoolDirFor(r, 'redis://127.0.0.1:6379/alerts'));
    expect(s.dir).toMatch(/\/[0-9a-f]{16}$/);
    expect(readFileSync(join(s.dir, 'name'), 'utf8')).toBe('redis://127.0.0.1:6379/alerts\n');
  });

  it('hands out alerts in order and resumes from the cursor after a reopen', () => {
    const r = fresh();
    const s = Spool.open(r, 'sink');
    for (let i = 0; i < 10; i++) expect(s.append(testAlert(i))).toBe(true);
    expect(s.pending()).toBe(10);
    const b = s.readBatch(4, 1 << 20)!;
    expect(ids(b.alerts)).toEqual(range(0, 4));
    // Reading again without an ack gives the same batch: only ack() moves the cursor.
    expect(ids(s.readBatch(4, 1 << 20)!.alerts)).toEqual(range(0, 4));
    s.ack(b);
    expect(s.pending()).toBe(6);
    const unacked = s.readBatch(3, 1 << 20)!;
    expect(ids(unacked.alerts)).toEqual(range(4, 7));
    s.close();

    const again = Spool.open(r, 'sink');
    expect(again.pending()).toBe(6);
    expect(drain(again)).toEqual(range(4, 10));
    expect(again.pending()).toBe(0);
    expect(again.bytes()).toBe(0);
    again.close();
  });

  it('keeps whole alerts: the line, rule and severity come back as offered', () => {
    const s = Spool.open(fresh(), 'sink');
    const a: OutgoingAlert = { id: 'x', ruleId: 'r', severity: 'critical', line: '{"a":"line with \\n and \\"quotes\\" and ünïcödé"}' };
    s.append(a);
    expect(s.readBatch(1, 1 << 20)!.alerts).toEqual([a]);
    s.close();
  });

  it('spreads alerts over segments and deletes each once delivered', () => {
    const r = fresh();
    const s = Spool.open(r, 'sink', { segmentBytes: 1024 });
    for (let i = 0; i < 40; i++) s.append(testAlert(i));
    const before = segments(s.dir);
    expect(before.length).toBeGreaterThan(3);
    expect(before[0]).toBe('0000000001.ndjson');
    // Delivering the first segment's alerts removes that segment (and only it).
    const first = s.readBatch(1000, 1 << 20)!;
    expect(first.segment).toBe(1);
    s.ack(first);
    expect(segments(s.dir)).toEqual(before.slice(1));
    expect(drain(s)).toEqual(range(first.alerts.length, 40));
    // The segment being appended to stays (drained) while it has room; the others are gone.
    expect(segments(s.dir)).toEqual([before.at(-1)]);
    expect(s.bytes()).toBe(0);
    expect(s.pending()).toBe(0);
    s.append(testAlert(40));
    s.close();
    const again = Spool.open(r, 'sink', { segmentBytes: 1024 });
    expect(drain(again)).toEqual(range(40, 41));
    again.close();
    const third = Spool.open(r, 'sink', { segmentBytes: 1024 });
    expect(segments(third.dir)).toEqual([]);
    expect(third.pending()).toBe(0);
    third.close();
  });

  it('drained after every alert, keeps appending to one segment', () => {
    const s = Spool.open(fresh(), 'sink');
    for (let i = 0; i < 50; i++) {
      s.append(testAlert(i));
      expect(drain(s)).toEqual(range(i, i + 1));
    }
    expect(segments(s.dir)).toEqual(['0000000001.ndjson']);
    s.close();
  });

  it('skips a torn last line (the process died inside write) and goes on appending after it', () => {
    const r = fresh();
    const s = Spool.open(r, 'sink');
    for (let i = 0; i < 3; i++) s.append(testAlert(i));
    s.close();
    const seg = join(s.dir, segments(s.dir).at(-1)!);
    const size = readFileSync(seg).length;
    appendFileSync(seg, '{"id":"a-999999","rule":"test-ru');

    const again = Spool.open(r, 'sink');
    expect(again.skipped).toBe(1);
    expect(again.pending()).toBe(3);
    expect(readFileSync(seg).length).toBe(size); // cut back to the last whole line
    again.append(testAlert(3));
    expect(drain(again)).toEqual(range(0, 4));
    again.close();
  });

  it('skips a damaged line in the middle and delivers the rest', () => {
    const r = fresh();
    const s = Spool.open(r, 'sink');
    s.append(testAlert(0));
    s.close();
    appendFileSync(join(s.dir, segments(s.dir)[0]!), 'not json at all\n');
    const again = Spool.open(r, 'sink');
    again.append(testAlert(1));
    expect(drain(again)).toEqual(range(0, 2));
    expect(again.skipped).toBe(1);
    expect(again.pending()).toBe(0);
    again.close();
  });

  it.each([
    ['garbage', 'not json'],
    ['a cursor inside a line', JSON.stringify({ segment: 1, offset: 5 })],
    ['a cursor past the end', JSON.stringify({ segment: 1, offset: 10_000_000 })],
    ['a cursor before every segment', JSON.stringify({ segment: 0, offset: 0 })],
    ['an empty file', ''],
  ])('after a damaged cursor (%s) delivers again from the oldest segment: duplicates, no losses', (_what, text) => {
    const r = fresh();
    const s = Spool.open(r, 'sink');
    for (let i = 0; i < 5; i++) s.append(testAlert(i));
    s.ack(s.readBatch(2, 1 << 20)!);
    s.close();
    writeFileSync(join(s.dir, 'cursor.json'), text);
    const again = Spool.open(r, 'sink');
    expect(again.pending()).toBe(5);
    expect(drain(again)).toEqual(range(0, 5));
    again.close();
  });

  it('finishes removing segments a crash left behind after the cursor moved past them', () => {
    const r = fresh();
    const s = Spool.open(r, 'sink', { segmentBytes: 512 });
    for (let i = 0; i < 10; i++) s.append(testAlert(i));
    s.close();
    const segs = segments(s.dir);
    expect(segs.length).toBeGreaterThan(2);
    // The cursor already points at the third segment; the first two were never removed.
    writeFileSync(join(s.dir, 'cursor.json'), JSON.stringify({ segment: 3, offset: 0 }));
    const again = Spool.open(r, 'sink', { segmentBytes: 512 });
    expect(segments(again.dir)).toEqual(segs.slice(2));
    const left = again.pending();
    expect(left).toBeGreaterThan(0);
    expect(drain(again)).toEqual(range(10 - left, 10));
    again.close();
  });

  it('drops and counts alerts beyond its size bound, and takes them again once there is room', () => {
    const r = fresh();
    const s = Spool.open(r, 'sink', { maxBytes: 4096 });
    let accepted = 0;
    for (let i = 0; i < 100; i++) if (s.append(testAlert(i))) accepted++;
    expect(accepted).toBeGreaterThan(5);
    expect(accepted).toBeLessThan(100);
    expect(s.dropped).toBe(100 - accepted);
    expect(s.bytes()).toBeLessThanOrEqual(4096);
    expect(s.pending()).toBe(accepted);
    // The oldest alerts are kept (nothing already spooled is thrown away).
    expect(drain(s)).toEqual(range(0, accepted));
    expect(s.append(testAlert(100))).toBe(true);
    expect(s.dropped).toBe(100 - accepted);
    s.close();
  });

  it('has one owner at a time; a lock left by a process that is gone is taken over', () => {
    const r = fresh();
    const s = Spool.open(r, 'sink');
    expect(() => Spool.open(r, 'sink')).toThrow(`the spool ${s.dir} is in use by process ${process.pid}`);
    s.append(testAlert(0));
    s.close();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(s.dir, 'lock'), `${dead.stdout}\n`);
    const again = Spool.open(r, 'sink');
    expect(readFileSync(join(s.dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    expect(again.pending()).toBe(1);
    again.close();
    expect(existsSync(join(s.dir, 'lock'))).toBe(false);
    // Our own pid in a lock this process does not hold: a previous process that had the same pid.
    writeFileSync(join(s.dir, 'lock'), `${process.pid}\n`);
    Spool.open(r, 'sink').close();
  });

  it('refuses appends after close', () => {
    const s = Spool.open(fresh(), 'sink');
    s.close();
    expect(() => s.append(testAlert(0))).toThrow(/closed/);
  });
});

/** A destination in the test's hands: fails while `down`, records what it accepted. */
class FakeTransport implements Transport {
  down = false;
  readonly accepted: string[] = [];
  readonly attempts: number[] = [];
  closed = false;

  async send(alerts: readonly OutgoingAlert[]): Promise<void> {
    this.attempts.push(Date.now());
    await sleep(1);
    if (this.down) throw new Error('destination down');
    this.accepted.push(...ids(alerts));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

describe('delivery loop', () => {
  it('retries the same batch in order with growing delays, counting each failed attempt', async () => {
    const r = fresh();
    const t = new FakeTransport();
    t.down = true;
    const sink = new SpooledSink('fake', Spool.open(r, 'fake'), t, { batch: 5, attemptTimeoutMs: 1000 });
    for (let i = 0; i < 12; i++) sink.offer(testAlert(i));
    await waitFor('five failed attempts', () => t.attempts.length >= 5);
    const gaps = t.attempts.slice(1).map((at, i) => at - t.attempts[i]!);
    // 100 ms doubling, with jitter between half and all of it: 50–100, 100–200, 200–400, 400–800.
    expect(gaps[3]!).toBeGreaterThanOrEqual(gaps[0]! + 100);
    expect(gaps[3]!).toBeGreaterThanOrEqual(390);
    // Every attempt carried the first batch (5 alerts) and each counts again.
    expect(sink.stats().failed).toBeGreaterThanOrEqual(20);
    expect(sink.stats().failed % 5).toBe(0);
    expect(sink.stats().pending).toBe(12);
    expect(sink.stats().spooledBytes).toBeGreaterThan(0);
    t.down = false;
    expect(await sink.close(5000)).toEqual({ undelivered: 0 });
    expect(t.accepted).toEqual(range(0, 12));
    expect(sink.stats()).toMatchObject({ delivered: 12, pending: 0, spooledBytes: 0, dropped: 0 });
    expect(t.closed).toBe(true);
  });

  it('counts an attempt that outlives its timeout as failed, and sends the batch again', async () => {
    let calls = 0;
    const accepted: string[] = [];
    const t: Transport = {
      async send(alerts) {
        if (calls++ === 0) return new Promise(() => undefined); // never answers
        accepted.push(...ids(alerts));
      },
      async close() {},
    };
    const sink = new SpooledSink('slow', Spool.open(fresh(), 'slow'), t, { batch: 100, attemptTimeoutMs: 200 });
    for (let i = 0; i < 3; i++) sink.offer(testAlert(i));
    expect(await sink.close(5000)).toEqual({ undelivered: 0 });
    expect(accepted).toEqual(range(0, 3));
    expect(sink.stats().failed).toBe(3);
  });

  it('leaves what the grace period could not deliver in the spool, for the next start', async () => {
    const r = fresh();
    const t = new FakeTransport();
    t.down = true;
    const sink = new SpooledSink('fake', Spool.open(r, 'fake'), t, { batch: 5, attemptTimeoutMs: 1000 });
    for (let i = 0; i < 8; i++) sink.offer(testAlert(i));
    const started = Date.now();
    expect(await sink.close(300)).toEqual({ undelivered: 8 });
    expect(Date.now() - started).toBeLessThan(1500);
    // Offers after close are counted, not spooled.
    sink.offer(testAlert(99));
    expect(sink.stats().dropped).toBe(1);

    const t2 = new FakeTransport();
    const next = new SpooledSink('fake', Spool.open(r, 'fake'), t2, { batch: 5, attemptTimeoutMs: 1000 });
    expect(next.stats().pending).toBe(8);
    expect(await next.close(5000)).toEqual({ undelivered: 0 });
    expect(t2.accepted).toEqual(range(0, 8));
  });

  it('closes at once with grace 0, everything left spooled', async () => {
    const r = fresh();
    const t = new FakeTransport();
    t.down = true;
    const sink = new SpooledSink('fake', Spool.open(r, 'fake'), t, { batch: 5, attemptTimeoutMs: 1000 });
    for (let i = 0; i < 4; i++) sink.offer(testAlert(i));
    expect(await sink.close(0)).toEqual({ undelivered: 4 });
    expect(existsSync(join(spoolDirFor(r, 'fake'), 'cursor.json'))).toBe(false);
    const again = Spool.open(r, 'fake');
    expect(again.pending()).toBe(4);
    again.close();
  });
});
