// Where alert lines go: a file or stdout.
//
// Alerts are a log: a file is opened for appending, never truncated, so a restarted `run` keeps
// what earlier runs found. An output that cannot be opened (a missing folder, a directory, no
// permission) is an input error with one clear line, found before any work starts.
//
// Replay writes in large blocks (an alert storm must not make one write() per alert); live mode
// writes each alert the moment it is released (`immediate`), since a verdict held in a buffer is
// a verdict late. A closed stdout pipe (| head) ends output quietly.
import { open, type FileHandle } from 'node:fs/promises';
import { InputError } from '../../shared/errors.js';

export interface AlertSink {
  write(line: string): void;
  readonly count: number;
  close(): Promise<void>;
}

export interface AlertSinkOptions {
  /** Write every alert at once instead of in 64 KiB blocks (live mode). */
  immediate?: boolean;
}

const BLOCK = 64 * 1024;
/** A block buffer: a block, and the longest line that still fits beside it. */
const BUFFER = 4 * BLOCK;

/** Opens FILE for appending alerts, or reports why it cannot be (exit 2). */
async function openOutput(path: string): Promise<FileHandle> {
  try {
    const file = await open(path, 'a');
    // open(…, 'a') succeeds on a directory on some systems only at write time: check now.
    if ((await file.stat()).isDirectory()) {
      await file.close();
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
    return file;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'its folder does not exist' : err.code === 'EISDIR' ? 'it is a directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new InputError('output.unusable', `cannot write alerts to ${path}: ${why}`, { file: path, cause: e });
  }
}

export async function openAlertSink(path: string | undefined, stdout: NodeJS.WritableStream, opts: AlertSinkOptions = {}): Promise<AlertSink> {
  const file: FileHandle | undefined = path ? await openOutput(path) : undefined;
  let count = 0;
  let pending: Promise<unknown> = Promise.resolve();
  let failure: unknown;
  let broken = false;
  if (!file) stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') broken = true;
  });
  /** Writes one chunk: a block's bytes or a line's text. */
  const emit = (chunk: Uint8Array | string): void => {
    // appendFile writes all of it (write() may stop short).
    if (file) pending = pending.then(() => file.appendFile(chunk)).catch((e: unknown) => void (failure ??= e));
    else if (!broken) stdout.write(chunk);
  };
  const finish = async (): Promise<void> => {
    await pending;
    await file?.close();
    // A write that failed (disk full, I/O error) lost alerts: that must not end in exit 0.
    if (failure !== undefined) throw new InputError('output.failed', `writing alerts to ${path} failed: ${(failure as Error).message}`, { file: path, cause: failure });
  };
  if (opts.immediate) {
    return {
      write(line: string) {
        count++;
        emit(line + '\n');
      },
      get count() {
        return count;
      },
      close: () => finish(),
    };
  }
  // Replay: lines are encoded into one block buffer as they come, and each block is written as a
  // copy of its bytes (an output may hold a chunk after its write returns: a stream's reader).
  // Joining a block's strings instead made a new string of up to 128 KiB per block, which V8
  // puts on fresh pages of its large-object space: on this VM those page faults made writing
  // 74 MB of alerts cost ~0.8 s (0.13 s this way).
  const buf = Buffer.allocUnsafeSlow(BUFFER);
  let used = 0;
  const spill = (): void => {
    if (used === 0) return;
    emit(Buffer.from(buf.subarray(0, used)));
    used = 0;
  };
  return {
    write(line: string) {
      count++;
      // Room for the line's worst case (3 bytes per UTF-16 unit) and its newline.
      const worst = 3 * line.length + 1;
      if (used + worst > BUFFER) spill();
      if (worst > BUFFER) {
        emit(line + '\n');
        return;
      }
      used += buf.write(line, used);
      buf[used++] = 0x0a;
      if (used >= BLOCK) spill();
    },
    get count() {
      return count;
    },
    async close() {
      spill();
      await finish();
    },
  };
}
