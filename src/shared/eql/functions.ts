// Every ES EQL function, declared once as data. The checker reads arity, parameter types, the
// `~` flag and the return type; the constant folder and the interpreter call `impl`; the Wasm
// back end will read the same table. `impl` sees scalar arguments only (the interpreter maps
// multi-valued arguments element by element) and handles its own nulls, because ES functions
// differ there (indexOf's start and substring's bounds default when null; most return null).
// String positions and lengths count code points (runtime/string-ops.ts); ES counts UTF-16 units,
// which differs only for characters beyond U+FFFF.
import type { Value } from './values.js';
import { arithmetic, isIntegral, isNumber, type ArithOp } from './values.js';
import type { ExprType } from './ir.js';
import { javaDoubleToString, parseJavaDouble, parseJavaLong } from './java-numbers.js';
import * as S from './runtime/string-ops.js';
import { compileCidrMatcher, parseIp } from './runtime/cidr.js';

/** What an argument must be. `address`: an ip field or a string; `any`: any scalar. */
export type ParamType = 'string' | 'integer' | 'numeric' | 'boolean' | 'address' | 'any';

export interface ParamSpec {
  name: string;
  type: ParamType;
  /** The argument must be a constant (ES: cidrMatch blocks, number's base). */
  constant?: boolean;
}

export interface CallContext {
  /** The `~` form was used. */
  insensitive: boolean;
  /** Static types of the arguments (integer vs double arithmetic, Java number formatting). */
  types: readonly ExprType[];
}

/** A function refused its (run-time) argument, as ES would fail the query: "Unable to convert …". */
export class FunctionFault extends Error {}

export interface FunctionDecl {
  /** Canonical spelling, as documented ("startsWith"). Lookup is case-insensitive, as in ES. */
  name: string;
  /** Positional parameters; the ones past minArgs are optional. */
  params: readonly ParamSpec[];
  /** A parameter that may repeat after `params` (concat's values, cidrMatch's blocks). */
  variadic?: ParamSpec;
  minArgs: number;
  maxArgs: number;
  /** A `name~(…)` case-insensitive variant exists. */
  caseInsensitive: boolean;
  /** One line on nulls, for docs and error hints. */
  nulls: string;
  returns(argTypes: readonly ExprType[]): ExprType;
  impl(args: readonly Value[], ctx: CallContext): Value;
  /**
   * Optional fast path built once from the constant arguments (undefined where not constant),
   * e.g. cidrMatch compiles its blocks. Must behave exactly like `impl`.
   */
  specialize?(constArgs: readonly (Value | undefined)[], ctx: CallContext): ((args: readonly Value[]) => Value) | undefined;
}

const str = (v: Value | undefined): v is string => typeof v === 'string';

function numericResult(types: readonly ExprType[]): ExprType {
  if (types.every((t) => t === 'long' || t === 'null')) return 'long';
  return types.includes('double') ? 'double' : 'number';
}

/** startsWith / endsWith / stringContains: (source, substring) → boolean, with a `~` variant. */
function substringTestFn(name: string, test: (s: string, sub: string, insensitive: boolean) => boolean): FunctionDecl {
  return {
    name,
    params: [{ name: 'source', type: 'string' }, { name: 'substring', type: 'string' }],
    minArgs: 2,
    maxArgs: 2,
    caseInsensitive: true,
    nulls: 'null if either argument is null',
    returns: () => 'boolean',
    impl: ([s, sub], { insensitive }) => (str(s) && str(sub) ? test(s, sub, insensitive) : null),
  };
}

function arithmeticFn(name: string, op: ArithOp, first: string, second: string): FunctionDecl {
  return {
    name,
    params: [{ name: first, type: 'numeric' }, { name: second, type: 'numeric' }],
    minArgs: 2,
    maxArgs: 2,
    caseInsensitive: false,
    nulls: 'null if either argument is null',
    returns: numericResult,
    impl([a, b], { types }) {
      if (!isNumber(a) || !isNumber(b)) return null;
      return arithmetic(op, a, b, integerArithmetic(types, a, b));
    },
  };
}

/** Integer maths when both operands are statically long, or dynamically integral if untyped. */
export function integerArithmetic(types: readonly ExprType[], a: number | bigint, b: number | bigint): boolean {
  const [ta, tb] = types;
  if (ta === 'double' || tb === 'double') return false;
  if (ta === 'long' && tb === 'long') return true;
  return isIntegral(a) && isIntegral(b);
}

/** Java's String.valueOf for a scalar: doubles as Double.toString ("1.0", "1.0E10"). */
export function javaString(v: Value, type: ExprType): string | null {
  if (v === null) return null;
  if (typeof v === 'number') return type === 'double' || !Number.isInteger(v) ? javaDoubleToString(v) : String(v);
  if (typeof v === 'object') return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x));
  return String(v);
}

function toNumber(text: string, base: Value): number | bigint {
  const hexPrefix = text.startsWith('0x');
  const radix = base === null ? (hexPrefix ? 16 : 10) : Number(base);
  const digits = hexPrefix && radix === 16 ? text.slice(2) : text;
  let result: number | bigint | null;
  if (radix === 10) result = parseJavaLong(digits, 10) ?? parseJavaDouble(digits);
  else result = parseJavaLong(digits, radix);
  if (result === null) throw new FunctionFault(`Unable to convert [${digits}] to number of base [${radix}]`);
  return result;
}

