// Fuel metering for any Wasm module: one mutable global holds the remaining fuel; every function
// entry and every loop header subtracts a charge and traps with `unreachable` once the fuel is
// negative. The check is inlined rather than a call to a helper; the global, and the one function
// added for the host (refuel), are appended after the existing ones, so no index moves.
//
// Cost model (docs/wasm-rules.md): the code of a function is split into regions, one for the body
// outside any loop and one per loop (its instructions outside nested loops). Entering a region
// charges its static instruction count. Inside a region control only moves forward (a branch either
// leaves it or re-enters a loop header, which charges again), so each unit of fuel pays for at most
// one executed instruction: the charge is an upper bound, the same for the same input on every run.
// The check itself is not charged. Bulk memory instructions count as one although they touch up to
// the memory cap in bytes; that stays bounded because memory is capped (memory-limit.ts).
import { InputError } from '../errors.js';
import { ExternalKind, Op, SectionId, ValType } from './wasm-opcodes.js';
import { InstructionDecoder, parseValidModule, type FunctionBody } from './wasm-reader.js';
import { ByteWriter, appendToVector, codeSectionPayload, reassemble, sizedBytes, spliceBytes, type ByteEdit, type ModuleBuilder } from './wasm-writer.js';

import { FUEL_EXPORT, REFUEL_EXPORT } from './fuel-exports.js';

export { FUEL_EXPORT, REFUEL_EXPORT };

export interface FuelOptions {
  /** Name the fuel global is exported under. Default `__kestrel_fuel`. */
  exportName?: string;
  /** i32 (default: the host reads and writes plain numbers, no BigInt per call) or i64. */
  type?: 'i32' | 'i64';
  /**
   * The global's initial value: the budget of the start function and of anything run before the
   * host first sets the fuel. Default 10,000,000.
   */
  initialFuel?: number;
}

export const DEFAULT_INITIAL_FUEL = 10_000_000;
const MAX_I32_FUEL = 0x7fffffff;

/** Adds fuel metering to a module; see the cost model above. */
export function instrumentFuel(bytes: Uint8Array, opts: FuelOptions = {}): Uint8Array {
  const exportName = opts.exportName ?? FUEL_EXPORT;
  const wide = opts.type === 'i64';
  const initial = opts.initialFuel ?? DEFAULT_INITIAL_FUEL;
  if (!Number.isSafeInteger(initial) || initial < 0 || (!wide && initial > MAX_I32_FUEL)) {
    throw new InputError('wasm.fuel.options', `fuel: initialFuel must be a non-negative integer${wide ? '' : ' below 2^31 for i32 fuel'}, got ${initial}`);
  }
  const m = parseValidModule(bytes);
  if (m.exports.some((e) => e.name === exportName || e.name === REFUEL_EXPORT)) {
    throw new InputError('wasm.fuel.reserved', `the module already exports "${exportName}" or "${REFUEL_EXPORT}" (already instrumented, or a reserved name)`);
  }
  const fuelGlobal = m.importedGlobalCount + m.globals.length;
  const bodies = m.bodies.map((b) => meterBody(m.bytes, b, fuelGlobal, wide));
  const refuelIndex = m.importedFunctionCount + m.functions.length;
  const add = fuelAdditions(exportName, wide, initial, fuelGlobal, refuelIndex);
  bodies.push(add.refuelBody);

  return reassemble(
    m,
    new Map([
      [SectionId.type, appendToVector(m, SectionId.type, [add.refuelType])],
      [SectionId.function, appendToVector(m, SectionId.function, [new ByteWriter().u32(m.types.length).finish()])],
      [SectionId.global, appendToVector(m, SectionId.global, [add.global])],
      [SectionId.export, appendToVector(m, SectionId.export, add.exports)],
      [SectionId.code, codeSectionPayload(bodies)],
    ]),
  );
}

/**
 * What instrumentation adds besides the charges, as encoded entries: the refuel function's type
 * (appended even when an equal type exists) and body, the fuel global, and the two exports.
 */
interface FuelAdditions {
  refuelType: Uint8Array;
  refuelBody: Uint8Array;
  global: Uint8Array;
  exports: Uint8Array[];
}

