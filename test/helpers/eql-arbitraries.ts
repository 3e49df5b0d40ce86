// Generators shared by the differential tests: a schema with every field type, where-clauses over
// every operator and function, and events with missing fields, nulls, arrays, wrong-typed values,
// unicode and 64-bit integers.
import fc from 'fast-check';
import { buildLayout } from '../../src/shared/record/layout.js';
import { testSchema } from './eql-schema.js';

export const schema = testSchema(
  {
    'event.category': 'keyword',
    'event.type': { type: 'keyword', multi: true },
    'k': 'keyword',
    'm': { type: 'keyword', multi: true },
    'n': 'long',
    'u': 'unsigned_long',
    'd': 'double',
    'b': 'boolean',
    'ip': 'ip',
    't': 'date',
    'o': 'object',
    'o.x': 'keyword',
    // A keyword field with a child field: an array of objects in k holds k.x values.
    'k.x': 'keyword',
    'nv': { type: 'long', nullValue: -1 },
    'v': 'version',
  },
  { strict: false },
);
export const layout = buildLayout(schema);

const STRINGS = ['bash', 'BASH', 'Bash', 'sh', '', 'bÄsh', 'BäSH', 'k\u212a', 'K', 'ſ', 's', 'a*b', 'a?b', '😀x', 'x😀', 'C:\\Windows\\cmd.exe', '/usr/bin/python3', '10.1.2.3', '::1', '::ffff:10.1.2.3', '2024-01-01T00:00:00Z', 'true', '12', 'aaaaaaaaab'];
const PATTERNS = ['bash', 'BASH', 'b*', '*sh', '*as*', '*', 'b?sh', '?', '*😀*', 'b*h', '*a*a*b', 'ä*', 'k\u212a', 'C:\\Windows\\*.exe', '/usr/*/py*', ''];
const NUMBERS = ['0', '1', '-1', '5', '12', '1.5', '-0.0', '9007199254740993', '9223372036854775807', '-9223372036854775808', '18446744073709551615', '1e300'];
const IPS = ['10.0.0.0/8', '10.1.2.3', '::1', '::/0', '192.168.0.0/16', '::ffff:0:0/96', 'fe80::/10', '10.1.2.3/32'];

const q = (s: string) => JSON.stringify(s);
// The checker wants constants of the field's type; wrong-typed values come from the events.
// event.type is one of the broad fields the conjunct order tests late (codegen/conjunct-order.ts).
// k.x (a field under a field with a value) is read by the host: rarer, so most nodes stay native.
const strField = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('k', 'm', 'o.x', 'unknown.f', 'event.type') },
  { weight: 1, arbitrary: fc.constant('k.x') },
);
const numField = fc.constantFrom('n', 'u', 'd', 'nv', 'unknown.f');
const str = fc.constantFrom(...STRINGS).map(q);
const pat = fc.constantFrom(...PATTERNS).map(q);
const num = fc.constantFrom(...NUMBERS);
const ipConst = fc.constantFrom('10.1.2.3', '::1', '::ffff:10.1.2.3', '10.01.2.3', 'x', '0.0.0.0', 'ffff::').map(q);
const ci = fc.constantFrom('', '~');
const cmpOp = fc.constantFrom('==', '!=', '<', '<=', '>', '>=');
const typed = fc.oneof(
  fc.tuple(strField, str),
  fc.tuple(numField, num),
  fc.tuple(fc.constant('b'), fc.constantFrom('true', 'false')),
  fc.tuple(fc.constant('ip'), ipConst),
);
// Date and version comparisons are host helpers: drawn with the host atoms.
const hostTyped = fc.oneof(
  fc.tuple(fc.constant('t'), fc.constantFrom('"2024-01-01T00:00:00Z"', '1704067200000', '"2023"')),
  fc.tuple(fc.constant('v'), fc.constantFrom('"1.2.3"', '"1.10.0"', '"1.2.3-beta"', '"2"', '"x.y"').map(q)),
);
const typedList = fc.oneof(
  fc.tuple(strField, fc.array(fc.oneof(str, fc.constant('null')), { minLength: 1, maxLength: 9 })),
  fc.tuple(numField, fc.array(fc.oneof(num, fc.constant('null')), { minLength: 1, maxLength: 6 })),
  fc.tuple(fc.constant('b'), fc.array(fc.constantFrom('true', 'false'), { minLength: 1, maxLength: 2 })),
  fc.tuple(fc.constant('ip'), fc.array(ipConst, { minLength: 1, maxLength: 3 })),
);