function cidrMatchImpl(args: readonly Value[]): Value {
  const [ip, ...blocks] = args;
  if (ip === null || blocks.some((b) => b === null)) return null;
  if (!str(ip) || !blocks.every(str)) return null;
  return parseIp(ip) === null ? false : compileCidrMatcher(blocks as string[])(ip);
}

export const FUNCTIONS: readonly FunctionDecl[] = [
  arithmeticFn('add', '+', 'addend', 'addend'),
  {
    name: 'between',
    params: [{ name: 'source', type: 'string' }, { name: 'left', type: 'string' }, { name: 'right', type: 'string' }, { name: 'greedy', type: 'boolean' }],
    minArgs: 3,
    maxArgs: 4,
    caseInsensitive: true,
    nulls: 'null if source, left or right is null, or a bound is not found; greedy defaults to false',
    returns: () => 'string',
    impl([source, left, right, greedy = false], { insensitive }) {
      if (!str(source) || !str(left) || !str(right)) return null;
      // ES docs: an empty source gives "" whatever the bounds.
      return source === '' ? '' : S.between(source, left, right, greedy === true, insensitive);
    },
  },
  {
    name: 'cidrMatch',
    params: [{ name: 'ip', type: 'address' }],
    variadic: { name: 'cidr_block', type: 'string', constant: true },
    minArgs: 2,
    maxArgs: Infinity,
    caseInsensitive: false,
    nulls: 'null if the address or a block is null; false if the value is not an IP address',
    returns: () => 'boolean',
    impl: cidrMatchImpl,
    specialize(consts) {
      const blocks = consts.slice(1);
      if (!blocks.every(str)) return undefined;
      const matches = compileCidrMatcher(blocks as string[]);
      return ([ip]) => (str(ip!) ? matches(ip) : null);
    },
  },
  {
    name: 'concat',
    params: [],
    variadic: { name: 'value', type: 'any' },
    minArgs: 1,
    maxArgs: Infinity,
    caseInsensitive: false,
    nulls: 'null if any argument is null',
    returns: () => 'string',
    impl(args, { types }) {
      let out = '';
      for (let i = 0; i < args.length; i++) {
        const s = javaString(args[i]!, types[i]!);
        if (s === null) return null;
        out += s;
      }
      return out;
    },
  },
  arithmeticFn('divide', '/', 'dividend', 'divisor'),
  substringTestFn('endsWith', S.endsWith),
  {
    name: 'indexOf',
    params: [{ name: 'source', type: 'string' }, { name: 'substring', type: 'string' }, { name: 'start_pos', type: 'integer' }],
    minArgs: 2,
    maxArgs: 3,
    caseInsensitive: true,
    nulls: 'null if source or substring is null or not found; a null start means 0',
    returns: () => 'long',
    impl([s, sub, start = null], { insensitive }) {
      if (!str(s) || !str(sub)) return null;
      const at = S.indexOf(s, sub, isNumber(start) ? Number(start) : 0, insensitive);
      return at < 0 ? null : at;
    },
  },
  {
    name: 'length',
    params: [{ name: 'string', type: 'string' }],
    minArgs: 1,
    maxArgs: 1,
    caseInsensitive: false,
    nulls: 'null if the argument is null',
    returns: () => 'long',
    impl: ([s]) => (str(s!) ? S.codePointLength(s) : null),
  },
  arithmeticFn('modulo', '%', 'dividend', 'divisor'),
  arithmeticFn('multiply', '*', 'factor', 'factor'),
  {
    name: 'number',
    params: [{ name: 'string', type: 'string' }, { name: 'base_num', type: 'integer', constant: true }],
    minArgs: 1,
    maxArgs: 2,
    caseInsensitive: false,
    nulls: 'null if the string is null; a null base means 10 (16 for a "0x" prefix)',
    returns: () => 'number',
    impl: ([s, base = null]) => (str(s!) ? toNumber(s, base) : null),
  },
  substringTestFn('startsWith', S.startsWith),
  {
    name: 'string',
    params: [{ name: 'value', type: 'any' }],
    minArgs: 1,
    maxArgs: 1,
    caseInsensitive: false,
    nulls: 'null if the argument is null',
    returns: () => 'string',
    impl: ([v], { types }) => javaString(v!, types[0]!),
  },
  substringTestFn('stringContains', S.stringContains),
  {
    name: 'substring',
    params: [{ name: 'source', type: 'string' }, { name: 'start_pos', type: 'integer' }, { name: 'end_pos', type: 'integer' }],
    minArgs: 2,
    maxArgs: 3,
    caseInsensitive: false,
    nulls: 'null if the source is null; a null start means 0, a null end the length',
    returns: () => 'string',
    impl([s, start, end = null]) {
      if (!str(s)) return null;
      return S.substring(s, isNumber(start) ? Number(start) : 0, isNumber(end) ? Number(end) : undefined);
    },
  },
  arithmeticFn('subtract', '-', 'minuend', 'subtrahend'),
];

const BY_NAME = new Map(FUNCTIONS.map((f) => [f.name.toLowerCase(), f]));

/** ES resolves function names case-insensitively (its registry lower-cases them). */
export function lookupFunction(name: string): FunctionDecl | undefined {
  return BY_NAME.get(name.toLowerCase());
}
