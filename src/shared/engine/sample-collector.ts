// `sample by …` with Elasticsearch's semantics (x-pack/plugin/eql SampleIterator): for every join
// key present in all steps, take each step's first matching events (ES fetches
// steps × max_samples_per_key hits per step, in index order — here, input order), then pick
// combinations of distinct events, one per step, by backtracking, up to max_samples_per_key
// samples per key. Keys come out in composite-aggregation order (see key-order.ts). Samples need
// no event time; they are produced when the stream ends, so memory grows with the number of keys,
// and per key is bounded by steps² × max_samples_per_key events.
import type { CompiledQuery } from './compiled.js';
import { stable, type EngineEvent, type EngineResult, type EngineStats } from './event.js';
import { expandJoinKeys, type JoinKey } from './join-key.js';
import { compareKeys } from './key-order.js';

interface KeyHits {
  key: JoinKey;
  perStep: EngineEvent[][];
}

export class SampleCollector {
  private readonly byKey = new Map<string, KeyHits>();
  private readonly perStepCap: number;

  constructor(
    private readonly query: CompiledQuery,
    private readonly stats: EngineStats,
    private readonly maxSamplesPerKey: number,
    /**
     * Most join keys held at once (the per-rule cap, as for sequence partials): beyond it the
     * oldest key's hits are dropped and counted in stats.evictionsPerRule. Default: none.
     */
    private readonly maxKeys = Infinity,
  ) {
    this.perStepCap = query.steps.length * maxSamplesPerKey;
  }

  /** A new key's hits, after making room under maxKeys (the key first seen longest ago goes). */
  private newKey(key: JoinKey): KeyHits {
    if (this.byKey.size >= this.maxKeys) {
      const oldest = this.byKey.keys().next().value as string;
      this.byKey.delete(oldest);
      this.stats.keysLive--;
      this.stats.evictions++;
      this.stats.evictionsPerRule++;
    }
    const hits: KeyHits = { key, perStep: this.query.steps.map(() => []) };
    this.byKey.set(key.id, hits);
    this.stats.keysLive++;
    return hits;
  }

  push(ev: EngineEvent): void {
    const steps = this.query.steps;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      if (!step.filter.test(ev.view)) continue;
      for (const key of expandJoinKeys(step.keys(ev.view), step.keyNullable)) {
        const hits = this.byKey.get(key.id) ?? this.newKey(key);
        const list = hits.perStep[i];
        if (list.length < this.perStepCap) list.push(stable(ev));
      }
    }
  }

  /** Samples already emitted per key in streaming mode; a key that reached the cap keeps only this. */
  private readonly emitted = new Map<string, number>();

  /**
   * Live mode: takes the event and emits at once each sample it completes, up to
   * max_samples_per_key per key (a key that has them all stops collecting events). The samples
   * are those finish() would pick from the events seen so far.
   */
  pushStreaming(ev: EngineEvent, emit: (r: EngineResult) => void): void {
    const steps = this.query.steps;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      if (!step.filter.test(ev.view)) continue;
      for (const key of expandJoinKeys(step.keys(ev.view), step.keyNullable)) {
        const done = this.emitted.get(key.id) ?? 0;
        if (done >= this.maxSamplesPerKey) continue;
        const hits = this.byKey.get(key.id) ?? this.newKey(key);
        const list = hits.perStep[i];
        if (list.length >= this.perStepCap) continue;
        const kept = stable(ev);
        if (list.includes(kept)) continue;
        list.push(kept);
        if (!hits.perStep.every((l) => l.length > 0)) continue;
        const samples = pickDistinct(hits.perStep, done + 1);
        if (samples.length <= done) continue;
        this.emitted.set(key.id, done + 1);
        // Keys that got their samples are remembered (so they do not alert again) within the
        // same cap as live keys: the oldest are forgotten first.
        if (this.emitted.size > this.maxKeys) this.emitted.delete(this.emitted.keys().next().value as string);
        emit({ events: samples[done]!, joinKeys: key.values });
        if (done + 1 >= this.maxSamplesPerKey) {
          this.byKey.delete(key.id);
          this.stats.keysLive--;
        }
      }
    }
  }

  /** Emits the samples in ES order; `emit` returns false to stop early (result limit reached). */
  finish(emit: (r: EngineResult) => boolean): void {
    const complete = [...this.byKey.values()].filter((h) => h.perStep.every((l) => l.length > 0));
    complete.sort((a, b) => compareKeys(a.key.values, b.key.values));
    for (const h of complete) {
      for (const events of pickDistinct(h.perStep, this.maxSamplesPerKey)) {
        if (!emit({ events, joinKeys: h.key.values })) return;
      }
    }
  }
}

/** Up to `max` combinations of pairwise distinct events, one per step, in lexicographic order of choice. */
function pickDistinct(perStep: EngineEvent[][], max: number): EngineEvent[][] {
  const out: EngineEvent[][] = [];
  const chosen: EngineEvent[] = [];
  const walk = (step: number): void => {
    for (const ev of perStep[step]) {
      if (out.length >= max) return;
      if (chosen.includes(ev)) continue;
      chosen.push(ev);
      if (step === perStep.length - 1) out.push([...chosen]);
      else walk(step + 1);
      chosen.pop();
    }
  };
  if (max > 0) walk(0);
  return out;
}
