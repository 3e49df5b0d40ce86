// The names under which fuel instrumentation (fuel.ts) exports its global and its refuel function:
// on their own, so code that only runs instrumented modules need not load the instrumenter.

export const FUEL_EXPORT = '__kestrel_fuel';
/**
 * An added function `refuel(n) -> left`: sets the fuel to n and returns what was left. From JS a
 * Wasm call costs a few ns where a WebAssembly.Global value access costs ~17 ns, and the pool does
 * two per call. It is appended after every other function, so no function index moves.
 */
export const REFUEL_EXPORT = '__kestrel_refuel';
