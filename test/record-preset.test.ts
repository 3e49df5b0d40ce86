// RecordBuilder presets: fields captured once and applied as a block must give byte-identical
// records to setting the same fields one by one, whatever else the record holds.
import { describe, expect, it } from 'vitest';
import { RecordBuilder } from '../src/shared/record/builder.js';
import { Tag } from '../src/shared/record/frame.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';

const layout = buildLayout(ecsLinuxSchema());
const id = (path: string) => layout.fieldId(path);

/** A few fields of every staging shape: strings, a string array, an int, a bool, a date. */
function presetFields(b: RecordBuilder, name: string): void {
  b.setString(id('process.name'), name);
  b.setStringArray(id('process.args'), [name, '-c', 'échappé']);
  b.setInt(id('process.pid'), 4242);
  b.setBool(id('process.interactive'), true);
  b.setDateScaled(id('process.start'), 1_700_000_000_000_000, 1000, 7, Tag.dateIso + 9);
}

function perEvent(b: RecordBuilder): void {
  b.setDateScaled(id('@timestamp'), 1_700_000_000_123_456, 1000, 789, Tag.dateIso + 9);
  b.setString(id('file.path'), '/tmp/x');
  b.setInt(id('process.thread.id'), 4243);
}

/** finish() may replace output (growth), so the length comes first. */
function finished(b: RecordBuilder): Buffer {
  const length = b.finish();
  return Buffer.from(b.output.subarray(0, length));
}

describe('RecordBuilder presets', () => {
  it('applying a preset gives the same bytes as setting its fields one by one', () => {
    const direct = new RecordBuilder(layout);
    direct.begin(9);
    perEvent(direct);
    presetFields(direct, 'bash');
    const expected = finished(direct);

    const maker = new RecordBuilder(layout);
    maker.begin(0);
    presetFields(maker, 'bash');
    const preset = maker.capturePreset();
    maker.begin(1);
    presetFields(maker, 'other'); // the preset owns its bytes: later use of its builder is harmless

    const b = new RecordBuilder(layout, 16);
    for (let round = 0; round < 2; round++) {
      b.begin(9);
      perEvent(b);
      b.applyPreset(preset);
      expect(finished(b)).toEqual(expected);
    }
  });

  it('a field set after the preset overrides the preset\'s value; the timestamp is taken from a preset too', () => {
    const maker = new RecordBuilder(layout);
    maker.begin(0);
    maker.setDateScaled(id('@timestamp'), 5, 1000, 0, Tag.dateIso + 9);
    maker.setInt(id('process.pid'), 1);
    const preset = maker.capturePreset();

    const direct = new RecordBuilder(layout);
    direct.begin(3);
    direct.setDateScaled(id('@timestamp'), 5, 1000, 0, Tag.dateIso + 9);
    direct.setInt(id('process.pid'), 2);
    const expected = finished(direct);

    const b = new RecordBuilder(layout);
    b.begin(3);
    b.applyPreset(preset);
    b.setInt(id('process.pid'), 2);
    expect(finished(b)).toEqual(expected);
  });
});
