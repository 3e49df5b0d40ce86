import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inferSchema } from '../src/shared/schema/infer.js';
import { typeFamily, type FieldDef, type Schema } from '../src/shared/schema/types.js';
import { esDataFiles, readEsEvents, readEsJson } from './support/es-data.js';

function typesOf(s: Schema): Record<string, string> {
  return Object.fromEntries(s.fields().map((f) => [f.path, f.type + (f.multi ? '[]' : '')]));
}

/** Every scalar in the events must fit the family of the type inferred for its path. */
function assertValuesFit(s: Schema, events: Record<string, unknown>[]): number {
  let checked = 0;
  const visit = (path: string, v: unknown): void => {
    if (v === null) return;
    if (Array.isArray(v)) return v.forEach((e) => visit(path, e));
    if (typeof v === 'object') {
      for (const [k, x] of Object.entries(v as object)) visit(path === '' ? k : `${path}.${k}`, x);
      return;
    }
    const def = s.lookup(path);
    expect(def, path).toBeDefined();
    const fam = typeFamily(def!.type);
    const ok =
      fam === 'string' ||
      (fam === 'integer' && Number.isInteger(v)) ||
      (fam === 'float' && typeof v === 'number') ||
      (fam === 'boolean' && typeof v === 'boolean');
    expect(ok, `${path}: ${String(v)} as ${def!.type}`).toBe(true);
    checked++;
  };
  for (const e of events) visit('', e);
  return checked;
}

describe('inferSchema over the ES EQL conformance data', () => {
  it('infers endgame-140.json', () => {
    const events = readEsJson('endgame-140.json') as Record<string, unknown>[];
    const s = inferSchema(events, 'endgame-140');
    expect(s.strict).toBe(false);
    const t = typesOf(s);
    expect(t).toMatchObject({
      event_type: 'keyword',
      pid: 'long',
      ppid: 'long',
      timestamp: 'long',
      serial_event_id: 'long',
      command_line: 'keyword',
      bytes_written_string_list: 'keyword[]',
      'mysterious_field.num': 'long',
      'mysterious_field.outer_cross_match': 'keyword',
      'mysterious_field.subarray.a': 'keyword[]',
      'mysterious_field.subarray.b': 'keyword[]',
      'mysterious_field.subarray.c.x.y': 'keyword[]',
      'mysterious_field.subarray.c.z': 'keyword[]',
      'mysterious_field.this_is_for_testing_nested_data': 'keyword',
    });
    // Objects are walked, not stored as fields of their own.
    expect(s.lookup('mysterious_field')).toBeUndefined();
    expect(s.fields()[0]!.path).toBe(Object.keys(events[0]!)[0]);
    expect(s.lookup('pid')!.description).toBe(`Inferred from ${events.filter((e) => 'pid' in e).length} of ${events.length} sampled events.`);
    expect(assertValuesFit(s, events)).toBeGreaterThan(1000);
  });

  it.each(esDataFiles('.data'))('infers %s so that every value fits its type', (file) => {
    const events = readEsEvents(file);
    expect(events.length).toBeGreaterThan(5);
    const s = inferSchema(events, file);
    expect(s.lookup('event_type')!.type).toBe('keyword');
    expect(s.lookup('id') ?? s.lookup('sequence')).toBeDefined();
    expect(assertValuesFit(s, events)).toBeGreaterThan(20);
  });

  it('reads strings as keyword even when they look like numbers or dates', () => {
    const s = inferSchema(readEsEvents('sample2.data'), 'sample2');
    expect(s.lookup('@timestamp')!.type).toBe('keyword');
    expect(s.lookup('ip')!.type).toBe('keyword');
    expect(s.lookup('uptime')!.type).toBe('long');
    expect(s.lookup('bool')!.type).toBe('boolean');
  });

  it('skips nulls: a field only ever null is unknown', () => {
    const s = inferSchema(readEsEvents('sample1.data'), 'sample1');
    expect(s.lookup('missing_keyword')!.type).toBe('keyword');
    expect(inferSchema([{ a: null }, { a: [] }], 'n').lookup('a')).toBeUndefined();
  });
});

