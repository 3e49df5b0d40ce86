// Public entry of the synthetic generator: scenarios, options, and a run that feeds records to a
// sink (a capture writer, a benchmark, a test). Deterministic: the same options give the same
// bytes; no clock or Math.random is read.
import { UsageError } from '../errors.js';
import type { RecordLayout } from '../record/layout.js';
import { BENIGN } from './activities.js';
import { ATTACKS } from './attacks.js';
import { Sim, type Activity, type RecordSink } from './sim.js';

export const SCENARIOS = [
  { name: 'mixed', description: 'benign host activity with attacks injected at --attack-rate (default)' },
  { name: 'benign', description: 'benign host activity only' },
  { name: 'attacks', description: 'every attack scenario, round-robin, on a quiet host' },
] as const;

export type ScenarioName = (typeof SCENARIOS)[number]['name'];

export const DEFAULT_START = '2024-01-01T00:00:00.000Z';

export interface SynthOptions {
  scenario?: ScenarioName;
  events: number;
  seed: number | string;
  /** ISO-8601 time of the first event (default DEFAULT_START). */
  start?: string;
  /** Fraction of new activities that are attacks in "mixed" (default 0.002). */
  attackRate?: number;
  /** seq of the first event (default 1). */
  firstSeq?: number;
  /** Highest pid before pids wrap around (default 32768, the Linux default). */
  pidMax?: number;
}

export interface SynthStats {
  events: number;
  /** Attack name → number of times it was started. */
  attacks: Record<string, number>;
  firstSeq: number;
  lastSeq: number;
  startUs: number;
  endUs: number;
}

export function synthesize(layout: RecordLayout, options: SynthOptions, sink: RecordSink): SynthStats {
  const scenario = options.scenario ?? 'mixed';
  if (!SCENARIOS.some((s) => s.name === scenario)) {
    throw new UsageError('synth.scenario', `unknown scenario '${scenario}' (known: ${SCENARIOS.map((s) => s.name).join(', ')})`);
  }
  if (!Number.isSafeInteger(options.events) || options.events < 0) throw new UsageError('synth.events', 'events must be a non-negative integer');
  const rate = options.attackRate ?? 0.002;
  if (!(rate >= 0 && rate <= 1)) throw new UsageError('synth.attack-rate', 'attack rate must be between 0 and 1');
  const startMs = Date.parse(options.start ?? DEFAULT_START);
  if (Number.isNaN(startMs)) throw new UsageError('synth.start', `start time '${options.start}' is not an ISO-8601 date`);
  const firstSeq = options.firstSeq ?? 1;
  if (options.pidMax !== undefined && !(Number.isInteger(options.pidMax) && options.pidMax >= 1000)) throw new UsageError('synth.pid-max', 'pidMax must be an integer ≥ 1000');
  const sim = new Sim(layout, options.seed, startMs * 1000, firstSeq, sink, options.pidMax);
  const attacks: Record<string, number> = {};
  let round = 0;
  const startAttack = (i: number): Activity => {
    const a = ATTACKS[i]!;
    attacks[a.name] = (attacks[a.name] ?? 0) + 1;
    return a.run(sim);
  };
  const totalWeight = BENIGN.reduce((n, b) => n + b.weight, 0);
  const benign = (): Activity => {
    let r = sim.rng.int(totalWeight);
    for (const b of BENIGN) {
      if ((r -= b.weight) < 0) return b.run(sim);
    }
    return BENIGN[0]!.run(sim);
  };
  const next =
    scenario === 'attacks'
      ? () => startAttack(round++ % ATTACKS.length)
      : scenario === 'benign'
        ? benign
        : () => (sim.rng.chance(rate) ? startAttack(sim.rng.int(ATTACKS.length)) : benign());
  const startUs = sim.nowUs;
  sim.run(options.events, next, scenario === 'attacks' ? 2 : 6);
  return { events: sim.emitted, attacks, firstSeq, lastSeq: sim.seq - 1, startUs, endUs: sim.nowUs };
}

export { ATTACKS };
