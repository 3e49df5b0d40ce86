import { describe, expect, it } from 'vitest';
import { ValueBytesCache } from '../src/shared/record/value-bytes-cache.js';
import { decodeField } from '../src/shared/record/decode.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { encodeEvent } from '../src/shared/record/encode.js';
import { RecordView } from '../src/shared/record/view.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';

const layout = buildLayout(ecsLinuxSchema());
const category = layout.fieldId('event.category');
const pid = layout.fieldId('process.pid');
const view = (e: Record<string, unknown>) => new RecordView(layout, encodeEvent(layout, e, 1));

describe('ValueBytesCache', () => {
  it('derives once per distinct value and gives each value its own result', () => {
    const cache = new ValueBytesCache<string>(4);
    let derived = 0;
    const derive = (v: RecordView) => {
      derived++;
      return JSON.stringify(decodeField(v, category) ?? 'missing');
    };
    const events = [
      { event: { category: 'process' } }, { event: { category: 'file' } }, { event: { category: ['process', 'file'] } },
      { event: { category: 'process' } }, {}, { event: { category: ['process', 'file'] } }, { event: { category: 'file' } }, {},
      { event: { category: ['process'] } }, { event: { category: null } },
    ];
    const got = events.map((e) => cache.get(view(e), category, derive));
    expect(got).toEqual(events.map((e) => JSON.stringify((e as { event?: { category?: unknown } }).event?.category ?? 'missing')));
    // process, file, [process, file], missing, [process], null: six distinct values.
    expect(derived).toBe(6);
  });

  it('replaces the oldest entry when full, and never caches fixed-size scalars', () => {
    const cache = new ValueBytesCache<unknown>(2);
    let derived = 0;
    const derive = (v: RecordView) => (derived++, decodeField(v, category));
    for (const c of ['a', 'b', 'c', 'a']) cache.get(view({ event: { category: c } }), category, derive);
    expect(derived).toBe(4);
    let numbers = 0;
    for (let i = 0; i < 3; i++) expect(cache.get(view({ process: { pid: 7 } }), pid, (v) => (numbers++, decodeField(v, pid)))).toBe(7);
    expect(numbers).toBe(3);
  });

  it('keeps its own copy of a value read from a Node Buffer that is then reused', () => {
    const cache = new ValueBytesCache<unknown>(4);
    const first = encodeEvent(layout, { event: { category: 'file' } }, 1);
    const second = encodeEvent(layout, { event: { category: 'fila' } }, 1);
    // One reused read buffer (a Buffer: its slice() is a view, not a copy).
    const shared = Buffer.alloc(Math.max(first.length, second.length));
    shared.set(first);
    expect(cache.get(new RecordView(layout, shared), category, (v) => decodeField(v, category))).toBe('file');
    shared.set(second);
    expect(cache.get(new RecordView(layout, shared), category, (v) => decodeField(v, category))).toBe('fila');
  });
});
