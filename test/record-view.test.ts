import { describe, expect, it } from 'vitest';
import { createSchema } from '../src/shared/schema/schema.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { encodeEvent } from '../src/shared/record/encode.js';
import { decodeRecord } from '../src/shared/record/decode.js';
import { RecordView } from '../src/shared/record/view.js';
import { Tag } from '../src/shared/record/frame.js';
import { utf8 } from '../src/shared/record/utf8.js';
import { InputError } from '../src/shared/errors.js';

const fields = [
  { path: '@timestamp', type: 'date' as const },
  { path: 'process.name', type: 'keyword' as const },
  { path: 'process.args', type: 'keyword' as const, multi: true },
  { path: 'process.pid', type: 'long' as const },
];
const layout = buildLayout(createSchema('view', fields, { strict: true }));

describe('RecordView', () => {
  it('reads a record in place from a SharedArrayBuffer at an offset', () => {
    const rec = encodeEvent(layout, { '@timestamp': '2024-01-01T00:00:00Z', process: { name: 'bash', pid: 7, args: ['bash', '-i'] } }, 99);
    const sab = new Uint8Array(new SharedArrayBuffer(rec.length + 64));
    sab.set(rec, 64);
    const v = new RecordView(layout, sab, 64);
    expect(v.seq).toBe(99);
    expect(v.length).toBe(rec.length);
    expect(v.getI64AsNumber(layout.fieldId('process.pid'))).toBe(7);
    expect(v.stringEquals(layout.fieldId('process.name'), utf8('bash'))).toBe(true);
    expect(v.getString(layout.fieldId('process.name'))).toBe('bash');
    expect(v.timestampMs).toBe(Date.UTC(2024, 0, 1));
    const args = layout.fieldId('process.args');
    expect(v.arrayCount(args)).toBe(2);
    const first = v.firstElement(args);
    const second = v.nextElement(first);
    expect(v.elementStringEquals(first, utf8('bash'), true)).toBe(true);
    expect(v.elementStringEquals(second, utf8('-i'), true)).toBe(true);
    expect(decodeRecord(v)).toEqual({ '@timestamp': '2024-01-01T00:00:00Z', process: { name: 'bash', pid: 7, args: ['bash', '-i'] } });
  });

  it('gives no value of the wrong kind (a string in a long field is text, not a number)', () => {
    const v = new RecordView(layout, encodeEvent(layout, { process: { pid: '12' } }, 1));
    const pid = layout.fieldId('process.pid');
    expect(v.tag(pid)).toBe(Tag.text);
    expect(v.getI64AsNumber(pid)).toBeNaN();
    expect(v.getBigInt(pid)).toBeUndefined();
    expect(v.getString(pid)).toBe('12');
  });

  it('validate() rejects a frame that points outside the record', () => {
    const rec = encodeEvent(layout, { process: { name: 'bash' } }, 1);
    const v = new RecordView(layout, rec);
    expect(() => v.validate()).not.toThrow();
    const slot = v.slotOffset(layout.fieldId('process.name'));
    new DataView(rec.buffer, rec.byteOffset).setUint32(slot + 4, 10_000, true);
    expect(() => new RecordView(layout, rec).validate()).toThrow(InputError);
  });
});

describe('layout hash', () => {
  it('depends on field order and types, not on the schema name', () => {
    const same = buildLayout(createSchema('renamed', fields, { strict: false }));
    const retyped = buildLayout(createSchema('view', fields.map((f) => (f.path === 'process.pid' ? { ...f, type: 'keyword' as const } : f)), { strict: true }));
    const reordered = buildLayout(createSchema('view', [...fields].reverse(), { strict: true }));
    expect(same.hash).toBe(layout.hash);
    expect(retyped.hash).not.toBe(layout.hash);
    expect(reordered.hash).not.toBe(layout.hash);
    expect(layout.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
