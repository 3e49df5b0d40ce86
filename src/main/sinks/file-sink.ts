// A file of alert lines (NDJSON): appended to, never truncated, rotated by size.
//
// The file is opened when the sink opens, so an unusable path is an input error (exit 2) before
// detection starts. Rotation happens between lines, before a block would take the file past
// `max_bytes`: x.(keep-1) → x.keep (the oldest is replaced), …, x → x.1, and a new x. fsync:
// `always` after every block (and on close), `interval` at most a second after a block (and on
// close and rotation), `never` leaves it to the OS.
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { InputError } from '../../shared/errors.js';
import { logger } from '../../shared/log.js';
import { BufferedSink } from './buffered-sink.js';
import type { FileSinkSpec } from './parse-sink-url.js';

const SYNC_INTERVAL_MS = 1000;

/** Opens PATH for appending, or reports why it cannot be (exit 2). */
async function openForAppend(path: string): Promise<{ file: FileHandle; size: number }> {
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'a');
    const st = await file.stat();
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: st.isDirectory() ? 'EISDIR' : 'ENOTFILE' });
    return { file, size: st.size };
  } catch (e) {
    await file?.close().catch(() => undefined);
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'its folder does not exist' : err.code === 'EISDIR' ? 'it is a directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new InputError('output.unusable', `cannot write alerts to ${path}: ${why}`, { file: path, cause: e });
  }
}

export async function openFileSink(spec: FileSinkSpec): Promise<FileSink> {
  const { file, size } = await openForAppend(spec.path);
  return new FileSink(spec, file, size);
}

export class FileSink extends BufferedSink {
  readonly name: string;
  /** First write error, reported by close(). */
  private failure: unknown;
  private unsynced = false;
  private syncTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly spec: FileSinkSpec,
    private file: FileHandle,
    private size: number,
  ) {
    super();
    this.name = spec.name;
  }

  protected async writeBlock(lines: string[]): Promise<void> {
    const max = this.spec.maxBytes;
    let i = 0;
    try {
      while (i < lines.length) {
        // The longest run of lines that fits in the current file (at least one line: a line longer
        // than max_bytes gets a file of its own).
        let bytes = 0;
        let j = i;
        for (; j < lines.length; j++) {
          const n = Buffer.byteLength(lines[j]!);
          if (max !== undefined && j > i && this.size + bytes + n > max) break;
          bytes += n;
        }
        if (max !== undefined && this.size > 0 && this.size + bytes > max) {
          await this.rotate();
          continue; // measure again against the empty file
        }
        const data = Buffer.from(lines.slice(i, j).join(''));
        let off = 0;
        while (off < data.length) off += (await this.file.write(data, off, data.length - off)).bytesWritten;
        this.size += data.length;
        this.delivered += j - i;
        i = j;
      }
      await this.synced();
    } catch (e) {
      this.failed += lines.length - i;
      if (this.failure === undefined) logger().error({ sink: this.name, err: (e as Error).message }, 'writing alerts to the file failed; alerts lost');
      this.failure ??= e;
    }
  }

  /** Applies the fsync policy after a block. */
  private async synced(): Promise<void> {
    if (this.spec.fsync === 'always') {
      await this.file.sync();
      return;
    }
    this.unsynced = true;
    if (this.spec.fsync === 'interval' && !this.syncTimer) {
      this.syncTimer = setTimeout(() => {
        this.syncTimer = undefined;
        if (!this.unsynced) return;
        this.unsynced = false;
        this.file.sync().catch((e: Error) => logger().warn({ sink: this.name, err: e.message }, 'fsync of the alert file failed'));
      }, SYNC_INTERVAL_MS);
      this.syncTimer.unref();
    }
  }

  /** x.(keep-1) → x.keep, …, x → x.1 (or x removed when keep = 0); then a new, empty x. */
  private async rotate(): Promise<void> {
    const path = this.spec.path;
    clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    if (this.spec.fsync !== 'never') await this.file.sync();
    await this.file.close();
    if (this.spec.keep === 0) await rm(path, { force: true });
    else {
      for (let k = this.spec.keep - 1; k >= 1; k--) {
        await rename(`${path}.${k}`, `${path}.${k + 1}`).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
      }
      await rename(path, `${path}.1`);
    }
    const { file, size } = await openForAppend(path);
    this.file = file;
    this.size = size;
    this.unsynced = false;
  }

  protected async finish(): Promise<void> {
    clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    try {
      if (this.spec.fsync !== 'never') await this.file.sync();
    } catch (e) {
      this.failure ??= e;
    }
    await this.file.close().catch((e: unknown) => void (this.failure ??= e));
    if (this.failure !== undefined) {
      throw new InputError('output.failed', `writing alerts to ${this.spec.path} failed: ${(this.failure as Error).message}`, { file: this.spec.path, cause: this.failure });
    }
  }
}
