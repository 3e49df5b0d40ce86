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
  const block = opts.immediate ? 0 : BLOCK;
  let buffer: string[] = [];
  let size = 0;
  let count = 0;
  let pending: Promise<unknown> = Promise.resolve();
  let failure: unknown;
  let broken = false;
  if (!file) stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') broken = true;
  });
  const spill = () => {
    if (buffer.length === 0) return;
    const text = buffer.join('');
    buffer = [];
    size = 0;
    if (file) pending = pending.then(() => file.write(text)).catch((e: unknown) => void (failure ??= e));
    else if (!broken) stdout.write(text);
  };
  return {
    write(line: string) {
      buffer.push(line, '\n');
      size += line.length + 1;
      count++;
      if (size >= block) spill();
    },
    get count() {
      return count;
    },
    async close() {
      spill();
      await pending;
      await file?.close();
      // A write that failed (disk full, I/O error) lost alerts: that must not end in exit 0.
      if (failure !== undefined) throw new InputError('output.failed', `writing alerts to ${path} failed: ${(failure as Error).message}`, { file: path, cause: failure });
    },
  };
}
