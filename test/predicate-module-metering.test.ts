// The predicate module is fuel-metered function by function as it is generated (a cold start
// streams the generation, build-predicates.ts), instead of parsing the generated module again with
// instrumentFuel. Both must give the same bytes, so the cost model (docs/wasm-rules.md) and every
// cached module stay what they were; and ModuleBuilder.encodedSize must be the length build() gives.
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { loadRules } from '../src/shared/rules/index.js';
import { checkRule } from '../src/shared/rules/compile-rule.js';
import { checkSchemaFor, predicateFilters } from '../src/shared/pipeline/ruleset.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { generatePredicateModule, PredicateModuleGenerator } from '../src/shared/eql/codegen/module.js';
import { buildPredicates } from '../src/shared/eql/codegen/build-predicates.js';
import { buildMetered, instrumentFuel } from '../src/shared/wasm/fuel.js';
import { FunctionEmitter, I32 } from '../src/shared/wasm/function-emitter.js';
import { ModuleBuilder } from '../src/shared/wasm/wasm-writer.js';
import { ExternalKind, Op, ValType } from '../src/shared/wasm/wasm-opcodes.js';
import type { CheckedFilter } from '../src/shared/eql/ir.js';

const schema = ecsLinuxSchema();
const layout = buildLayout(schema);

async function filtersOf(dirs: string[]): Promise<CheckedFilter[]> {
  const loaded = await loadRules(dirs);
  const checkSchema = checkSchemaFor(schema);
  return predicateFilters(loaded.rules.flatMap((r) => {
    const c = checkRule(r, { schema: checkSchema });
    return c.ok ? [c.checked] : [];
  }));
}

describe('metering the predicate module as it is generated', () => {
  it('gives the bytes instrumentFuel gives over the generated module, for the bundled rules and the Elastic corpus', async () => {
    for (const dirs of [[resolve('rules')], [resolve('rules'), resolve('../shared/rules-corpus/elastic-detection-rules')]]) {
      const filters = await filtersOf(dirs);
      expect(filters.length).toBeGreaterThan(30);
      const generated = generatePredicateModule(filters, layout);
      const reference = instrumentFuel(generated.bytes, { type: 'i64', initialFuel: 0 });
      const built = buildPredicates(filters, layout);
      expect(Buffer.from(built.bytes).equals(Buffer.from(reference))).toBe(true);
      expect(built.module.codeBytes).toBe(generated.bytes.length);
      expect(built.module.predicateCount).toBe(filters.length);
      // Added a few at a time (as streamed), the same bytes again.
      const streamed = new PredicateModuleGenerator(layout, true);
      for (let i = 0; i < filters.length; i += 7) streamed.add(filters.slice(i, i + 7));
      expect(Buffer.from(streamed.finishMetered().bytes).equals(Buffer.from(reference))).toBe(true);
    }
  });

  it('refuses to finish metered a generator not constructed so', () => {
    expect(() => new PredicateModuleGenerator(layout).finishMetered()).toThrow(/not constructed metered/);
  });
});

describe('FunctionEmitter.metered', () => {
  it('charges each region as decoding the function does: nested loops, if/else, br_table', () => {
    const emit = (): FunctionEmitter => {
      const em = new FunctionEmitter([I32]);
      const i = em.local(I32);
      const outer = em.block();
      const top = em.loop();
      em.get(i).i32(10).op(Op.i32GeU).brIf(outer);
      em.get(0).if().i32(1).set(i).else().i32(2).set(i).end();
      const inner = em.loop();
      em.get(i).i32(1).op(Op.i32Sub).tee(i).op(Op.i32Eqz).brIf(top);
      const a = em.block();
      const b = em.block();
      em.get(i).brTable([a, b], inner);
      em.end();
      em.end();
      em.br(inner);
      em.end();
      em.br(top);
      em.end();
      em.end();
      em.get(i);
      return em;
    };
    for (const wide of [false, true]) {
      // The same function in a module metered by decoding it (instrumentFuel) and as emitted.
      const plain = new ModuleBuilder();
      plain.exportFunction('f', plain.addEmitted([I32], [I32], emit()));
      const reference = instrumentFuel(plain.build(), { type: wide ? 'i64' : 'i32', initialFuel: 5 });
      const metered = new ModuleBuilder({ fuelGlobal: 0, wide });
      metered.exportFunction('f', metered.addEmitted([I32], [I32], emit()));
      expect(Buffer.from(buildMetered(metered, { initialFuel: 5 })).equals(Buffer.from(reference))).toBe(true);
    }
    expect(() => new ModuleBuilder({ fuelGlobal: 0, wide: true }).addFunction([], [], [], [Op.end])).toThrow(/addEmitted/);
  });

  it('takes only instructions without immediates in op()', () => {
    expect(() => new FunctionEmitter([]).op(Op.loop)).toThrow(/own method/);
    expect(() => new FunctionEmitter([]).op(Op.i32Const)).toThrow(/own method/);
  });
});

describe('ModuleBuilder.encodedSize', () => {
  it('is the length of the module build() gives, with and without tables, a start function and data', () => {
    const shapes: ((mb: ModuleBuilder) => void)[] = [
      () => undefined,
      (mb) => {
        mb.addFunction([], [], [], [Op.end]);
      },
      (mb) => {
        const f = mb.addFunction([ValType.i32], [ValType.i32], [ValType.i64, ValType.i32], [Op.localGet, 0, Op.end]);
        mb.addGlobal(ValType.i32, true, [Op.i32Const, 0]);
        mb.addTable(1, 4);
        mb.setMemory(1, 2);
        mb.export('f', ExternalKind.func, f);
        mb.addData(1024, new Uint8Array(300).fill(7));
        mb.addData(70000, new Uint8Array(3));
      },
      (mb) => {
        mb.importFunction('env', 'h', [ValType.i32], []);
        const body = new Array<number>(200).fill(Op.nop);
        body.push(Op.end);
        for (let i = 0; i < 140; i++) mb.addFunction([], [], [], body);
        mb.setStart(1);
      },
    ];
    for (const shape of shapes) {
      const mb = new ModuleBuilder();
      shape(mb);
      const bytes = mb.build();
      expect(mb.encodedSize()).toBe(bytes.length);
      expect(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)).toBe(true);
    }
  });
});
