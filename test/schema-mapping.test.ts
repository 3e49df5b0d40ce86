import { describe, expect, it } from 'vitest';
import { SchemaError } from '../src/shared/errors.js';
import { inferSchema } from '../src/shared/schema/infer.js';
import { schemaFromMapping } from '../src/shared/schema/mapping.js';
import { combineSchemas } from '../src/shared/schema/schema.js';
import { esDataFiles, readEsEvents, readEsJson } from './support/es-data.js';

describe('schemaFromMapping on the ES EQL conformance mappings', () => {
  const mappings = esDataFiles('.mapping');

  it('finds the mapping files', () => {
    expect(mappings).toEqual(['missing-events.mapping', 'sample1.mapping']);
  });

  it.each(mappings)('loads %s strictly, with event.category aliased to event_type', (file) => {
    const s = schemaFromMapping(readEsJson(file), file);
    expect(s.strict).toBe(true);
    expect(s.aliasOf('event.category')).toBe('event_type');
    expect(s.lookup('event.category')).toBe(s.lookup('event_type'));
    expect(s.lookup('event.category')!.type).toBe('keyword');
    expect(s.lookup('@timestamp')!.type).toBe('date');
  });

  it('reads sample1.mapping types and date formats', () => {
    const s = schemaFromMapping(readEsJson('sample1.mapping'), 'sample1');
    const types = Object.fromEntries(s.fields().map((f) => [f.path, f.type]));
    expect(types).toEqual({
      ip: 'ip',
      version: 'version',
      missing_keyword: 'keyword',
      '@timestamp': 'date',
      type_test: 'keyword',
      '@timestamp_pretty': 'date',
      event_type: 'keyword',
      host: 'keyword',
      os: 'keyword',
      bool: 'boolean',
      uptime: 'long',
      port: 'long',
    });
    expect(s.lookup('@timestamp_pretty')!.format).toBe('dd-MM-yyyy');
  });

  it('treats the random keyword placeholder as keyword and aliases event.sequence', () => {
    const s = schemaFromMapping(readEsJson('missing-events.mapping'), 'missing-events');
    expect(s.lookup('event_type')!.type).toBe('keyword');
    expect(s.lookup('event.sequence')).toBe(s.lookup('sequence'));
    expect(s.lookup('event.sequence')!.type).toBe('long');
    expect(s.lookup('transID')).toBeUndefined();
  });

  it('combines with inference from the data the way ES dynamic mapping does', () => {
    const mapping = schemaFromMapping(readEsJson('sample1.mapping'), 'sample1.mapping');
    const inferred = inferSchema(readEsEvents('sample1.data'), 'sample1.data');
    const s = combineSchemas(mapping, inferred);
    expect(s.strict).toBe(true);
    expect(s.lookup('ip')!.type).toBe('ip'); // the data alone would say keyword
    expect(s.lookup('id')!.type).toBe('long'); // only in the data
    expect(s.lookup('event.category')!.path).toBe('event_type');
    expect(s.lookup('op_sys')).toBeUndefined();
  });
});

describe('schemaFromMapping shapes and options', () => {
  const mapping = {
    mappings: {
      properties: {
        process: {
          properties: {
            pid: { type: 'long', null_value: -1 },
            name: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 1024 } } },
            'parent.pid': { type: 'integer' },
          },
        },
        tags: { type: 'nested', properties: { value: { type: 'keyword' } } },
        labels: { type: 'object', enabled: false },
        blob: { type: 'binary' },
        words: { type: 'token_count' },
        ts: { type: 'date_nanos', format: 'strict_date_optional_time_nanos' },
      },
    },
  };

  it('turns nested properties into dotted paths and reads null_value', () => {
    const s = schemaFromMapping(mapping, 'm');
    expect(s.lookup('process.pid')).toEqual({ path: 'process.pid', type: 'long', nullValue: -1 });
    expect(s.lookup('process.parent.pid')!.type).toBe('integer');
    expect(s.lookup('tags.value')).toEqual({ path: 'tags.value', type: 'keyword', multi: true });
    expect(s.lookup('labels')!.type).toBe('object');
    expect(s.lookup('words')!.type).toBe('integer');
    expect(s.lookup('ts')!.format).toBe('strict_date_optional_time_nanos');
    expect(s.lookup('blob')).toBeUndefined();
  });

  it('makes multi-fields aliases of the field they index', () => {
    const s = schemaFromMapping(mapping, 'm');
    expect(s.aliasOf('process.name.keyword')).toBe('process.name');
    expect(s.lookup('process.name.keyword')!.type).toBe('text');
  });

  it('accepts {properties}, {mappings:{properties}} and the GET _mapping answer alike', () => {
    const props = mapping.mappings.properties;
    const a = schemaFromMapping({ properties: props }, 'a').fields();
    const b = schemaFromMapping(mapping, 'b').fields();
    const c = schemaFromMapping({ 'my-index': mapping }, 'c').fields();
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    // A field named "mappings" is a field, not a wrapper.
    expect(schemaFromMapping({ properties: { mappings: { type: 'long' } } }, 'd').lookup('mappings')!.type).toBe('long');
    expect(schemaFromMapping({}, 'e').fields()).toEqual([]);
  });

  it('can be made non-strict', () => {
    expect(schemaFromMapping(mapping, 'm', { strict: false }).strict).toBe(false);
  });

  it('reports malformed mappings as SchemaError with exact messages', () => {
    const cases: Array<[unknown, string]> = [
      [[], 'mapping x: expected a JSON object'],
      [{ foo: 1 }, 'mapping x: no "properties" object found'],
      [{ properties: [] }, 'mapping x: "properties" must be an object'],
      [{ properties: { a: 'long' } }, 'mapping x: field "a" must be an object'],
      [{ properties: { a: { type: 7 } } }, 'mapping x: field "a": "type" must be a string'],
      [{ properties: { a: { type: 'alias' } } }, 'mapping x: alias "a" has no "path"'],
      [{ properties: { a: { type: 'alias', path: 'b' } } }, 'schema x: alias "a" points to unknown field "b"'],
    ];
    for (const [json, message] of cases) {
      let err: unknown;
      try {
        schemaFromMapping(json, 'x');
      } catch (e) {
        err = e;
      }
      expect(err, message).toBeInstanceOf(SchemaError);
      expect((err as Error).message).toBe(message);
    }
  });
});
