// A one-line progress display for long replays and conversions, drawn on stderr when it is a
// terminal: events done (of the total when known), a smoothed events/s, and with a total the
// percent, the ETA and a bar fitted to the terminal's width. The line is redrawn in place with
// `\r` at most REDRAW_MS apart, so calling update() once per batch costs only a clock read.
//
// The clock is injectable (`now`) so tests drive it without waiting.

/** Shortest time between two redraws: about 5 a second, fast enough to look live. */
export const REDRAW_MS = 200;

/**
 * Time constant of the rate's exponential smoothing: each redraw weighs its own interval's rate by
 * 1 - e^(-dt/τ), so a momentary stall or burst moves the rate (and the ETA) gradually.
 */
const RATE_TAU_MS = 2_000;

/** Terminal width assumed when the stream does not say (not a TTY, or no size known). */
const DEFAULT_COLUMNS = 80;

/** A bar narrower than this says nothing: the line is drawn without one. */
const MIN_BAR = 10;

/** Back to the line's start, and erase from the cursor to the end of the line. */
const CR = '\r';
const CLEAR_TO_EOL = '\x1b[K';

export interface ProgressOptions {
  /** Events expected in all; without it there is no percent, ETA or bar. */
  total?: number;
  /** Where the line is drawn (normally process.stderr); `columns` is the terminal width. */
  stream: NodeJS.WritableStream & { columns?: number };
  /** False: update() and finish() do nothing (see shouldShowProgress). Default true. */
  enabled?: boolean;
  /** Shown first on the line, e.g. the capture's name. */
  label?: string;
  /** Milliseconds clock; defaults to performance.now(). */
  now?: () => number;
}

export interface Progress {
  /** Reports that `done` events are processed so far; redraws if the last redraw is old enough. */
  update(done: number): void;
  /** Clears the line if one was drawn (the cursor is left at its start); later update() calls draw nothing. */
  finish(): void;
}

/** Whether to show progress: as the flag says (--progress / --no-progress), else only on a terminal. */
export function shouldShowProgress(flag: boolean | undefined, stream: { isTTY?: boolean }): boolean {
  return flag ?? Boolean(stream.isTTY);
}

export function createProgress(opts: ProgressOptions): Progress {
  const now = opts.now ?? (() => performance.now());
  const total = opts.total !== undefined && Number.isFinite(opts.total) && opts.total >= 0 ? opts.total : undefined;
  // The rate is measured between redraws, from the moment the display was created.
  let sampleAt = now();
  let sampleDone = 0;
  let lastDraw = -Infinity;
  let rate: number | undefined;
  let finished = opts.enabled === false;
  let drawn = false;

  return {
    update(done: number): void {
      if (finished) return;
      const t = now();
      if (t - lastDraw < REDRAW_MS) return;
      lastDraw = t;
      const dt = t - sampleAt;
      if (dt > 0) {
        const current = (Math.max(0, done - sampleDone) * 1000) / dt;
        rate = rate === undefined ? current : rate + (current - rate) * (1 - Math.exp(-dt / RATE_TAU_MS));
        sampleAt = t;
        sampleDone = done;
      }
      opts.stream.write(CR + progressLine(done, total, rate, opts.label, opts.stream.columns) + CLEAR_TO_EOL);
      drawn = true;
    },
    finish(): void {
      if (finished) return;
      finished = true;
      if (drawn) opts.stream.write(CR + CLEAR_TO_EOL);
    },
  };
}

/**
 * The line's text, at most `columns - 1` characters (a character in the last column makes some
 * terminals wrap, and the next `\r` would then redraw on a new line):
 *   label [=======>      ]  47%  470,000/1,000,000 events  52,310 ev/s  ETA 10s
 *   label 470,000 events  52,310 ev/s
 */
export function progressLine(done: number, total: number | undefined, rate: number | undefined, label: string | undefined, columns: number | undefined): string {
  const width = Math.max(1, (columns !== undefined && columns > 0 ? columns : DEFAULT_COLUMNS) - 1);
  const head = label ? `${label} ` : '';
  const speed = rate === undefined ? '-- ev/s' : `${count(rate)} ev/s`;
  if (total === undefined) return fit(`${head}${count(done)} events  ${speed}`, width);

  const fraction = total === 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const left = Math.max(0, total - done);
  const eta = left === 0 ? 'ETA 0s' : rate === undefined || rate <= 0 ? 'ETA --' : `ETA ${duration(left / rate)}`;
  const tail = ` ${percent}  ${count(done)}/${count(total)} events  ${speed}  ${eta}`;
  // The bar takes what is left of the line; "[" and "]" are 2 of it.
  const inner = width - head.length - tail.length - 2;
  if (inner < MIN_BAR) return fit(`${head}${tail.trimStart()}`, width);
  return `${head}[${bar(fraction, inner)}]${tail}`;
}

/** `inner` cells: '=' for the part done, '>' at its edge, spaces for the rest. */
function bar(fraction: number, inner: number): string {
  const filled = Math.floor(fraction * inner);
  if (filled >= inner) return '='.repeat(inner);
  return '='.repeat(filled) + '>' + ' '.repeat(inner - filled - 1);
}

/** A whole number with thousands separators, whatever the host's locale: 1,234,567. */
function count(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Seconds as 7s, 1m05s or 2h03m (rounded up: an ETA of 0s while work is left would mislead). */
function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const minutes = Math.floor(s / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** Cuts a line to `width` characters. */
function fit(line: string, width: number): string {
  return line.length <= width ? line : line.slice(0, width);
}
