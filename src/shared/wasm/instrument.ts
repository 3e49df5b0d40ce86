// The one entry point that turns any module (generated or user-supplied) into one that is safe to
// run: memory capped and guarded, then fuel-metered (so the guard code is metered too).
import { instrumentFuel, type FuelOptions } from './fuel.js';
import { limitMemory } from './memory-limit.js';

export interface InstrumentOptions {
  /** Memory cap in 64 KiB pages. */
  maxMemoryPages: number;
  fuel?: FuelOptions;
}

export function instrumentModule(bytes: Uint8Array, opts: InstrumentOptions): Uint8Array {
  return instrumentFuel(limitMemory(bytes, opts.maxMemoryPages), opts.fuel);
}
