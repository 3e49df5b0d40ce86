import { describe, expect, it } from 'vitest';
import { RecordEvent, recordFieldAccessor } from '../src/shared/eql/record-access.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { encodeEvent } from '../src/shared/record/encode.js';
import { createSchema } from '../src/shared/schema/schema.js';

// A capture written with an older schema: rules may read fields its layout does not have. Those
// values live in the record's extra JSON, or inside a layout field that holds an object.
const layout = buildLayout(createSchema('old', [
  { path: 'process.name', type: 'keyword' },
  { path: 'process.pid', type: 'long' },
  { path: 'labels', type: 'object' },
], { strict: true }));
const read = (path: string) => recordFieldAccessor(layout)({ path, segments: path.split('.') }) as (ev: RecordEvent) => unknown;
const event = (e: Record<string, unknown>) => new RecordEvent(layout, encodeEvent(layout, e, 1), 1);

describe('record field access for paths outside the layout', () => {
  it('reads a field the layout lacks from the extra JSON', () => {
    const ev = event({ process: { name: 'sh', Ext: { header_bytes: '7f454c46' } } });
    expect(read('process.Ext.header_bytes')(ev)).toBe('7f454c46');
    expect(read('process.name')(ev)).toBe('sh');
  });
  it('gives undefined for a field that is nowhere in the record', () => {
    expect(read('file.Ext.truncated')(event({ process: { name: 'sh', pid: 3 } }))).toBeUndefined();
  });
  it('reads inside a layout field that holds an object', () => {
    const ev = event({ labels: { team: { name: 'red' } } });
    expect(read('labels.team.name')(ev)).toBe('red');
    expect(read('labels.team')(ev)).toEqual({ name: 'red' });
    expect(read('labels.other')(ev)).toBeUndefined();
  });
  it('assembles an object from child fields', () => {
    expect(read('process')(event({ process: { name: 'sh', pid: 3 } }))).toEqual({ name: 'sh', pid: 3 });
  });
});

describe('RecordEvent decoded-field table hand-over', () => {
  it('moves the table to an event without one; both then read their own records right', () => {
    const nameId = layout.fieldId('process.name');
    const pidId = layout.fieldId('process.pid');
    const kept = event({ process: { name: 'kept', pid: 7 } });
    const next = event({ process: { name: 'next', pid: 8 } });
    expect([kept.field(nameId), kept.field(pidId)]).toEqual(['kept', 7]);
    const table = (kept as unknown as { decoded: unknown }).decoded;
    expect(table).not.toBeNull();
    next.takeDecodedTable(kept);
    expect((next as unknown as { decoded: unknown }).decoded).toBe(table);
    expect((kept as unknown as { decoded: unknown }).decoded).toBeNull();
    // No entry of the other event's survives the move, whatever the generations.
    expect([next.field(nameId), next.field(pidId)]).toEqual(['next', 8]);
    expect([kept.field(nameId), kept.field(pidId)]).toEqual(['kept', 7]);
    // An event that has a table keeps its own.
    const third = event({ process: { name: 'third', pid: 9 } });
    third.field(nameId);
    const own = (third as unknown as { decoded: unknown }).decoded;
    third.takeDecodedTable(next);
    expect((third as unknown as { decoded: unknown }).decoded).toBe(own);
    expect(third.field(pidId)).toBe(9);
  });
});
