// Scalar comparators for each CompareMode. Plain values follow values.ts; `ip` fields compare as
// 16-byte addresses (IPv4 as IPv4-mapped, as Lucene's InetAddressPoint orders them); `version`
// fields by ES's version order; `date` fields by instant (epoch millis, or ISO text parsed).
import { dateMillis } from './date-format.js';
import type { CompareMode } from './ir.js';
import { compareScalars, equalScalars, type Tri, type Value } from './values.js';
import { parseIpInto } from './runtime/cidr.js';
import { compareVersionKeys, versionSortKey } from './runtime/version.js';

export type ScalarCompare = (x: Value, y: Value) => number | null;
export type ScalarEquals = (x: Value, y: Value) => Tri;

export function comparatorFor(mode: CompareMode): ScalarCompare {
  switch (mode) {
    case 'value':
      return compareScalars;
    case 'ip':
      return ipComparator();
    case 'version':
      return versionComparator();
    case 'date':
      return (x, y) => {
        const a = toMillis(x);
        const b = toMillis(y);
        return a === null || b === null ? null : a < b ? -1 : a > b ? 1 : 0;
      };
  }
}

export function equalityFor(mode: CompareMode): ScalarEquals {
  if (mode === 'value') return equalScalars;
  const compare = comparatorFor(mode);
  return (x, y) => {
    if (x === null || y === null) return null;
    const c = compare(x, y);
    return c === null ? false : c === 0;
  };
}

// Two scratch buffers per comparator: parsing an address allocates nothing.
function ipComparator(): ScalarCompare {
  const a = new Uint8Array(16);
  const b = new Uint8Array(16);
  return (x, y) => {
    if (typeof x !== 'string' || typeof y !== 'string') return null;
    if (parseIpInto(x, a) === 0 || parseIpInto(y, b) === 0) return null;
    for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
    return 0;
  };
}

// Version keys are strings built per value; the constant side repeats, so keep its last key.
function versionComparator(): ScalarCompare {
  let lastText: string | undefined;
  let lastKey = '';
  const keyOf = (v: string): string => {
    if (v !== lastText) {
      lastText = v;
      lastKey = versionSortKey(v);
    }
    return lastKey;
  };
  return (x, y) => {
    if (typeof x !== 'string' || typeof y !== 'string') return null;
    const kx = versionSortKey(x);
    return compareVersionKeys(kx, keyOf(y));
  };
}

function toMillis(v: Value): number | null {
  return dateMillis(v);
}
