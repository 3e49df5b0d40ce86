// JSON text for output, printing bigint (64-bit integers beyond 2^53) as exact integer literals,
// which JSON.stringify refuses to do.

export function toJsonText(value: unknown): string {
  // Common case: nothing exotic inside, JSON.stringify is exact.
  try {
    return JSON.stringify(value);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
  }
  return write(value);
}

function write(v: unknown): string {
  switch (typeof v) {
    case 'bigint':
      return v.toString();
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : write(x))).join(',')}]`;
      const parts: string[] = [];
      for (const [k, x] of Object.entries(v)) if (x !== undefined && typeof x !== 'function') parts.push(`${JSON.stringify(k)}:${write(x)}`);
      return `{${parts.join(',')}}`;
    }
    default:
      return JSON.stringify(v) ?? 'null';
  }
}
