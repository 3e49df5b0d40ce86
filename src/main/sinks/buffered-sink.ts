// What the local sinks (stdout, files) share: alerts gathered into blocks, one write at a time.
//
// offer() only appends to an in-memory list. The first alert after a quiet spell is written on
// the next turn of the event loop (so a burst offered in one go becomes one write), and while a
// write is in flight the next alerts gather behind it and go out as one block when it finishes:
// a slow disk means bigger writes, not more of them, and the caller never waits. Nothing is
// delayed by a timer, so a block is out well within 200 ms of its first alert unless the device
// itself is that slow.
import type { AlertSinkTarget, OutgoingAlert, SinkStats } from './types.js';

export abstract class BufferedSink implements AlertSinkTarget {
  protected delivered = 0;
  protected failed = 0;
  protected dropped = 0;
  private lines: string[] = [];
  /** Alerts handed to writeBlock() and not yet finished. */
  private inFlight = 0;
  private scheduled = false;
  private writing: Promise<void> | undefined;
  private closing: Promise<{ undelivered: number }> | undefined;

  abstract readonly name: string;

  /** Writes `lines` (each with its newline) and counts them as delivered, failed or dropped. */
  protected abstract writeBlock(lines: string[]): Promise<void>;
  /** After the last block: flush to the device, release it; throws if alerts were lost. */
  protected abstract finish(): Promise<void>;

  offer(alert: OutgoingAlert): void {
    if (this.closing) {
      this.dropped++;
      return;
    }
    this.lines.push(`${alert.line}\n`);
    if (!this.scheduled && !this.writing) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.kick();
      });
    }
  }

  stats(): SinkStats {
    return { delivered: this.delivered, failed: this.failed, dropped: this.dropped, spooledBytes: 0, pending: this.lines.length + this.inFlight };
  }

  close(_graceMs: number): Promise<{ undelivered: number }> {
    // Local sinks write everything they were given: the grace period does not apply.
    this.closing ??= (async () => {
      this.kick();
      while (this.writing) await this.writing;
      await this.finish();
      return { undelivered: 0 };
    })();
    return this.closing;
  }

  /** Starts the write loop unless it runs already. */
  private kick(): void {
    if (this.writing || this.lines.length === 0) return;
    this.writing = (async () => {
      while (this.lines.length > 0) {
        const block = this.lines;
        this.lines = [];
        this.inFlight = block.length;
        try {
          await this.writeBlock(block);
        } catch {
          this.failed += block.length; // writeBlock counts its own failures; this is a safety net
        } finally {
          this.inFlight = 0;
        }
      }
    })().finally(() => {
      this.writing = undefined;
      // Alerts offered between the loop's last check and now found it still running: start again.
      this.kick();
    });
  }
}
