// Result limits: the `head N` / `tail N` pipes, in the order written, then the `size` request
// parameter as a cap pipes cannot exceed (ES: "You cannot use pipes, such as head or tail, to
// exceed this value"). A cap after a tail keeps the last results, otherwise the first ones.
import type { CompiledPipe } from './compiled.js';

interface LimitStage<T> {
  push(item: T): void;
  end(): void;
  /** True once this stage drops everything it is given (a full head). */
  readonly full: boolean;
}

class Head<T> implements LimitStage<T> {
  private seen = 0;
  constructor(
    private readonly count: number,
    private readonly next: (item: T) => void,
    private readonly endNext: () => void,
  ) {}
  get full(): boolean {
    return this.seen >= this.count;
  }
  push(item: T): void {
    if (this.seen < this.count) {
      this.seen++;
      this.next(item);
    }
  }
  end(): void {
    this.endNext();
  }
}

/** Keeps the last `count` items in a ring buffer, so memory is bounded by the pipe's argument. */
class Tail<T> implements LimitStage<T> {
  private readonly ring: T[] = [];
  private start = 0;
  readonly full = false;
  constructor(
    private readonly count: number,
    private readonly next: (item: T) => void,
    private readonly endNext: () => void,
  ) {}
  push(item: T): void {
    if (this.count === 0) return;
    if (this.ring.length < this.count) this.ring.push(item);
    else {
      this.ring[this.start] = item;
      this.start = (this.start + 1) % this.count;
    }
  }
  end(): void {
    for (let i = 0; i < this.ring.length; i++) this.next(this.ring[(this.start + i) % this.ring.length]);
    this.ring.length = 0;
    this.endNext();
  }
}

export class ResultLimiter<T> {
  private readonly stages: LimitStage<T>[] = [];
  private readonly first: (item: T) => void;
  private readonly finish: () => void;

  constructor(pipes: readonly CompiledPipe[], size: number | undefined, emit: (item: T) => void) {
    const plan: CompiledPipe[] = [...pipes];
    if (size !== undefined) plan.push({ name: plan.at(-1)?.name === 'tail' ? 'tail' : 'head', count: size });
    let next = emit;
    let endNext = (): void => {};
    for (let i = plan.length - 1; i >= 0; i--) {
      const p = plan[i];
      const stage: LimitStage<T> = p.name === 'head' ? new Head(p.count, next, endNext) : new Tail(p.count, next, endNext);
      this.stages.unshift(stage);
      next = (item) => stage.push(item);
      endNext = () => stage.end();
    }
    this.first = next;
    this.finish = endNext;
  }

  push(item: T): void {
    this.first(item);
  }

  end(): void {
    this.finish();
  }

  /** True when no further result can be emitted: the caller may stop reading events. */
  get done(): boolean {
    return this.stages.some((s) => s.full);
  }
}