describe('inferSchema rules', () => {
  it('treats dotted keys and nested objects as the same field', () => {
    const nested = inferSchema([{ process: { pid: 1, parent: { name: 'sh' } } }], 'n');
    const dotted = inferSchema([{ 'process.pid': 1, 'process.parent.name': 'sh' }], 'd');
    const mixed = inferSchema([{ 'process.parent': { name: 'sh' }, process: { pid: 1 } }], 'm');
    expect(dotted.fields()).toEqual(nested.fields());
    expect(typesOf(mixed)).toEqual(typesOf(nested));
    const both = inferSchema([{ 'process.pid': 1 }, { process: { pid: 2.5 } }], 'b');
    expect(both.fields()).toEqual([{ path: 'process.pid', type: 'double', description: 'Inferred from 2 of 2 sampled events.' }]);
  });

  it('widens conflicting types', () => {
    const t = typesOf(
      inferSchema(
        [
          { a: 1, b: 1, c: true, d: 1n, e: 2n ** 63n, f: 1, g: [1, [2.5, 3]] },
          { a: 1.5, b: 'x', c: 0, d: 9007199254740993n, e: 1n, f: -(2n ** 63n), g: 4 },
        ],
        'w',
      ),
    );
    expect(t).toEqual({ a: 'double', b: 'keyword', c: 'keyword', d: 'long', e: 'unsigned_long', f: 'long', g: 'double[]' });
    expect(typesOf(inferSchema([{ x: 2n ** 63n }, { x: -1 }], 'x'))).toEqual({ x: 'double' });
    expect(typesOf(inferSchema([{ x: -1 }, { x: 2n ** 63n }, { x: 3 }], 'x'))).toEqual({ x: 'double' });
    expect(typesOf(inferSchema([{ x: 2n ** 64n }], 'x'))).toEqual({ x: 'double' });
    expect(typesOf(inferSchema([{ x: 1e20 }, { y: 2 ** 53 + 2 }], 'u'))).toEqual({ x: 'double', y: 'long' });
  });

  it('marks a field multi-valued if any event holds an array there', () => {
    const s = inferSchema([{ args: 'a' }, { args: ['a', 'b'] }, { e: [] }, { e: 'x' }], 'm');
    expect(s.lookup('args')!.multi).toBe(true);
    expect(s.lookup('e')!.multi).toBe(true);
  });

  it('reads at most maxEvents events and never touches the rest', () => {
    let pulled = 0;
    function* endless(): Generator<Record<string, unknown>> {
      for (let i = 0; ; i++) {
        pulled++;
        yield { [`f${i}`]: i };
      }
    }
    const s = inferSchema(endless(), 'endless', { maxEvents: 50 });
    expect(pulled).toBe(50);
    expect(s.fields()).toHaveLength(50);
    pulled = 0;
    expect(inferSchema(endless(), 'default').fields()).toHaveLength(10_000);
    expect(pulled).toBe(10_000);
  });

  it('keeps objects deeper than maxDepth as one flattened field', () => {
    const s = inferSchema([{ a: { b: { c: { d: 1 } } } }], 'deep', { maxDepth: 2 });
    expect(typesOf(s)).toEqual({ 'a.b.c': 'flattened' });
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 5000; i++) deep = { n: deep };
    expect(inferSchema([deep], 'hostile').fields()).toHaveLength(1);
  });

  it('stops adding fields at maxFields', () => {
    const s = inferSchema([{ a: 1, b: 2, c: 3 }, { d: 4, a: 5 }], 'cap', { maxFields: 2 });
    expect(s.fields().map((f) => f.path)).toEqual(['a', 'b']);
  });

  it('ignores keys no query can name and non-object events', () => {
    const s = inferSchema([{ '': 1, 'a.': 2, 'x..y': 3, ok: 4 }, [1, 2] as unknown as Record<string, unknown>, null as unknown as Record<string, unknown>], 'odd');
    expect(s.fields().map((f) => f.path)).toEqual(['ok']);
  });

  it('infers the same schema for any event whether written dotted or nested (property)', () => {
    const key = fc.stringMatching(/^[a-z]{1,3}$/);
    const scalar = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.string());
    const tree: fc.Arbitrary<Record<string, unknown>> = fc.letrec((tie) => ({
      node: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, scalar, tie('node')), { maxKeys: 4 }),
    })).node as fc.Arbitrary<Record<string, unknown>>;
    const flatten = (o: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> => {
      for (const [k, v] of Object.entries(o)) {
        const p = prefix === '' ? k : `${prefix}.${k}`;
        if (typeof v === 'object' && v !== null) flatten(v as Record<string, unknown>, p, out);
        else out[p] = v;
      }
      return out;
    };
    fc.assert(
      fc.property(fc.array(tree, { maxLength: 5 }), (events) => {
        const sorted = (fs: readonly FieldDef[]) => [...fs].sort((x, y) => x.path.localeCompare(y.path));
        expect(sorted(inferSchema(events.map((e) => flatten(e)), 'flat').fields())).toEqual(sorted(inferSchema(events, 'nested').fields()));
      }),
      { numRuns: 200 },
    );
  });
});
