// The progress line, driven by a fake clock into a fake stream: how often it redraws, what the
// rate, percent and ETA say, its width, and when it is shown at all.
import { describe, expect, it } from 'vitest';
import { createProgress, progressLine, REDRAW_MS, shouldShowProgress } from '../src/main/progress.js';

const CLEAR = '\r\x1b[K';

/** A stream that keeps what is written, a clock that moves only when told. */
function harness(opts: { total?: number; columns?: number; label?: string } = {}) {
  const writes: string[] = [];
  const stream = { columns: opts.columns, write: (s: string) => (writes.push(s), true) } as unknown as NodeJS.WritableStream & { columns?: number };
  let t = 1_000;
  const progress = createProgress({ stream, now: () => t, ...(opts.total !== undefined ? { total: opts.total } : {}), ...(opts.label !== undefined ? { label: opts.label } : {}) });
  return {
    progress,
    writes,
    advance: (ms: number) => (t += ms),
    /** The text of the last redraw, without its `\r` and end-of-line clear. */
    last: () => {
      const w = writes.at(-1)!;
      expect(w.startsWith('\r') && w.endsWith('\x1b[K')).toBe(true);
      return w.slice(1, -3);
    },
  };
}

describe('createProgress', () => {
  it('redraws at most once per REDRAW_MS, however often it is updated', () => {
    const h = harness({ total: 1000 });
    h.advance(10);
    h.progress.update(1);
    expect(h.writes).toHaveLength(1);
    for (let i = 2; i <= 100; i++) {
      h.advance(1); // 99 updates within 99 ms: no redraw
      h.progress.update(i);
    }
    expect(h.writes).toHaveLength(1);
    h.advance(REDRAW_MS - 99);
    h.progress.update(101);
    expect(h.writes).toHaveLength(2);
    // A second of updates every 10 ms: 5 redraws.
    for (let i = 0; i < 100; i++) {
      h.advance(10);
      h.progress.update(200 + i);
    }
    expect(h.writes).toHaveLength(7);
    for (const w of h.writes) expect(w.startsWith('\r')).toBe(true);
  });

  it('shows done/total, the rate, percent and ETA with a known total', () => {
    const h = harness({ total: 100_000, columns: 100, label: 'c.bin' });
    h.advance(1_000);
    h.progress.update(10_000); // 10,000 events in the first second
    expect(h.last()).toMatch(/^c\.bin \[={4}> {37}\] {2}10% {2}10,000\/100,000 events {2}10,000 ev\/s {2}ETA 9s$/);
    expect(h.last()).toHaveLength(99);
    // A steady rate keeps the smoothed rate and a falling ETA.
    h.advance(1_000);
    h.progress.update(20_000);
    expect(h.last()).toContain(' 20%  20,000/100,000 events  10,000 ev/s  ETA 8s');
  });

  it('smooths the rate: a sudden stall moves it part of the way', () => {
    const h = harness({ total: 1_000_000 });
    for (let s = 1; s <= 10; s++) {
      h.advance(1_000);
      h.progress.update(s * 10_000);
    }
    expect(h.last()).toContain('100,000/1,000,000 events  10,000 ev/s  ETA 1m30s');
    h.advance(1_000);
    h.progress.update(100_000); // nothing processed in this second
    const rate = Number(/ ([\d,]+) ev\/s/.exec(h.last())![1]!.replace(/,/g, ''));
    expect(rate).toBeGreaterThan(5_000);
    expect(rate).toBeLessThan(10_000);
  });

  it('writes ETA in minutes and hours, -- before any rate, 0s when done', () => {
    expect(progressLine(0, 1_000, undefined, undefined, 80)).toContain('-- ev/s  ETA --');
    expect(progressLine(0, 1_000, 0, undefined, 80)).toContain('ETA --');
    expect(progressLine(0, 650, 10, undefined, 80)).toContain('ETA 1m05s');
    expect(progressLine(0, 7_380_000, 1_000, undefined, 100)).toContain('ETA 2h03m');
    expect(progressLine(999, 1_000, 100_000, undefined, 80)).toContain('ETA 1s');
    expect(progressLine(1_000, 1_000, 5, undefined, 80)).toMatch(/\[=+\] 100% {2}1,000\/1,000 events {2}5 ev\/s {2}ETA 0s$/);
  });

  it('without a total: events done and the rate, no percent, ETA or bar', () => {
    const h = harness({ label: 'live' });
    h.advance(500);
    h.progress.update(1_234_567);
    expect(h.last()).toBe('live 1,234,567 events  2,469,134 ev/s');
    expect(h.last()).not.toMatch(/%|ETA|\[/);
  });

  it('fits the bar to the stream width (80 when unknown) and drops it when there is no room', () => {
    for (const columns of [60, 80, 120, 200]) {
      const line = progressLine(500, 1_000, 100, 'x', columns);
      expect(line).toHaveLength(columns - 1);
      expect(line).toMatch(/^x \[={1,}>\s+\] {2}50%/);
    }
    expect(progressLine(500, 1_000, 100, 'x', undefined)).toHaveLength(79);
    const narrow = progressLine(500, 1_000, 100, 'x', 40);
    expect(narrow).not.toContain('[');
    expect(narrow.length).toBeLessThanOrEqual(39);
    expect(narrow.startsWith('x 50%  500/1,000 events')).toBe(true);
    // The bar's fill follows the fraction: half of the cells at 50%.
    const inner = /\[([^\]]+)\]/.exec(progressLine(500, 1_000, 100, '', 100))![1]!;
    expect(inner.indexOf('>')).toBe(Math.floor(inner.length / 2));
    // More done than the total (the count was an estimate): a full bar, 100%.
    expect(progressLine(1_500, 1_000, 100, '', 80)).toMatch(/^\[=+\] 100%/);
  });

  it('finish() clears the line once; updates after it draw nothing', () => {
    const h = harness({ total: 10 });
    h.progress.update(1);
    h.progress.finish();
    expect(h.writes.at(-1)).toBe(CLEAR);
    const n = h.writes.length;
    h.advance(10_000);
    h.progress.update(5);
    h.progress.finish();
    expect(h.writes).toHaveLength(n);
  });
});

describe('createProgress when disabled or unused', () => {
  it('enabled: false writes nothing at all', () => {
    const writes: string[] = [];
    const stream = { write: (s: string) => (writes.push(s), true) } as unknown as NodeJS.WritableStream;
    let t = 0;
    const progress = createProgress({ stream, enabled: false, total: 100, now: () => (t += 1_000) });
    for (let i = 0; i <= 100; i += 10) progress.update(i);
    progress.finish();
    expect(writes).toEqual([]);
  });

  it('finish() before any redraw leaves the stream untouched', () => {
    const writes: string[] = [];
    const stream = { write: (s: string) => (writes.push(s), true) } as unknown as NodeJS.WritableStream;
    createProgress({ stream, now: () => 0 }).finish();
    expect(writes).toEqual([]);
  });
});

describe('shouldShowProgress', () => {
  it('is off by default when the stream is not a terminal, on when it is', () => {
    expect(shouldShowProgress(undefined, {})).toBe(false);
    expect(shouldShowProgress(undefined, { isTTY: false })).toBe(false);
    expect(shouldShowProgress(undefined, { isTTY: true })).toBe(true);
  });

  it('follows an explicit flag either way', () => {
    expect(shouldShowProgress(true, { isTTY: false })).toBe(true);
    expect(shouldShowProgress(true, {})).toBe(true);
    expect(shouldShowProgress(false, { isTTY: true })).toBe(false);
  });
});
