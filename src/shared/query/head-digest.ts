// A digest of the part of a query's input that its inferred schema is learnt from (the first
// INFER_DEFAULTS.maxEvents events), so `kestrel query` can reuse the schema it inferred from the
// same bytes before: the inference parses 10,000 events, ~0.2 s of a query of 580 MB.
//
// The digest covers at least that part, never less: it hashes whole lines from the start until it
// has counted `events` lines that are certainly events (their first character after spaces is
// `{`). Lines it does not count (blank, `//` comments, a byte order mark in front) only make the
// hashed part longer. Files are hashed in order, each followed by the count of its bytes hashed.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK = 1024 * 1024;

/** SHA-256 (hex) of the inputs' bytes up to and including the line of their `events`-th event line, or of all of them. */
export function headDigest(files: readonly string[], events: number): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK);
  let counted = 0;
  let done = false;
  for (const file of files) {
    const fd = openSync(file, 'r');
    let position = 0;
    try {
      let lineStart = true;
      while (!done) {
        const n = readSync(fd, buffer, 0, CHUNK, position);
        if (n === 0) break;
        let end = n;
        for (let i = 0; i < n; i++) {
          const b = buffer[i]!;
          if (b === 0x0a) {
            // The line of the last event counted is hashed whole, up to its newline.
            if (counted >= events) {
              end = i + 1;
              done = true;
              break;
            }
            lineStart = true;
          } else if (lineStart && b !== 0x20 && b !== 0x09 && b !== 0x0d) {
            if (b === 0x7b) counted++;
            lineStart = false;
          }
        }
        hash.update(buffer.subarray(0, end));
        position += end;
      }
    } finally {
      closeSync(fd);
    }
    // Where each file's hashed bytes end: "a" + "b\n" and "ab\n" are different inputs.
    hash.update(`\0${position}\0`);
    if (done) break;
  }
  return hash.digest('hex');
}
