// RecordEvent.field caches each decoded field for the current event in a small table stamped with
// the event's generation: a value must never leak from one event into the next (reset), the
// table must grow past its first size when an event decodes many fields, and a detached (kept)
// event keeps what it decoded.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordEvent } from '../src/shared/eql/record-access.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { encodeEvent } from '../src/shared/record/encode.js';
import { decodeField } from '../src/shared/record/decode.js';
import { RecordPool } from '../src/shared/record/record-pool.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';

const layout = buildLayout(ecsLinuxSchema());
const FIELDS = ['process.name', 'process.pid', 'process.executable', 'process.args', 'user.name', 'user.id', 'host.name', 'event.action', 'event.type', 'file.path', 'file.name', 'destination.port', 'source.ip', 'process.parent.name', 'process.parent.pid', 'process.working_directory', 'group.name', 'event.category', 'process.command_line', 'process.entity_id', 'network.transport', 'file.extension', 'process.parent.executable', 'host.os.type'];
const IDS = FIELDS.map((f) => layout.fieldId(f));

function eventOf(n: number, present: boolean[]): Record<string, unknown> {
  const ev: Record<string, unknown> = {};
  FIELDS.forEach((f, i) => {
    if (!present[i]) return;
    const numeric = f.endsWith('.pid') || f.endsWith('.port');
    const value = f === 'process.args' ? [`a${n}`, `b${i}`] : f === 'source.ip' ? `10.0.${n % 256}.${i}` : numeric ? n * 100 + i : `${f}-${n}`;
    let o = ev;
    const parts = f.split('.');
    parts.slice(0, -1).forEach((p) => (o = (o[p] ??= {}) as Record<string, unknown>));
    o[parts.at(-1)!] = value;
  });
  return ev;
}

describe('RecordEvent decoded-field cache', () => {
  it('gives what decodeField gives, on one reused view, in any order of reads, with no value leaking between events', () => {
    const view = new RecordEvent(layout, new Uint8Array(0), 0);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(fc.boolean(), { minLength: FIELDS.length, maxLength: FIELDS.length }), fc.array(fc.nat(FIELDS.length - 1), { maxLength: 60 })), { minLength: 1, maxLength: 8 }),
        (events) => {
          events.forEach(([present, reads], n) => {
            const bytes = encodeEvent(layout, eventOf(n, present), n);
            view.reset(bytes, 0, n);
            const fresh = new RecordEvent(layout, bytes, n);
            for (const r of [...reads, ...IDS.keys()]) expect(view.field(IDS[r]!)).toEqual(decodeField(fresh.rv, IDS[r]!));
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('keeps what an event decoded when it is detached into a pooled copy', () => {
    const all = FIELDS.map(() => true);
    const bytes = encodeEvent(layout, eventOf(3, all), 3);
    const view = new RecordEvent(layout, bytes, 3);
    const before = IDS.map((id) => view.field(id));
    view.detach(bytes.length, new RecordPool());
    bytes.fill(0); // the transport buffer is reused after the event
    expect(IDS.map((id) => view.field(id))).toEqual(before);
  });

  it('decodes the whole record once per event for the fields its slots cannot answer', () => {
    // A field outside the schema puts the record's extra JSON in play: every indexed field the
    // record lacks then falls back to the decoded whole.
    const a = encodeEvent(layout, { process: { name: 'a' }, kestrel: { previous_user: { real: 1000 } } }, 1);
    const b = encodeEvent(layout, { process: { name: 'b' }, kestrel: { previous_user: { real: 0 } } }, 2);
    const view = new RecordEvent(layout, a, 1);
    const first = view.decodedRecord();
    expect(view.decodedRecord()).toBe(first);
    expect(first).toMatchObject({ process: { name: 'a' }, kestrel: { previous_user: { real: 1000 } } });
    view.reset(b, 0, 2);
    const second = view.decodedRecord();
    expect(second).not.toBe(first);
    expect(second).toMatchObject({ process: { name: 'b' }, kestrel: { previous_user: { real: 0 } } });
    // A kept copy decodes again if asked (its transport buffer is gone, the copy has the bytes).
    view.detach(b.length, new RecordPool());
    b.fill(0);
    expect(view.decodedRecord()).toEqual(second);
  });
});
