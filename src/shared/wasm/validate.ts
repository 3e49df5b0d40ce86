// Checks a rule module against an ABI before anything loads it (`kestrel check`, rule loading):
// well-formed binary, valid for the engine, only the ABI's imports, the required exports with the
// right signatures, memory within the cap, no unmetered start function. Collects every problem
// with a message a rule author can act on, instead of stopping at the first.
import { InputError } from '../errors.js';
import { FAULT_EXPORT } from './memory-limit.js';
import { FUEL_EXPORT } from './fuel.js';
import { ExternalKind, ValType } from './wasm-opcodes.js';
import { engineError, functionType, parseModule, type FuncType, type WasmModule } from './wasm-reader.js';
import { formatSig, type FuncSig, type ModuleAbi } from './rule-abi.js';

export interface ValidationIssue {
  code: string;
  message: string;
  /** Byte offset in the module, where one applies. */
  offset?: number;
}

export interface ValidationReport {
  ok: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  /** "module.name" of every import, in order. */
  imports: string[];
  exports: string[];
  memory: { min: number; max: number | null } | null;
}

const RESERVED_PREFIX = '__kestrel_';
const KIND_NAMES = ['function', 'table', 'memory', 'global'];
const VALUE_NAMES: Record<number, string> = {
  [ValType.i32]: 'i32',
  [ValType.i64]: 'i64',
  [ValType.f32]: 'f32',
  [ValType.f64]: 'f64',
  [ValType.funcref]: 'funcref',
  [ValType.externref]: 'externref',
};

function sigOf(t: FuncType): FuncSig {
  return { params: t.params.map((v) => VALUE_NAMES[v]) as FuncSig['params'], results: t.results.map((v) => VALUE_NAMES[v]) as FuncSig['results'] };
}

function sameSig(a: FuncSig, b: FuncSig): boolean {
  return formatSig(a) === formatSig(b);
}

export function validateRuleModule(bytes: Uint8Array, abi: ModuleAbi): ValidationReport {
  const report: ValidationReport = { ok: false, errors: [], warnings: [], imports: [], exports: [], memory: null };
  const error = (code: string, message: string, offset?: number): void => {
    report.errors.push(offset === undefined ? { code, message } : { code, message, offset });
  };

  let m: WasmModule;
  try {
    m = parseModule(bytes);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    error(e.code, e.message, e.context?.offset as number | undefined);
    return report;
  }
  if (!WebAssembly.validate(bytes)) {
    error('wasm.invalid', `the module does not validate: ${engineError(bytes)}`);
  }
  report.imports = m.imports.map((i) => `${i.module}.${i.name}`);
  report.exports = m.exports.map((e) => e.name);

  const allowed = Object.keys(abi.imports);
  for (const imp of m.imports) {
    const key = `${imp.module}.${imp.name}`;
    const want = abi.imports[key];
    if (!want || imp.kind !== ExternalKind.func) {
      error('wasm.import.denied', `import ${key} (${KIND_NAMES[imp.kind]}) is not allowed; allowed: ${allowed.join(', ')}`, imp.offset);
      continue;
    }
    const type = m.types[imp.typeIndex];
    if (type && !sameSig(sigOf(type), want)) {
      error('wasm.import.signature', `import ${key} has type ${formatSig(sigOf(type))}; the ABI expects ${formatSig(want)}`, imp.offset);
    }
  }

  const checkExport = (name: string, required: boolean): void => {
    const spec = required ? abi.requiredExports[name] : abi.optionalExports[name];
    const exp = m.exports.find((e) => e.name === name);
    const expected = spec.kind === 'memory' ? 'a memory' : `a function ${formatSig(spec.sig)}`;
    if (!exp) {
      if (required) error('wasm.export.missing', `missing export ${name}: expected ${expected}`);
      return;
    }
    const kind = spec.kind === 'memory' ? ExternalKind.memory : ExternalKind.func;
    if (exp.kind !== kind) {
      error('wasm.export.kind', `export ${name} is a ${KIND_NAMES[exp.kind]}; expected ${expected}`, exp.offset);
      return;
    }
    if (spec.kind === 'function') {
      const type = functionType(m, exp.index);
      if (type && !sameSig(sigOf(type), spec.sig)) {
        error('wasm.export.signature', `export ${name} has type ${formatSig(sigOf(type))}; expected ${formatSig(spec.sig)}`, exp.offset);
      }
    }
  };
  for (const name of Object.keys(abi.requiredExports)) checkExport(name, true);
  for (const name of Object.keys(abi.optionalExports)) checkExport(name, false);
  for (const exp of m.exports) {
    if (exp.name.startsWith(RESERVED_PREFIX)) {
      error('wasm.export.reserved', `export ${exp.name} uses the reserved prefix ${RESERVED_PREFIX} (the host adds ${FUEL_EXPORT} and ${FAULT_EXPORT})`, exp.offset);
    }
  }

  const limits = m.memories[0] ?? null;
  if (limits) {
    report.memory = { min: limits.min, max: limits.max };
    const cap = abi.maxMemoryPages;
    if (limits.min > cap) {
      error('wasm.memory.min', `memory starts at ${limits.min} pages, more than the cap of ${cap} pages (${cap * 64} KiB)`, limits.start);
    } else if (limits.max !== null && limits.max > cap) {
      error('wasm.memory.max', `memory may grow to ${limits.max} pages, more than the cap of ${cap} pages (${cap * 64} KiB); declare a maximum of at most ${cap} (asc --maximumMemory ${cap})`, limits.start);
    } else if (limits.max === null) {
      report.warnings.push({ code: 'wasm.memory.unbounded', message: `memory has no maximum; the loader imposes the cap of ${cap} pages (${cap * 64} KiB)`, offset: limits.start });
    }
  }

  for (const t of m.tables) {
    const cap = abi.maxTableElements;
    const why = '(tables live outside the memory cap)';
    if (t.max === null) error('wasm.table.max', `a table has no maximum; declare one of at most ${cap} elements ${why}`, t.start);
    else if (t.max > cap) error('wasm.table.max', `a table may grow to ${t.max} elements; declare a maximum of at most ${cap} ${why}`, t.start);
  }

  if (m.start !== null && !abi.allowStart) {
    error('wasm.start', 'a start function is not allowed: host functions cannot reach the module memory before instantiation returns; compile with --exportStart _initialize so initialisation runs afterwards, metered');
  }

  report.ok = report.errors.length === 0;
  return report;
}
