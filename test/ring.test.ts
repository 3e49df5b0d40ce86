import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { distModule } from './helpers/dist.js';
import { SharedRing } from '../src/shared/ring/shared-ring.js';
import { FrameBatch, FrameReader, FrameType, F_PAYLOAD_BYTES, FRAME_HEADER_WORDS, frameSeq, frameWords } from '../src/shared/ring/frames.js';

function payload(i: number): Uint8Array {
  // Lengths vary 0..37 bytes so padding and wrap-around land everywhere.
  const len = (i * 7) % 38;
  return Uint8Array.from({ length: len }, (_, k) => (i + k) & 0xff);
}

describe('SharedRing + frames (one thread)', () => {
  it('writes whole frames or nothing', () => {
    const ring = SharedRing.create(64);
    const batch = new FrameBatch();
    batch.append(FrameType.record, 1, 1, new Uint8Array(200), 0, 200); // 6 + 50 words
    expect(ring.tryWrite(batch.words, 0, batch.lengthWords)).toBe(true);
    expect(ring.tryWrite(batch.words, 0, batch.lengthWords)).toBe(false);
    expect(ring.availableWords()).toBe(frameWords(200));
  });

  it('survives wrap-around and partial reads with frames intact and in order', () => {
    const ring = SharedRing.create(257); // odd capacity: wrap points fall mid-frame
    const reader = new FrameReader(300);
    const batch = new FrameBatch();
    let next = 0;
    let seen = 0;
    for (let round = 0; round < 2000; round++) {
      batch.clear();
      for (let k = 0; k < 1 + (round % 5); k++) {
        const p = payload(next);
        batch.append(FrameType.record, next & 7, next, p, 0, p.length);
        next++;
      }
      if (!ring.tryWrite(batch.words, 0, batch.lengthWords)) next -= batch.frames; // retry later
      // Read in small, odd-sized pieces to force incomplete tails.
      reader.refill((t, o, m) => ring.read(t, o, Math.min(m, 13 + (round % 17))));
      for (let at = reader.next(); at >= 0; at = reader.next()) {
        expect(frameSeq(reader.words, at)).toBe(seen);
        const len = reader.words[at + F_PAYLOAD_BYTES];
        const got = reader.bytes.subarray((at + FRAME_HEADER_WORDS) * 4, (at + FRAME_HEADER_WORDS) * 4 + len);
        expect(Array.from(got)).toEqual(Array.from(payload(seen)));
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(1000);
  });

  it('splits the 64-bit sequence number into exact words', () => {
    const batch = new FrameBatch();
    const big = 2 ** 52 + 12345;
    batch.append(FrameType.watermark, 0, big, null);
    expect(frameSeq(batch.words, 0)).toBe(big);
  });
});

describe('SharedRing across threads', () => {
  it('moves 100k frames to a sleeping worker and back in order, without loss', async () => {
    const input = SharedRing.create(4096);
    const output = SharedRing.create(1024);
    const ringModule = distModule('shared/ring/shared-ring.js');
    // The worker echoes each frame's header back; it sleeps in Atomics.wait whenever its input is
    // empty and blocks when its output is full, exactly like a partition worker.
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      (async () => {
        const { SharedRing } = await import(workerData.ringModule);
        const input = new SharedRing(workerData.input);
        const output = new SharedRing(workerData.output);
        const buf = new Uint32Array(4096);
        const hdr = new Uint32Array(6);
        let sleeps = 0, pending = 0;
        while (true) {
          const n = input.read(buf, pending, buf.length - pending) + pending;
          if (n === 0) {
            if (input.isClosed() && input.availableWords() === 0) break;
            sleeps++;
            input.sleepUntilData(1000);
            continue;
          }
          let off = 0;
          while (n - off >= 6 && n - off >= buf[off]) {
            const len = buf[off];
            hdr.set(buf.subarray(off, off + 6));
            hdr[0] = 6; // echo the header alone: length 6 words, no payload
            hdr[3] = 0;
            while (!output.tryWrite(hdr, 0, 6)) output.sleepUntilSpace(6, 1000);
            off += len;
          }
          output.wakeConsumer();
          buf.copyWithin(0, off, n);
          pending = n - off;
        }
        output.close();
        parentPort.postMessage({ sleeps });
      })();
    `;
    const worker = new Worker(code, { eval: true, workerData: { input: input.handles, output: output.handles, ringModule } });
    const done = new Promise<{ sleeps: number }>((res, rej) => {
      worker.once('message', res);
      worker.once('error', rej);
    });
    const total = 100_000;
    const batch = new FrameBatch();
    const reader = new FrameReader(2048);
    let sent = 0;
    let received = 0;
    const drain = () => {
      reader.refill((t, o, m) => output.read(t, o, m));
      for (let at = reader.next(); at >= 0; at = reader.next()) {
        expect(frameSeq(reader.words, at)).toBe(received);
        received++;
      }
    };
    while (sent < total) {
      batch.clear();
      for (let k = 0; k < 64 && sent + batch.frames < total; k++) {
        const p = payload(sent + k);
        batch.append(FrameType.record, 0, sent + k, p, 0, p.length);
      }
      while (!input.tryWrite(batch.words, 0, batch.lengthWords)) {
        drain();
        await input.waitForSpace(batch.lengthWords, 5);
      }
      input.wakeConsumer();
      sent += batch.frames;
      drain();
    }
    input.close();
    while (!(output.isClosed() && output.availableWords() === 0)) {
      drain();
      await output.waitForData(50);
    }
    drain();
    const { sleeps } = await done;
    await worker.terminate();
    expect(received).toBe(total);
    // The worker slept instead of spinning at least once (it starts before any data arrives).
    expect(sleeps).toBeGreaterThan(0);
  });
});
