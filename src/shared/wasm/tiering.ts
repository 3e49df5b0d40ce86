// V8's Wasm tier-up, tuned for Kestrel's predicate module. V8 runs a new module's functions as
// Liftoff (baseline) code and recompiles a function with TurboFan once it has run "enough" (its
// tiering budget, roughly bytes of code executed). The predicate module's batch function is one
// very large function that crosses the default budget within the first few hundred events, and
// optimising it costs ~0.3 s of CPU (and ~35 MB) on the 2-vCPU VM: a third of a warm start-up
// with the full corpus, paid even by a run that ends a moment later. A 50× larger budget lets
// short runs finish on Liftoff code; long runs still tier up within their first second, so
// steady-state throughput is the same (bench/throughput.bench.mjs).
import { setFlagsFromString } from 'node:v8';

const BUDGET = 100_000_000;

/** Sets the tier-up budget (V8 flags are process-wide, workers included; setting it twice is harmless). */
export function applyWasmTiering(): void {
  setFlagsFromString(`--wasm-tiering-budget=${BUDGET}`);
}
