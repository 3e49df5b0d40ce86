// Where a capture reader gets its bytes: a file read piece by piece, or a buffer in memory (tests,
// data already loaded). Positioned reads keep the reader's memory bounded by one chunk.
import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { InputError } from '../errors.js';

export interface ByteSource {
  /** Total size in bytes, fixed when the source was opened. */
  readonly size: number;
  /** Name used in error messages (a path, or "<memory>"). */
  readonly name: string;
  /** Reads exactly `length` bytes at `position` into into[offset…] (callers stay within size). */
  read(into: Uint8Array, offset: number, length: number, position: number): Promise<void>;
  close(): Promise<void>;
}

export async function fileSource(path: string): Promise<ByteSource> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new InputError('capture.open', `cannot open capture: ${(e as Error).message}`, { file: path, cause: e });
  }
  const st = await fh.stat();
  if (st.isDirectory()) {
    await fh.close();
    throw new InputError('capture.open', `cannot open capture: ${path} is a directory`, { file: path });
  }
  const size = st.size;
  return {
    size,
    name: path,
    // Synchronous reads on the file's descriptor: a capture is a regular file (its size was taken
    // above), mostly in the page cache, and a chunk is read in well under a millisecond.
    // FileHandle.read sends each read through the libuv thread pool; with both cores busy (main
    // and a predicate helper) each of the three reads per chunk waited to be scheduled, and main
    // idled 1.4 s of a 5.2 s replay at --workers 1 waiting for its input. A turn of the event
    // loop (setImmediate, no thread pool) still comes with every read, as the pool's answer did:
    // callers rely on it to take messages from other threads between chunks (a compiled predicate
    // module, a helper's ready signal), and a loop over resolved promises would never let them in.
    async read(into, offset, length, position) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      let done = 0;
      while (done < length) {
        const bytesRead = readSync(fh.fd, into, offset + done, length - done, position + done);
        if (bytesRead === 0) throw new InputError('capture.short-read', `unexpected end of file at byte ${position + done}`, { file: path, context: { offset: position + done } });
        done += bytesRead;
      }
    },
    close: () => fh.close(),
  };
}

export function memorySource(bytes: Uint8Array, name = '<memory>'): ByteSource {
  return {
    size: bytes.length,
    name,
    async read(into, offset, length, position) {
      into.set(bytes.subarray(position, position + length), offset);
    },
    async close() {},
  };
}