const nativeAtom: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(typed, cmpOp).map(([[f, c], op]) => `${f} ${op} ${c}`),
  fc.tuple(typed, cmpOp).map(([[f, c], op]) => `${c} ${op} ${f}`),
  fc.tuple(fc.constantFrom('k', 'm', 'n', 'u', 'd', 'b', 'ip', 't', 'o', 'o.x', 'nv', 'unknown.f'), fc.constantFrom('==', '!=')).map(([f, op]) => `${f} ${op} null`),
  fc.tuple(typedList, fc.constantFrom('in', 'not in', 'in~')).map(([[f, xs], op]) => `${f} ${op} (${xs.join(', ')})`),
  fc.tuple(strField, fc.constantFrom(':', 'like', 'like~', 'regex', 'regex~'), fc.array(pat, { minLength: 1, maxLength: 7 })).map(([f, op, ps]) =>
    op.startsWith('regex') ? `${f} ${op} ${q('b.*')}` : `${f} ${op} (${ps.join(', ')})`,
  ),
  fc.tuple(fc.constantFrom('startsWith', 'endsWith', 'stringContains'), ci, strField, str).map(([fn, c, f, s]) => `${fn}${c}(${f}, ${s})`),
  fc.tuple(fc.constantFrom('ip', 'k'), fc.array(fc.constantFrom(...IPS).map(q), { minLength: 1, maxLength: 3 })).map(([f, bs]) => `cidrMatch(${f}, ${bs.join(', ')})`),
  fc.constantFrom('k.x != null', 'k.x == "bash"', 'b', 'not b', 'length(k) > 3', 'd + 1 > 5', 'between(k, "b", "h") == "as"', 'true', 'null == k', 'number(k) == 12', 'string(n) : "1*"'),
);

// Arithmetic (operators and function forms), negation, field-to-field comparisons and the string
// functions: mostly host helpers, so drawn less often; faults (division by zero, bad indexes)
// are null on both sides.
const hostAtom: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(hostTyped, cmpOp).map(([[f, c], op]) => `${f} ${op} ${c}`),
  fc.tuple(numField, fc.constantFrom('+', '-', '*', '/', '%'), num, cmpOp, num).map(([f, op, a, c, b]) => `${f} ${op} ${a} ${c} ${b}`),
  fc.tuple(fc.constantFrom('add', 'subtract', 'multiply', 'divide', 'modulo'), numField, numField, cmpOp, num).map(([fn, a, b, c, n]) => `${fn}(${a}, ${b}) ${c} ${n}`),
  fc.tuple(numField, cmpOp, num).map(([f, c, n]) => `-${f} ${c} ${n}`),
  fc.tuple(numField, cmpOp, numField).map(([a, c, b]) => `${a} ${c} ${b}`),
  fc.tuple(strField, fc.constantFrom('==', ':', '<'), strField).map(([a, c, b]) => `${a} ${c} ${b}`),
  fc.tuple(strField, str, fc.constantFrom('-1', '0', '2', 'n')).map(([f, s, i]) => `indexOf(${f}, ${s}, ${i}) >= 0`),
  fc.tuple(strField, fc.constantFrom('0', '1', '-2', 'n'), fc.constantFrom('', ', 3', ', -1')).map(([f, a, b]) => `substring(${f}, ${a}${b}) : "b*"`),
  fc.tuple(fc.constantFrom('k', 'n', 'b', 'ip', 'm', 'unknown.f'), strField).map(([a, b]) => `concat(${a}, "-", ${b}) : "*sh*"`),
  fc.constantFrom('number(k, 16) > 10', 'between~(k, "B", "H", true) == "as"', '?unknown.f == null', '?k != null', 'v : "1.*"'),
);

const atom = fc.oneof({ weight: 6, arbitrary: nativeAtom }, { weight: 1, arbitrary: hostAtom });

export const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc.tuple(tie('e'), fc.constantFrom('and', 'or'), tie('e')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    // A flat conjunction of mixed operands: the generator reorders it (selective literals first).
    fc.array(tie('e'), { minLength: 3, maxLength: 5 }).map((xs) => `(${xs.join(' and ')})`),
    tie('e').map((a) => `not (${a})`),
  ),
})).e;

const scalar = fc.oneof(
  fc.constantFrom(...STRINGS),
  // JSON numbers only: NaN and Infinity never come from input (the interpreter refuses them in long arithmetic).
  fc.constantFrom(0, 1, -1, 5, 12, 1.5, -0, 2 ** 53, 1e300),
  fc.constantFrom(2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n, 9007199254740993n, 2n ** 70n),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom({ x: 'bash' }, { x: ['sh', 'K'] }),
);
const value = fc.oneof({ weight: 3, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(fc.oneof(scalar, fc.array(scalar, { maxLength: 2 })), { maxLength: 4 }) });
const FIELDS = ['k', 'm', 'n', 'u', 'd', 'b', 'ip', 't', 'o', 'nv', 'v'];
export const event = fc.record(
  {
    event: fc.record({ category: fc.oneof(fc.constantFrom('process', 'network', 'Process'), fc.constant(['network', 'process'])), type: value }, { requiredKeys: [] }),
    ...Object.fromEntries(FIELDS.map((f) => [f, value])),
    // k.x values inside k's array (see the schema).
    k: fc.oneof(value, fc.constant([{ x: 'bash' }, 'sh'])),
    unknown: fc.record({ f: value }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

