// The order Elasticsearch returns sample join keys in: a composite aggregation sorted ascending
// on each key position, with missing (null) values first. Within a type: booleans false < true,
// numbers numerically, strings by code point (Lucene compares UTF-8 bytes, which orders the same).
import type { Value } from './compiled.js';

function typeRank(v: Value): number {
  if (v === null) return 0;
  switch (typeof v) {
    case 'boolean':
      return 1;
    case 'number':
    case 'bigint':
      return 2;
    case 'string':
      return 3;
    default:
      return 4;
  }
}

export function compareKeyValues(a: Value, b: Value): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 1:
      return Number(a) - Number(b);
    case 2:
      // Mixed number/bigint compare exactly (a < b works across the two types).
      return (a as number | bigint) < (b as number | bigint) ? -1 : (a as number | bigint) > (b as number | bigint) ? 1 : 0;
    case 3:
      return compareCodePoints(a as string, b as string);
    case 4:
      return compareCodePoints(JSON.stringify(a), JSON.stringify(b));
    default:
      return 0;
  }
}

/** UTF-16 code-unit order differs from code-point order only around surrogates; fix that case. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const sx = x >= 0xd800 && x <= 0xdfff;
      const sy = y >= 0xd800 && y <= 0xdfff;
      if (sx !== sy) return sx ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}

export function compareKeys(a: readonly Value[], b: readonly Value[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareKeyValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}
