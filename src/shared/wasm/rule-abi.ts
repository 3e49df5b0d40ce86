// The contract between the host and a Wasm rule module, as data: the host functions it may import,
// the exports it must provide, and the resource policy. validate.ts checks a module against it and
// docs/wasm-rules.md documents the user-rule ABI.
export type WasmValue = 'i32' | 'i64' | 'f32' | 'f64';

export interface FuncSig {
  params: WasmValue[];
  results: WasmValue[];
}

export type ExportSpec = { kind: 'function'; sig: FuncSig } | { kind: 'memory' };

export interface ModuleAbi {
  name: string;
  /** Every function a module may import, as "module.name" → signature. Nothing else is allowed. */
  imports: Record<string, FuncSig>;
  requiredExports: Record<string, ExportSpec>;
  /** Exports that are optional but, when present, must have this shape. */
  optionalExports: Record<string, ExportSpec>;
  /** Cap on linear memory, in 64 KiB pages. */
  maxMemoryPages: number;
  /**
   * Cap on a table's declared maximum. table.grow is not metered by size and tables live outside
   * linear memory, so a table must declare a maximum (AssemblyScript's are fixed: min = max).
   */
  maxTableElements: number;
  /**
   * Whether a start section is accepted. Instrumentation meters it either way; the user-rule ABI
   * refuses it because host functions cannot reach the module's exported memory before
   * instantiation returns.
   */
  allowStart: boolean;
}

const fn = (params: WasmValue[], results: WasmValue[]): FuncSig => ({ params, results });

/** Default cap on a user rule's memory: 16 MiB per instance. */
export const USER_RULE_MAX_PAGES = 256;

export const USER_RULE_ABI: ModuleAbi = {
  name: 'kestrel user rule v1',
  imports: {
    'kestrel.field_id': fn(['i32', 'i32'], ['i32']),
    'kestrel.has': fn(['i32'], ['i32']),
    'kestrel.get_str': fn(['i32', 'i32', 'i32'], ['i32']),
    'kestrel.get_i64': fn(['i32'], ['i64']),
    'kestrel.get_f64': fn(['i32'], ['f64']),
    'kestrel.alert': fn(['i32', 'i32'], []),
    // AssemblyScript's runtime reports failed assertions and allocation errors through this.
    'env.abort': fn(['i32', 'i32', 'i32', 'i32'], []),
  },
  requiredExports: {
    match: { kind: 'function', sig: fn(['i32'], ['i32']) },
    memory: { kind: 'memory' },
  },
  optionalExports: {
    // AssemblyScript's top-level code when compiled with --exportStart _initialize.
    _initialize: { kind: 'function', sig: fn([], []) },
  },
  maxMemoryPages: USER_RULE_MAX_PAGES,
  maxTableElements: 10_000,
  allowStart: false,
};

export function formatSig(sig: FuncSig): string {
  return `(${sig.params.join(', ')}) -> ${sig.results.length === 0 ? '()' : sig.results.join(', ')}`;
}
