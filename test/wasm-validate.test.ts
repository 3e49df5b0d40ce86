import { describe, expect, it } from 'vitest';
import { validateRuleModule } from '../src/shared/wasm/validate.js';
import { USER_RULE_ABI, type ModuleAbi } from '../src/shared/wasm/rule-abi.js';
import { ModuleBuilder } from '../src/shared/wasm/wasm-writer.js';
import { Op, ValType } from '../src/shared/wasm/wasm-opcodes.js';

const { i32, i64 } = ValType;

interface Shape {
  imports?: [string, string, number[], number[]][];
  match?: [number[], number[]] | null;
  memory?: { min: number; max?: number } | null;
  exportMemory?: boolean;
  start?: boolean;
  extraExports?: string[];
}

function ruleModule(shape: Shape = {}): Uint8Array {
  const b = new ModuleBuilder();
  for (const [mod, name, params, results] of shape.imports ?? [['kestrel', 'has', [i32], [i32]]]) b.importFunction(mod, name, params, results);
  const memory = shape.memory === undefined ? { min: 1, max: 4 } : shape.memory;
  if (memory) b.setMemory(memory.min, memory.max);
  const match = shape.match === undefined ? [[i32], [i32]] : shape.match;
  if (match) {
    const [params, results] = match;
    const body = results.length === 0 ? [Op.end] : results[0] === i64 ? [Op.i64Const, 0, Op.end] : [Op.i32Const, 0, Op.end];
    b.exportFunction('match', b.addFunction(params, results, [], body));
  }
  if (memory && shape.exportMemory !== false) b.export('memory', 2, 0);
  for (const name of shape.extraExports ?? []) b.exportFunction(name, b.addFunction([], [], [], [Op.end]));
  if (shape.start) b.setStart(b.addFunction([], [], [], [Op.end]));
  return b.build();
}

function messages(bytes: Uint8Array, abi: ModuleAbi = USER_RULE_ABI): string[] {
  return validateRuleModule(bytes, abi).errors.map((e) => e.message);
}

describe('validateRuleModule', () => {
  it('accepts a module that follows the ABI and lists its imports and exports', () => {
    const r = validateRuleModule(ruleModule(), USER_RULE_ABI);
    expect(r).toMatchObject({ ok: true, errors: [], warnings: [], imports: ['kestrel.has'], exports: ['match', 'memory'], memory: { min: 1, max: 4 } });
  });

  it('refuses a bad header with the offset', () => {
    const bytes = ruleModule();
    bytes[0] = 1;
    expect(validateRuleModule(bytes, USER_RULE_ABI).errors).toEqual([{ code: 'wasm.malformed', message: 'malformed Wasm at byte 0: bad magic number (not a Wasm module)', offset: 0 }]);
  });

  it('reports a module the engine refuses with the engine message', () => {
    const b = new ModuleBuilder();
    b.exportFunction('match', b.addFunction([i32], [i32], [], [Op.i64Const, 0, Op.end]));
    const [first] = messages(b.build());
    expect(first).toMatch(/^the module does not validate: /);
  });

  it('refuses imports outside the ABI, WASI included, and wrong import signatures', () => {
    const bytes = ruleModule({
      imports: [
        ['wasi_snapshot_preview1', 'fd_write', [i32, i32, i32, i32], [i32]],
        ['env', 'seed', [], [ValType.f64]],
        ['kestrel', 'get_i64', [i32], [i32]],
      ],
    });
    const allowed = Object.keys(USER_RULE_ABI.imports).join(', ');
    expect(messages(bytes)).toEqual([
      `import wasi_snapshot_preview1.fd_write (function) is not allowed; allowed: ${allowed}`,
      `import env.seed (function) is not allowed; allowed: ${allowed}`,
      'import kestrel.get_i64 has type (i32) -> i32; the ABI expects (i32) -> i64',
    ]);
  });

  it('refuses a missing or mistyped match and a missing memory export', () => {
    expect(messages(ruleModule({ match: null }))).toEqual(['missing export match: expected a function (i32) -> i32']);
    expect(messages(ruleModule({ match: [[i32, i32], [i32]] }))).toEqual(['export match has type (i32, i32) -> i32; expected (i32) -> i32']);
    expect(messages(ruleModule({ exportMemory: false }))).toEqual(['missing export memory: expected a memory']);
  });

  it('refuses exports with the host-reserved prefix', () => {
    expect(messages(ruleModule({ extraExports: ['__kestrel_fuel'] }))).toEqual([
      'export __kestrel_fuel uses the reserved prefix __kestrel_ (the host adds __kestrel_fuel and __kestrel_fault)',
    ]);
  });

  it('enforces the memory cap: refuses a larger maximum or minimum, warns when there is no maximum', () => {
    expect(messages(ruleModule({ memory: { min: 1, max: 1000 } }))).toEqual([
      'memory may grow to 1000 pages, more than the cap of 256 pages (16384 KiB); declare a maximum of at most 256 (asc --maximumMemory 256)',
    ]);
    expect(messages(ruleModule({ memory: { min: 300 } }))).toEqual(['memory starts at 300 pages, more than the cap of 256 pages (16384 KiB)']);
    const r = validateRuleModule(ruleModule({ memory: { min: 1 } }), USER_RULE_ABI);
    expect(r.ok).toBe(true);
    expect(r.warnings.map((w) => w.message)).toEqual(['memory has no maximum; the loader imposes the cap of 256 pages (16384 KiB)']);
  });

  it('refuses a table without a maximum or above the cap, accepts a fixed one', () => {
    const withTable = (min: number, max?: number): Uint8Array => {
      const b = new ModuleBuilder();
      b.setMemory(1, 1);
      b.addTable(min, max);
      b.exportFunction('match', b.addFunction([i32], [i32], [], [Op.i32Const, 0, Op.end]));
      b.export('memory', 2, 0);
      return b.build();
    };
    expect(messages(withTable(3, 3))).toEqual([]);
    expect(messages(withTable(3))).toEqual(['a table has no maximum; declare one of at most 10000 elements (tables live outside the memory cap)']);
    expect(messages(withTable(3, 20_000))).toEqual(['a table may grow to 20000 elements; declare a maximum of at most 10000 (tables live outside the memory cap)']);
  });

  it('refuses a start function under the user-rule ABI, accepts it when the ABI allows it', () => {
    const bytes = ruleModule({ start: true });
    expect(messages(bytes)).toEqual([
      'a start function is not allowed: host functions cannot reach the module memory before instantiation returns; compile with --exportStart _initialize so initialisation runs afterwards, metered',
    ]);
    expect(messages(bytes, { ...USER_RULE_ABI, allowStart: true })).toEqual([]);
  });
});
