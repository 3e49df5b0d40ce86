// `--sink stdout`: alert lines on the command's standard output.
//
// Blocks of lines, one write at a time: when the reader is slower than detection the lines gather
// in memory meanwhile (detection never waits). A closed pipe
// (`| head`) ends the output quietly, as for the primary output (pipeline/alert-sink.ts): later
// alerts are counted as dropped, nothing is thrown.
import { InputError } from '../../shared/errors.js';
import { logger } from '../../shared/log.js';
import { BufferedSink } from './buffered-sink.js';

export class StdoutSink extends BufferedSink {
  readonly name = 'stdout';
  private broken = false;
  private failure: Error | undefined;
  private readonly onError = (e: NodeJS.ErrnoException) => this.fail(e);

  constructor(private readonly out: NodeJS.WritableStream) {
    super();
    out.on('error', this.onError);
  }

  private fail(e: NodeJS.ErrnoException): void {
    if (this.broken) return;
    this.broken = true;
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
    this.failure = e;
    logger().error({ sink: this.name, err: e.message }, 'writing alerts to stdout failed');
  }

  protected async writeBlock(lines: string[]): Promise<void> {
    if (this.broken) {
      this.dropped += lines.length;
      return;
    }
    // The callback comes once the block left for the pipe: one block in flight at a time is the
    // back-pressure (the next lines gather meanwhile).
    const ok = await new Promise<boolean>((resolve) => {
      try {
        this.out.write(lines.join(''), (e?: Error | null) => {
          if (e) this.fail(e as NodeJS.ErrnoException);
          resolve(!e);
        });
      } catch (e) {
        this.fail(e as NodeJS.ErrnoException);
        resolve(false);
      }
    });
    if (ok) this.delivered += lines.length;
    else this.dropped += lines.length;
  }

  protected async finish(): Promise<void> {
    this.out.removeListener('error', this.onError);
    if (this.failure) throw new InputError('output.failed', `writing alerts to stdout failed: ${this.failure.message}`, { cause: this.failure });
  }
}
