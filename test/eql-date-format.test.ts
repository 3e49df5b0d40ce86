import { describe, expect, it } from 'vitest';
import { dateMillis } from '../src/shared/eql/date-format.js';

describe('date values as ES date fields read them', () => {
  const dec17 = Date.UTC(2022, 11, 17);
  it('reads a mapping pattern, ISO text and epoch millis to the same instant', () => {
    expect(dateMillis('17-12-2022', 'dd-MM-yyyy')).toBe(dec17);
    expect(dateMillis('2022-12-17', 'dd-MM-yyyy')).toBe(dec17); // default formats still apply
    expect(dateMillis('2022-12-17')).toBe(dec17);
    expect(dateMillis('1671235200000')).toBe(dec17);
    expect(dateMillis(1671235200000)).toBe(dec17);
  });
  it('reads time, fractions and zones', () => {
    expect(dateMillis('2022-12-17T01:02:03.456Z')).toBe(dec17 + 3_723_456);
    expect(dateMillis('2022-12-17T01:00:00+01:00')).toBe(dec17);
    expect(dateMillis('2022/12/17 13:05', 'yyyy/MM/dd HH:mm')).toBe(dec17 + 13 * 3_600_000 + 5 * 60_000);
    expect(dateMillis("17.12.'22 01 PM", "dd.MM.''yy hh a")).toBe(dec17 + 13 * 3_600_000); // yy = 2000 + yy, as in Java
  });
  it('refuses impossible dates instead of rolling them over', () => {
    expect(dateMillis('31-02-2022', 'dd-MM-yyyy')).toBeNull();
    expect(dateMillis('2022-13-01')).toBeNull();
    expect(dateMillis('not a date')).toBeNull();
  });
});
