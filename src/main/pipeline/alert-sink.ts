// Where alert lines go: a file or stdout, written in large blocks (an alert storm must not make one
// write() per alert), flushed on close. A closed stdout pipe (| head) ends output quietly.
import { open, type FileHandle } from 'node:fs/promises';

export interface AlertSink {
  write(line: string): void;
  readonly count: number;
  close(): Promise<void>;
}

const BLOCK = 64 * 1024;

export async function openAlertSink(path: string | undefined, stdout: NodeJS.WritableStream): Promise<AlertSink> {
  const file: FileHandle | undefined = path ? await open(path, 'w') : undefined;
  let buffer: string[] = [];
  let size = 0;
  let count = 0;
  let pending: Promise<unknown> = Promise.resolve();
  let broken = false;
  if (!file) stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') broken = true;
  });
  const spill = () => {
    if (buffer.length === 0) return;
    const text = buffer.join('');
    buffer = [];
    size = 0;
    if (file) pending = pending.then(() => file.write(text));
    else if (!broken) stdout.write(text);
  };
  return {
    write(line: string) {
      buffer.push(line, '\n');
      size += line.length + 1;
      count++;
      if (size >= BLOCK) spill();
    },
    get count() {
      return count;
    },
    async close() {
      spill();
      await pending;
      await file?.close();
    },
  };
}
