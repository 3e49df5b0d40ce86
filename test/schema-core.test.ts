import { describe, expect, it } from 'vitest';
import { SchemaError } from '../src/shared/errors.js';
import { combineSchemas, createSchema } from '../src/shared/schema/schema.js';
import type { FieldDef } from '../src/shared/schema/types.js';

const FIELDS: FieldDef[] = [
  { path: 'event_type', type: 'keyword' },
  { path: 'process.pid', type: 'long' },
  { path: 'process.args', type: 'keyword', multi: true },
  { path: '@timestamp', type: 'date' },
];

function schemaError(fn: () => unknown): SchemaError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SchemaError);
    return e as SchemaError;
  }
  throw new Error('expected a SchemaError');
}

describe('createSchema', () => {
  it('looks fields up by full dotted path and keeps the given order', () => {
    const s = createSchema('t', FIELDS, { strict: true });
    expect(s.name).toBe('t');
    expect(s.strict).toBe(true);
    expect(s.lookup('process.pid')).toEqual({ path: 'process.pid', type: 'long' });
    expect(s.lookup('process')).toBeUndefined();
    expect(s.lookup('pid')).toBeUndefined();
    expect(s.fields().map((f) => f.path)).toEqual(['event_type', 'process.pid', 'process.args', '@timestamp']);
  });

  it('resolves aliases to their target field', () => {
    const s = createSchema('t', FIELDS, { strict: false, aliases: { 'event.category': 'event_type' } });
    expect(s.aliasOf('event.category')).toBe('event_type');
    expect(s.aliasOf('event_type')).toBeUndefined();
    expect(s.lookup('event.category')).toBe(s.lookup('event_type'));
    // Aliases are not fields of their own: the record layout has no slot for them.
    expect(s.fields().some((f) => f.path === 'event.category')).toBe(false);
    expect([...s.aliases()]).toEqual([['event.category', 'event_type']]);
  });

  it('copies and freezes its input', () => {
    const input: FieldDef[] = [{ path: 'a', type: 'long' }];
    const s = createSchema('t', input, { strict: true });
    input[0]!.type = 'keyword';
    input.push({ path: 'b', type: 'long' });
    expect(s.lookup('a')!.type).toBe('long');
    expect(s.fields()).toHaveLength(1);
    expect(Object.isFrozen(s.lookup('a'))).toBe(true);
  });

  it('refuses an alias to an unknown field', () => {
    const e = schemaError(() => createSchema('t', FIELDS, { strict: true, aliases: { 'event.category': 'nope' } }));
    expect(e.code).toBe('schema.alias-unknown-target');
    expect(e.message).toBe('schema t: alias "event.category" points to unknown field "nope"');
  });

  it('refuses an alias to an alias', () => {
    const e = schemaError(() => createSchema('t', FIELDS, { strict: true, aliases: { a: 'event_type', b: 'a' } }));
    expect(e.code).toBe('schema.alias-unknown-target');
  });

  it('refuses an alias that shadows a field, a duplicate field and malformed paths', () => {
    expect(schemaError(() => createSchema('t', FIELDS, { strict: true, aliases: { 'process.pid': 'event_type' } })).code).toBe(
      'schema.alias-shadows-field',
    );
    expect(schemaError(() => createSchema('t', [...FIELDS, { path: 'process.pid', type: 'keyword' }], { strict: true })).message).toBe(
      'schema t: field "process.pid" is defined twice',
    );
    for (const bad of ['', '.a', 'a.', 'a..b']) {
      expect(schemaError(() => createSchema('t', [{ path: bad, type: 'long' }], { strict: true })).code).toBe('schema.bad-path');
    }
  });
});

describe('combineSchemas', () => {
  const mapping = createSchema('m', [{ path: 'event_type', type: 'keyword' }, { path: 'port', type: 'long' }], {
    strict: true,
    aliases: { 'event.category': 'event_type' },
  });
  const inferred = createSchema(
    'i',
    [
      { path: 'port', type: 'keyword' },
      { path: 'id', type: 'long' },
      { path: 'event.category', type: 'keyword' },
      { path: 'host_ip', type: 'keyword' },
    ],
    { strict: false, aliases: { hip: 'host_ip', pp: 'port' } },
  );

  it('takes every path the primary knows from the primary, the rest from the fallback', () => {
    const c = combineSchemas(mapping, inferred);
    expect(c.name).toBe('m + i');
    expect(c.strict).toBe(true);
    expect(c.lookup('port')!.type).toBe('long');
    expect(c.lookup('id')!.type).toBe('long');
    // The primary's alias wins over a concrete fallback field of the same path.
    expect(c.aliasOf('event.category')).toBe('event_type');
    expect(c.fields().map((f) => f.path)).toEqual(['event_type', 'port', 'id', 'host_ip']);
    expect(c.aliasOf('hip')).toBe('host_ip');
    // A fallback alias now pointing at the primary's field still resolves.
    expect(c.lookup('pp')!.type).toBe('long');
  });

  it('lets the caller choose name and strictness', () => {
    const c = combineSchemas(mapping, inferred, { name: 'sample1', strict: false });
    expect(c.name).toBe('sample1');
    expect(c.strict).toBe(false);
  });
});
