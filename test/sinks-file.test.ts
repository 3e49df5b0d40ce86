// Local sinks: a file is appended to (never truncated), rotated by size keeping N old files, and
// refused at open time when unusable; stdout gets every line and a closed pipe ends it quietly.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSinks } from '../src/main/sinks/sink-set.js';
import { InputError } from '../src/shared/errors.js';
import { initLogger } from '../src/shared/log.js';
import { testAlert, sleep } from './helpers/servers.js';

let root: string;
let n = 0;
const freshDir = () => {
  const d = join(root, `t${n++}`);
  mkdirSync(d);
  return d;
};
const spoolDir = () => join(root, 'spool');

beforeAll(() => {
  initLogger(process.env.KESTREL_LOG_LEVEL ?? 'silent');
  root = mkdtempSync(join(tmpdir(), 'kestrel-sinks-file-'));
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const idsIn = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { kestrel: { alert: { id: string } } }).kestrel.alert.id);
const range = (from: number, to: number, prefix = 'a') => Array.from({ length: to - from }, (_, i) => testAlert(from + i, prefix).id);

describe('file sink', () => {
  it('appends to what is already there, never truncating', async () => {
    const path = join(freshDir(), 'alerts.ndjson');
    writeFileSync(path, `${testAlert(0, 'old').line}\n`);
    for (const [from, to] of [[0, 5], [5, 9]]) {
      const set = await openSinks([`file:${path}`], { spoolDir: spoolDir(), stdout: process.stdout });
      for (let i = from!; i < to!; i++) set.offer(testAlert(i));
      expect(await set.close(1000)).toEqual({ undelivered: 0 });
      expect(set.stats()[`file:${path}`]).toMatchObject({ delivered: to! - from!, failed: 0, pending: 0, spooledBytes: 0 });
    }
    expect(idsIn(readFileSync(path, 'utf8'))).toEqual(['old-000000', ...range(0, 9)]);
  });

  it('rotates by size: x → x.1 → … → x.keep, the oldest removed, no file over max_bytes', async () => {
    const dir = freshDir();
    const path = join(dir, 'alerts.ndjson');
    const lineBytes = testAlert(0).line.length + 1;
    const set = await openSinks([`file:${path}?max_bytes=2KiB&keep=3&fsync=never`], { spoolDir: spoolDir(), stdout: process.stdout });
    const total = 200;
    for (let i = 0; i < total; i++) {
      set.offer(testAlert(i));
      if (i % 25 === 0) await sleep(5); // several blocks, not one
    }
    await set.close(1000);
    expect(readdirSync(dir).sort()).toEqual(['alerts.ndjson', 'alerts.ndjson.1', 'alerts.ndjson.2', 'alerts.ndjson.3']);
    const files = [`${path}.3`, `${path}.2`, `${path}.1`, path];
    for (const f of files) expect(statSync(f).size).toBeLessThanOrEqual(2048);
    // Oldest to newest, the kept files hold the newest alerts without a gap, each rotated file full.
    const kept = files.flatMap((f) => idsIn(readFileSync(f, 'utf8')));
    expect(kept).toEqual(range(total - kept.length, total));
    for (const f of files.slice(0, 3)) expect(statSync(f).size).toBeGreaterThan(2048 - lineBytes);
  });

  it('with keep=0 replaces the file when it is full', async () => {
    const dir = freshDir();
    const path = join(dir, 'a.ndjson');
    const set = await openSinks([`file:${path}?max_bytes=1024&keep=0&fsync=always`], { spoolDir: spoolDir(), stdout: process.stdout });
    for (let i = 0; i < 50; i++) set.offer(testAlert(i));
    await set.close(1000);
    expect(readdirSync(dir)).toEqual(['a.ndjson']);
    const ids = idsIn(readFileSync(path, 'utf8'));
    expect(ids.at(-1)).toBe(testAlert(49).id);
  });

  it('writes alerts out promptly, before close', async () => {
    const path = join(freshDir(), 'alerts.ndjson');
    const set = await openSinks([`file:${path}`], { spoolDir: spoolDir(), stdout: process.stdout });
    set.offer(testAlert(0));
    await sleep(200);
    expect(idsIn(readFileSync(path, 'utf8'))).toEqual(range(0, 1));
    set.offer(testAlert(1));
    await set.close(0);
    expect(idsIn(readFileSync(path, 'utf8'))).toEqual(range(0, 2));
  });

  it.each([
    ['a missing folder', (d: string) => join(d, 'no', 'such', 'alerts.ndjson'), /its folder does not exist/],
    ['a directory', (d: string) => d, /it is a directory/],
  ])('refuses %s at open time (input error, exit 2)', async (_what, pathOf, message) => {
    const path = pathOf(freshDir());
    const err = await openSinks([`file:${path}`], { spoolDir: spoolDir(), stdout: process.stdout }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('output.unusable');
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(path);
  });

  it('closes the sinks it opened when a later one cannot be opened', async () => {
    const dir = freshDir();
    const good = join(dir, 'good.ndjson');
    const err = await openSinks([`file:${good}`, `file:${join(dir, 'missing', 'x')}`], { spoolDir: spoolDir(), stdout: process.stdout }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(existsSync(good)).toBe(true);
  });
});

describe('stdout sink', () => {
  it('writes every alert line, in order', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString('utf8')));
    const set = await openSinks(['stdout'], { spoolDir: spoolDir(), stdout: out });
    for (let i = 0; i < 1000; i++) set.offer(testAlert(i));
    await set.close(1000);
    expect(idsIn(text)).toEqual(range(0, 1000));
    expect(set.stats().stdout).toMatchObject({ delivered: 1000, failed: 0, dropped: 0, pending: 0 });
  });

  it('waits for a slow reader without holding up the caller', async () => {
    let text = '';
    const slow = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString('utf8');
        setTimeout(cb, 20);
      },
    });
    const set = await openSinks(['stdout'], { spoolDir: spoolDir(), stdout: slow });
    const started = performance.now();
    for (let i = 0; i < 300; i++) {
      set.offer(testAlert(i));
      if (i % 50 === 0) await sleep(1);
    }
    expect(performance.now() - started).toBeLessThan(500);
    expect(set.stats().stdout!.pending).toBeGreaterThan(0);
    await set.close(1000);
    expect(idsIn(text)).toEqual(range(0, 300));
  });

  it('ends quietly on a closed pipe (| head)', async () => {
    // A real pipe whose reader (head -n 1) goes away after the first line: later writes meet EPIPE.
    const head = spawn('head', ['-n', '1'], { stdio: ['pipe', 'ignore', 'ignore'] });
    const exited = new Promise((resolve) => head.on('exit', resolve));
    const set = await openSinks(['stdout'], { spoolDir: spoolDir(), stdout: head.stdin });
    let offered = 0;
    for (let round = 0; round < 40 && set.stats().stdout!.dropped === 0; round++) {
      for (let i = 0; i < 100; i++) set.offer(testAlert(offered++));
      await sleep(10);
    }
    await exited;
    for (let i = 0; i < 10; i++) set.offer(testAlert(offered++));
    await expect(set.close(1000)).resolves.toEqual({ undelivered: 0 });
    const s = set.stats().stdout!;
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.failed).toBe(0);
    expect(s.delivered + s.dropped).toBe(offered);
    expect(s.pending).toBe(0);
  });
});
