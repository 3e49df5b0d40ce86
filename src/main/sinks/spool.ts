// The on-disk queue in front of every network sink.
//
// It exists so that a Redis, NATS or webhook outage — or a Kestrel restart during one — loses no
// alert: detection appends to the spool and returns at once; the delivery loop reads from the
// spool and moves its cursor only after the destination acknowledged. Layout (docs/sinks.md):
//
//   <root>/<sha256(name)[0:16]>/name           the sink's name, for people looking at the folder
//   <root>/<…>/0000000001.ndjson …            append-only segments, one JSON envelope per line
//   <root>/<…>/cursor.json                    {"segment":N,"offset":BYTES} of the first unacked line
//   <root>/<…>/lock                           pid of the process using the spool
//
// Appends are synchronous writes of whole lines: once append() returned, the line is in the page
// cache and survives the process dying (not the OS dying; alerts are rare enough that this costs
// nothing measurable). The cursor is replaced atomically (tmp + fsync + rename) after each ack, so
// it is always an old or a new cursor, never half of one. Fully consumed segments are deleted after
// the cursor has moved past them. Whatever goes wrong, the spool errs towards duplicates: a crash
// between a delivery and its cursor write, or an unreadable cursor, re-delivers; nothing is skipped
// except a torn last line (the process died inside write()), which is cut off with a warning.
import { closeSync, fsyncSync, ftruncateSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { logger } from '../../shared/log.js';
import type { AlertSeverity, OutgoingAlert } from './types.js';

export interface SpoolOptions {
  /** Bound on undelivered bytes; appends beyond it are dropped (counted). Default 256 MiB. */
  maxBytes?: number;
  /** Start a new segment once the current one reaches this size. Default 4 MiB. */
  segmentBytes?: number;
}

/** A run of consecutive spooled alerts, to be acked as a whole once delivered. */
export interface SpoolBatch {
  readonly alerts: readonly OutgoingAlert[];
  readonly segment: number;
  readonly start: number;
  readonly end: number;
  /** Lines the batch spans, unreadable ones included (they leave the spool with it). */
  readonly lines: number;
}

const SEGMENT = /^(\d{10,})\.ndjson$/;
const CURSOR = 'cursor.json';
const LOCK = 'lock';
const NL = 0x0a;

/** The spool folder of the sink called `name`: a short hash, so any name makes a safe folder. */
export function spoolDirFor(root: string, name: string): string {
  return join(root, createHash('sha256').update(name).digest('hex').slice(0, 16));
}

function segmentFile(n: number): string {
  return `${String(n).padStart(10, '0')}.ndjson`;
}

interface Cursor {
  segment: number;
  offset: number;
}

export class Spool {
  /** Alerts refused because the spool was full. */
  dropped = 0;
  /** Lines skipped because they could not be read back (torn or damaged). */
  skipped = 0;

  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  /** Sizes of the segments on disk, oldest first (Map keeps insertion order; segments only grow in number). */
  private readonly sizes = new Map<number, number>();
  private cursor: Cursor = { segment: 1, offset: 0 };
  private writeFd: number | undefined;
  private writeSegment = 0;
  private lineCount = 0;
  private full = false;
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly name: string,
    opts: SpoolOptions,
  ) {
    this.maxBytes = opts.maxBytes ?? 256 * 1024 * 1024;
    this.segmentBytes = opts.segmentBytes ?? 4 * 1024 * 1024;
  }

  /** Opens (or creates) the spool of sink `name` under `root`, resuming from its cursor. */
  static open(root: string, name: string, opts: SpoolOptions = {}): Spool {
    const spool = new Spool(spoolDirFor(root, name), name, opts);
    spool.load();
    return spool;
  }

  private log(msg: string, extra: Record<string, unknown> = {}, level: 'warn' | 'info' = 'warn'): void {
    logger()[level]({ sink: this.name, spool: this.dir, ...extra }, msg);
  }

  private load(): void {
    mkdirSync(this.dir, { recursive: true });
    this.lock();
    try {
      this.resume();
    } catch (e) {
      this.unlock();
      throw e;
    }
  }

  /**
   * One owner per spool: two processes (or two sink sets in one) appending and acking the same
   * folder would each delete segments the other has not delivered. The lock file holds the
   * owner's pid; a lock whose process is gone (a crash) is taken over.
   */
  private lock(): void {
    const file = join(this.dir, LOCK);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(file, 'wx');
        try {
          writeSync(fd, `${process.pid}\n`);
        } finally {
          closeSync(fd);
        }
        locked.add(this.dir);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      let pid = NaN;
      try {
        pid = Number(readFileSync(file, 'utf8').trim());
      } catch {
        // removed meanwhile, or unreadable: try again
      }
      // Our own pid is ours only if this process holds the lock; otherwise it is a previous
      // process that happened to have the same pid (a container's pid 1, say).
      const busy = pid === process.pid ? locked.has(this.dir) : Number.isSafeInteger(pid) && pid > 0 && processAlive(pid);
      if (busy) throw new Error(`the spool ${this.dir} is in use by process ${pid} (another Kestrel with the same spool folder and sink?)`);
      this.log('taking over the spool lock of a process that is gone', { pid }, 'info');
      rmSync(file, { force: true });
    }
    throw new Error(`could not lock the spool ${this.dir}`);
  }

  private unlock(): void {
    if (!locked.delete(this.dir)) return;
    rmSync(join(this.dir, LOCK), { force: true });
  }

  private resume(): void {
    const nameFile = join(this.dir, 'name');
    try {
      if (readFileSync(nameFile, 'utf8') !== `${this.name}\n`) writeFileSync(nameFile, `${this.name}\n`);
    } catch {
      writeFileSync(nameFile, `${this.name}\n`);
    }
    const segments: number[] = [];
    for (const f of readdirSync(this.dir)) {
      const m = SEGMENT.exec(f);
      if (m) segments.push(Number(m[1]));
      else if (f.endsWith('.tmp')) rmSync(join(this.dir, f), { force: true });
    }
    segments.sort((a, b) => a - b);
    for (const s of segments) this.sizes.set(s, statSync(join(this.dir, segmentFile(s))).size);
    this.cutTornTail(segments.at(-1));
    this.cursor = this.readCursor(segments);
    // Segments before the cursor were delivered; a crash came between the cursor write and their removal.
    for (const s of segments) if (s < this.cursor.segment) this.removeSegment(s);
    this.normalize();
    this.lineCount = this.countLines();
    if (this.lineCount > 0) this.log('resuming undelivered alerts from the spool', { alerts: this.lineCount, bytes: this.bytes() }, 'info');
  }

  /** A last line without its newline is what a process killed inside write() leaves: cut it off. */
  private cutTornTail(last: number | undefined): void {
    if (last === undefined) return;
    const size = this.sizes.get(last)!;
    if (size === 0) return;
    const fd = openSync(join(this.dir, segmentFile(last)), 'r+');
    try {
      const tailLen = Math.min(size, 64 * 1024);
      let keep = -1;
      // Search backwards for the last newline, 64 KiB at a time.
      for (let end = size; end > 0 && keep < 0; ) {
        const start = Math.max(0, end - tailLen);
        const buf = Buffer.alloc(end - start);
        readSync(fd, buf, 0, buf.length, start);
        if (end === size && buf[buf.length - 1] === NL) return;
        const i = buf.lastIndexOf(NL);
        if (i >= 0) keep = start + i + 1;
        end = start;
      }
      keep = Math.max(keep, 0);
      this.log('spool ends in a torn line (the process died while writing it); skipping it', { segment: last, bytes: size - keep });
      ftruncateSync(fd, keep);
      this.sizes.set(last, keep);
      this.skipped++;
    } finally {
      closeSync(fd);
    }
  }

  /** The saved cursor if it is consistent with the segments on disk; else the oldest segment's start. */
  private readCursor(segments: number[]): Cursor {
    const oldest: Cursor = { segment: segments[0] ?? 1, offset: 0 };
    let text: string;
    try {
      text = readFileSync(join(this.dir, CURSOR), 'utf8');
    } catch {
      return oldest; // A new spool, or one never acked.
    }
    let c: Cursor | undefined;
    try {
      const v = JSON.parse(text) as Partial<Cursor>;
      if (Number.isSafeInteger(v.segment) && Number.isSafeInteger(v.offset) && v.segment! >= 1 && v.offset! >= 0) c = { segment: v.segment!, offset: v.offset! };
    } catch {
      c = undefined;
    }
    if (c && this.cursorFits(c, segments)) return c;
    this.log('spool cursor is damaged or does not match the segments; delivering again from the oldest segment (duplicates possible)', { cursor: text.slice(0, 200) });
    return oldest;
  }

  private cursorFits(c: Cursor, segments: number[]): boolean {
    const size = this.sizes.get(c.segment);
    // No segment: the spool was drained and the next segment is the cursor's.
    if (size === undefined) return c.offset === 0 && (segments.length === 0 || c.segment === segments.at(-1)! + 1);
    if (c.offset > size) return false;
    if (c.offset === 0) return true;
    // The cursor must sit just after a newline.
    const fd = openSync(join(this.dir, segmentFile(c.segment)), 'r');
    try {
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, c.offset - 1);
      return b[0] === NL;
    } finally {
      closeSync(fd);
    }
  }

  private countLines(): number {
    let n = 0;
    const buf = Buffer.alloc(1024 * 1024);
    for (const [s, size] of this.sizes) {
      const fd = openSync(join(this.dir, segmentFile(s)), 'r');
      try {
        for (let pos = s === this.cursor.segment ? this.cursor.offset : 0; pos < size; ) {
          const got = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
          if (got <= 0) break;
          for (let i = buf.indexOf(NL, 0); i >= 0 && i < got; i = buf.indexOf(NL, i + 1)) n++;
          pos += got;
        }
      } finally {
        closeSync(fd);
      }
    }
    return n;
  }

  private removeSegment(s: number): void {
    if (s === this.writeSegment && this.writeFd !== undefined) {
      closeSync(this.writeFd);
      this.writeFd = undefined;
    }
    rmSync(join(this.dir, segmentFile(s)), { force: true });
    this.sizes.delete(s);
  }

  /** Moves a cursor that stands at the end of a segment on, deleting what it leaves behind. */
  private normalize(): void {
    for (let size = this.sizes.get(this.cursor.segment); size !== undefined && this.cursor.offset >= size; size = this.sizes.get(this.cursor.segment)) {
      const done = this.cursor.segment;
      // The segment being appended to stays while it has room: new alerts go on in it, so a spool
      // that is drained after every batch does not create (and fsync a cursor for) a new file
      // each time, and segment numbers grow with the bytes spooled, not with the batches.
      if (done === this.writeSegment && this.writeFd !== undefined && size < this.segmentBytes) return;
      // The next segment, or (drained) the number the next append will create.
      const next = [...this.sizes.keys()].find((s) => s > done) ?? Math.max(done, this.writeSegment) + 1;
      this.cursor = { segment: next, offset: 0 };
      this.writeCursor();
      this.removeSegment(done);
    }
  }

  private writeCursor(): void {
    const tmp = join(this.dir, `${CURSOR}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(this.cursor));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, CURSOR));
  }

  /** Undelivered bytes on disk. */
  bytes(): number {
    let n = 0;
    for (const [s, size] of this.sizes) if (s >= this.cursor.segment) n += size;
    return this.sizes.has(this.cursor.segment) ? n - this.cursor.offset : n;
  }

  /** Undelivered alerts. */
  pending(): number {
    return this.lineCount;
  }

  /**
   * Appends one alert; false if the spool is full (counted in `dropped`, warned once per episode)
   * or the write failed (counted too). Throws only after close().
   */
  append(alert: OutgoingAlert): boolean {
    if (this.closed) throw new Error(`spool of ${this.name} is closed`);
    const buf = Buffer.from(`${JSON.stringify({ id: alert.id, rule: alert.ruleId, severity: alert.severity, line: alert.line })}\n`);
    if (this.bytes() + buf.length > this.maxBytes) {
      this.dropped++;
      if (!this.full) {
        this.full = true;
        this.log('spool full: dropping new alerts until the destination takes some', { maxBytes: this.maxBytes });
      }
      return false;
    }
    if (this.full) {
      this.full = false;
      this.log('spool has room again', { dropped: this.dropped }, 'info');
    }
    const fd = this.ensureWritable(buf.length);
    const before = this.sizes.get(this.writeSegment)!;
    try {
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      // A short write (disk full) must not leave half a line for the next one to be glued to.
      try {
        ftruncateSync(fd, before);
      } catch {
        // The line stays torn; reading skips it with a warning.
      }
      this.dropped++;
      this.log('could not write to the spool; alert dropped', { err: (e as Error).message });
      return false;
    }
    this.sizes.set(this.writeSegment, before + buf.length);
    this.lineCount++;
    return true;
  }

  /** Opens the segment the next line of `len` bytes goes to: the current one, or a new one when it is full. */
  private ensureWritable(len: number): number {
    if (this.writeFd !== undefined) {
      const size = this.sizes.get(this.writeSegment)!;
      if (size === 0 || size + len <= this.segmentBytes) return this.writeFd;
      closeSync(this.writeFd);
      this.writeFd = undefined;
    } else {
      // After a restart, go on appending to the newest segment if it has room.
      const last = [...this.sizes.keys()].at(-1);
      if (last !== undefined && this.sizes.get(last)! + len <= this.segmentBytes) return this.openForAppend(last);
    }
    return this.openForAppend(Math.max([...this.sizes.keys()].at(-1) ?? 0, this.cursor.segment - 1, this.writeSegment) + 1);
  }

  private openForAppend(segment: number): number {
    this.writeSegment = segment;
    this.writeFd = openSync(join(this.dir, segmentFile(segment)), 'a');
    this.sizes.set(segment, fstatSync(this.writeFd).size);
    return this.writeFd;
  }

  /**
   * Up to `maxAlerts` alerts and about `maxBytes` bytes (always at least one alert) from the
   * cursor, or undefined if nothing is waiting. Reading does not move the cursor: ack() does.
   */
  readBatch(maxAlerts: number, maxBytes: number): SpoolBatch | undefined {
    for (;;) {
      const size = this.sizes.get(this.cursor.segment);
      if (size === undefined || this.cursor.offset >= size) return undefined;
      const batch = this.readAt(this.cursor.segment, this.cursor.offset, size, maxAlerts, maxBytes);
      if (batch.alerts.length > 0) return batch;
      if (batch.end === batch.start) return undefined;
      this.ack(batch); // only damaged lines: nothing to deliver, move past them
    }
  }

  private readAt(segment: number, start: number, size: number, maxAlerts: number, maxBytes: number): SpoolBatch {
    const fd = openSync(join(this.dir, segmentFile(segment)), 'r');
    let data: Buffer;
    try {
      // Read at least maxBytes; more if the first line alone is longer.
      let want = Math.min(size - start, Math.max(maxBytes, 4096));
      for (;;) {
        data = Buffer.alloc(want);
        const got = readSync(fd, data, 0, want, start);
        data = data.subarray(0, got);
        if (data.includes(NL) || start + got >= size) break;
        want = Math.min(size - start, want * 2);
      }
    } finally {
      closeSync(fd);
    }
    const alerts: OutgoingAlert[] = [];
    let pos = 0;
    let lines = 0;
    while (alerts.length < maxAlerts) {
      const nl = data.indexOf(NL, pos);
      if (nl < 0) {
        // Bytes without a newline at a segment's end: a torn line no later write completes.
        // (Appends write whole lines, so the next one starts after these bytes: skipping is safe.)
        if (start + data.length >= size && pos < data.length) {
          this.log('spool segment ends in a torn line; skipping it', { segment, bytes: data.length - pos });
          this.skipped++;
          pos = data.length;
        }
        break;
      }
      if (alerts.length > 0 && nl + 1 > maxBytes) break;
      const alert = decode(data.subarray(pos, nl).toString('utf8'));
      if (alert) alerts.push(alert);
      else {
        this.skipped++;
        this.log('spool line is damaged; skipping it', { segment, offset: start + pos });
      }
      lines++;
      pos = nl + 1;
    }
    return { alerts, segment, start, end: start + pos, lines };
  }

  /** Marks `batch` delivered: the cursor moves past it (atomically, on disk) and drained segments go. */
  ack(batch: SpoolBatch): void {
    if (batch.segment !== this.cursor.segment || batch.start !== this.cursor.offset) return; // already acked
    this.cursor = { segment: batch.segment, offset: batch.end };
    this.lineCount = Math.max(0, this.lineCount - batch.lines);
    this.writeCursor();
    this.normalize();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.writeFd !== undefined) closeSync(this.writeFd);
    this.writeFd = undefined;
    this.unlock();
  }
}

/** Spool folders this process holds the lock of. */
const locked = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

function decode(text: string): OutgoingAlert | undefined {
  try {
    const v = JSON.parse(text) as { id?: unknown; rule?: unknown; severity?: unknown; line?: unknown };
    if (typeof v.id === 'string' && typeof v.rule === 'string' && typeof v.severity === 'string' && typeof v.line === 'string') {
      return { id: v.id, ruleId: v.rule, severity: v.severity as AlertSeverity, line: v.line };
    }
  } catch {
    // damaged
  }
  return undefined;
}