function fuelAdditions(exportName: string, wide: boolean, initial: number, fuelGlobal: number, refuelIndex: number): FuelAdditions {
  const valType = wide ? ValType.i64 : ValType.i32;
  const refuelType = new ByteWriter().u8(0x60).u32(1).u8(valType).u32(1).u8(valType).finish();
  // refuel(n): let left = fuel; fuel = n; return left
  const refuelBody = new ByteWriter(16).u32(0).u8(Op.globalGet).u32(fuelGlobal).u8(Op.localGet).u32(0).u8(Op.globalSet).u32(fuelGlobal).u8(Op.end).finish();
  const init = new ByteWriter().u8(valType).u8(1);
  if (wide) init.u8(Op.i64Const).s64(BigInt(initial));
  else init.u8(Op.i32Const).s32(initial);
  init.u8(Op.end);
  const exp = new ByteWriter().name(exportName).u8(ExternalKind.global).u32(fuelGlobal);
  const refuelExp = new ByteWriter().name(REFUEL_EXPORT).u8(ExternalKind.func).u32(refuelIndex);
  return { refuelType, refuelBody, global: init.finish(), exports: [exp.finish(), refuelExp.finish()] };
}

/**
 * The module of a builder constructed with `meter`, whose functions were metered as they were
 * emitted (ModuleBuilder.addEmitted): the bytes instrumentFuel gives over the same module built
 * without metering, with `initialFuel` (default DEFAULT_INITIAL_FUEL) and `exportName`.
 */
export function buildMetered(mb: ModuleBuilder, opts: Omit<FuelOptions, 'type'> = {}): Uint8Array {
  const meter = mb.meter;
  if (!meter) throw new Error('internal: buildMetered() of a ModuleBuilder not constructed with meter');
  // The fuel global comes after the module's own, as instrumentFuel appends it.
  if (mb.globalCount !== meter.fuelGlobal) throw new Error(`internal: metered for fuel global ${meter.fuelGlobal}, but the module has ${mb.globalCount} globals`);
  const add = fuelAdditions(opts.exportName ?? FUEL_EXPORT, meter.wide, opts.initialFuel ?? DEFAULT_INITIAL_FUEL, meter.fuelGlobal, mb.functionCount);
  return mb.build({
    types: [add.refuelType],
    functions: [new ByteWriter(5).u32(mb.typeCount).finish()],
    globals: [add.global],
    exports: add.exports,
    bodies: [...mb.meteredFunctionBodies(), sizedBytes(add.refuelBody)],
  });
}

/** The charge-and-check sequence: fuel -= cost; if (fuel < 0) unreachable. */
export function chargeCode(global: number, cost: number, wide: boolean): Uint8Array {
  const w = new ByteWriter(24).u8(Op.globalGet).u32(global);
  if (wide) w.u8(Op.i64Const).s64(BigInt(cost)).u8(Op.i64Sub);
  else w.u8(Op.i32Const).s32(cost).u8(Op.i32Sub);
  w.u8(Op.globalSet).u32(global).u8(Op.globalGet).u32(global);
  if (wide) w.u8(Op.i64Const).u8(0).u8(Op.i64LtS);
  else w.u8(Op.i32Const).u8(0).u8(Op.i32LtS);
  return w.u8(Op.if).u8(0x40).u8(Op.unreachable).u8(Op.end).finish();
}

function meterBody(bytes: Uint8Array, body: FunctionBody, global: number, wide: boolean): Uint8Array {
  // Pass 1: static instruction count per region and where each region starts.
  const charges = [0];
  const starts = [body.codeStart];
  const regions = [0];
  const openIsLoop: boolean[] = [];
  const d = new InstructionDecoder(bytes, body.codeStart, body.end);
  while (d.next()) {
    charges[regions[regions.length - 1]]++;
    const op = d.op;
    if (op === Op.loop) {
      regions.push(charges.length);
      charges.push(0);
      starts.push(d.pos); // just after the loop's block type: runs on every iteration
      openIsLoop.push(true);
    } else if (op === Op.block || op === Op.if) {
      openIsLoop.push(false);
    } else if (op === Op.end && openIsLoop.length > 0 && openIsLoop.pop()) {
      regions.pop();
    }
  }
  // Pass 2: copy the body with a charge at each region start.
  const edits: ByteEdit[] = starts.map((at, i) => ({ start: at, end: at, insert: chargeCode(global, Math.max(1, charges[i]), wide) }));
  return spliceBytes(bytes, body.start, body.end, edits).finish();
}

function fuelExport(instance: WebAssembly.Instance, exportName: string): WebAssembly.Global {
  const g = instance.exports[exportName];
  if (!(g instanceof WebAssembly.Global)) throw new InputError('wasm.fuel.missing', `the instance has no "${exportName}" global: was the module instrumented?`);
  return g;
}

/** Sets the fuel budget for the next call. */
export function setFuel(instance: WebAssembly.Instance, fuel: number, exportName = FUEL_EXPORT): void {
  const g = fuelExport(instance, exportName);
  g.value = typeof g.value === 'bigint' ? BigInt(fuel) : fuel;
}

/** Fuel left (negative after a fuel trap: the charge that ran out). */
export function getFuel(instance: WebAssembly.Instance, exportName = FUEL_EXPORT): number {
  return Number(fuelExport(instance, exportName).value);
}
