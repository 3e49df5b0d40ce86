// TExpr → Wasm instructions that leave the node's three-valued truth (abi.ts Tri) on the stack.
//
// Native: constants, not/and/or (Kleene logic, short-circuit), `field == / < … constant` (value
// and ip modes), `x == null`, `in` lists, `:`/`like` wildcards, startsWith / endsWith /
// stringContains with a constant, cidrMatch, and a boolean field as a condition — all over a
// field of the layout, walking array elements with ES "any element" semantics. Everything else is
// a host helper (host-helpers.ts). A native node also keeps a host id: when a record holds a
// value the native code does not handle (JSON text, a date kept as ISO text, an IP kept as text,
// non-ASCII text under `~`), it branches to a block that asks the host for that one node.
import type { CallNode, CompareNode, InNode, IsNullNode, MatchNode, TExpr } from '../ir.js';
import type { Value } from '../values.js';
import { Storage, Tag, SLOT_SIZE } from '../../record/frame.js';
import type { FieldLayout, RecordLayout } from '../../record/layout.js';
import { Op } from '../../wasm/wasm-opcodes.js';
import { foldCase } from '../runtime/casefold.js';
import { parseIpInto, tryParseCidr, type CidrBlock } from '../runtime/cidr.js';
import { formatIp, parseIp as parseRecordIp } from '../../record/ip.js';
import { Tri } from './abi.js';
import { lowerAscii64, type ByteLib } from './byte-lib.js';
import type { Bytes, DataPool } from './data-pool.js';
import { F64, FunctionEmitter, I32, I64, type Label } from '../../wasm/function-emitter.js';
import type { HostHelpers } from './host-helpers.js';
import { placeField, type FieldPlacement } from './record-access.js';
import { regexRequiredBytes } from '../runtime/lucene-regex.js';
import { orderConjuncts } from './conjunct-order.js';

export interface GenContext {
  em: FunctionEmitter;
  /** Locals holding the record address and the address of its first slot. */
  base: number;
  slots: number;
  layout: RecordLayout;
  lib: ByteLib;
  data: DataPool;
  hosts: HostHelpers;
  hostEval: number;
  recordGlobal: number;
  stats: CodegenStats;
  /** Per function: locals shared by field tests (they never nest) and named scratch locals. */
  locals?: FieldLocals;
  scratch: Map<string, number>;
  /** The host block of the field test being emitted. */
  hostLabel?: Label;
}

interface FieldLocals {
  word: number;
  rank: number;
  tag: number;
  slot: number;
  ptr: number;
  len: number;
  pos: number;
  count: number;
  acc: number;
}

export interface CodegenStats {
  nativeNodes: number;
  hostNodes: number;
  /** Node kinds left to the host, for reports ("regex", "call:length" …). */
  hostKinds: Map<string, number>;
}

/** What a value of a record element is, from its tag and the field's storage. */
const enum Kind {
  Null,
  I64,
  U64,
  F64,
  Millis,
  Bool,
  Str,
  Ip,
  Iso,
}

/** Per element kind: a constant truth, code that pushes one, or `host`. */
type KindResult = number | 'host' | (() => void);
type ElementTest = (kind: Kind) => KindResult;

interface NativeField {
  field: FieldLayout;
  place: FieldPlacement;
}

const NOT_HANDLED = 'host' as const;

/** Pushes the truth of `node`. */
export function emitTruth(ctx: GenContext, node: TExpr): void {
  const em = ctx.em;
  switch (node.kind) {
    case 'const':
      em.i32(truthConst(node.value));
      return;
    case 'not':
      emitTruth(ctx, node.operand);
      if (node.mustNot) em.i32(Tri.true).op(Op.i32Ne); // must_not: true unless the operand is true
      else not3(ctx);
      return;
    case 'logical':
      emitLogical(ctx, node.op, node.op === 'and' ? orderConjuncts(node.operands) : node.operands);
      return;
    case 'field': {
      const f = nativeField(ctx, node);
      if (!f) return emitHost(ctx, node, 'field');
      return emitFieldTest(ctx, ctx.hosts.add(node, false), f, Tri.null, (k) => (k === Kind.Bool ? () => em.get(ptrLocal(ctx)).mem(Op.i32Load8U) : Tri.null), false);
    }
    case 'isnull':
      return emitIsNull(ctx, node);
    case 'compare':
      return emitCompare(ctx, node);
    case 'in':
      return emitIn(ctx, node);
    case 'match':
      return emitMatch(ctx, node);
    case 'call':
      return emitCall(ctx, node);
    default:
      return emitHost(ctx, node, node.kind);
  }
}

function truthConst(v: Value): number {
  return v === true ? Tri.true : v === false ? Tri.false : Tri.null;
}

/** not3 on the stack: null stays null, else flip. */
function not3(ctx: GenContext): void {
  const em = ctx.em;
  const t = scratch(ctx, 'not');
  em.set(t);
  em.i32(Tri.null).get(t).i32(1).op(Op.i32Xor).get(t).i32(Tri.null).op(Op.i32Eq).op(Op.select);
}

function emitLogical(ctx: GenContext, op: 'and' | 'or', operands: readonly TExpr[]): void {
  const em = ctx.em;
  const decisive = op === 'and' ? Tri.false : Tri.true;
  const acc = em.local(I32);
  em.i32(op === 'and' ? Tri.true : Tri.false).set(acc);
  const out = em.block(I32);
  for (const operand of operands) {
    emitTruth(ctx, operand);
    const t = scratch(ctx, 'logical');
    em.tee(t).i32(decisive).op(Op.i32Eq);
    em.if().i32(decisive).br(out).end();
    // An unknown operand makes the result unknown unless a later one decides it.
    em.get(t).i32(Tri.null).op(Op.i32Eq);
    em.if().i32(Tri.null).set(acc).end();
  }
  em.get(acc);
  em.end();
}

// ───────────────────────────── host ─────────────────────────────

function emitHost(ctx: GenContext, node: TExpr, what: string): void {
  ctx.stats.hostNodes++;
  ctx.stats.hostKinds.set(what, (ctx.stats.hostKinds.get(what) ?? 0) + 1);
  const id = ctx.hosts.add(node, true);
  ctx.em.globalGet(ctx.recordGlobal).i32(id).call(ctx.hostEval);
}

// ───────────────────────────── fields ─────────────────────────────

function nativeField(ctx: GenContext, node: TExpr): NativeField | null {
  if (node.kind !== 'field' || node.def?.nullValue !== undefined) return null;
  const place = placeField(ctx.layout, node.path);
  if (place.id < 0) return null;
  return { field: ctx.layout.fields[place.id]!, place };
}

function locals(ctx: GenContext): FieldLocals {
  if (!ctx.locals) {
    const em = ctx.em;
    ctx.locals = { word: em.local(I32), rank: em.local(I32), tag: em.local(I32), slot: em.local(I32), ptr: em.local(I32), len: em.local(I32), pos: em.local(I32), count: em.local(I32), acc: em.local(I32) };
  }
  return ctx.locals;
}

/** A local for a short-lived value; the same name gives the same local (use before nesting). */
function scratch(ctx: GenContext, name: string, type: number = I32): number {
  const key = `${name}:${type}`;
  let l = ctx.scratch.get(key);
  if (l === undefined) ctx.scratch.set(key, (l = ctx.em.local(type)));
  return l;
}

function ptrLocal(ctx: GenContext): number {
  return locals(ctx).ptr;
}

function lenLocal(ctx: GenContext): number {
  return locals(ctx).len;
}

/** Kind of a native-tagged value by storage; undefined when the native code does not read it. */
function nativeKind(storage: number): Kind | undefined {
  switch (storage) {
    case Storage.int: return Kind.I64;
    case Storage.uint: return Kind.U64;
    case Storage.float: return Kind.F64;
    case Storage.bool: return Kind.Bool;
    case Storage.ip: return Kind.Ip;
    case Storage.string: return Kind.Str;
    default: return undefined;
  }
}

function isVarStorage(storage: number): boolean {
  return storage === Storage.string || storage === Storage.ip || storage === Storage.json;
}

/**
 * Finds a native field's slot (frame.ts: rank = rankTable[w] + popcount(bitmap[w] & (bit - 1)))
 * and pushes its tag byte, leaving the rank in l.rank and the bitmap word in l.word. An absent
 * field pushes `absent` and branches to `exit`; a field whose value lives in an object ancestor's
 * JSON (or that has child fields) branches to `host` for the interpreter.
 */
function emitSlotTag(ctx: GenContext, f: NativeField, l: FieldLocals, host: Label, exit: Label, absent: number): void {
  const em = ctx.em;
  const { field, place } = f;
  em.get(ctx.base).mem(Op.i32Load, ctx.layout.bitmapOffset + 4 * field.word).tee(l.word).i32(field.bit).op(Op.i32And).op(Op.i32Eqz);
  em.if();
  if (place.hasChildren) em.br(host);
  for (const a of place.jsonAncestors) {
    const af = ctx.layout.fields[a]!;
    em.get(ctx.base).mem(Op.i32Load, ctx.layout.bitmapOffset + 4 * af.word).i32(af.bit).op(Op.i32And).brIf(host);
  }
  em.i32(absent).br(exit);
  em.end();
  em.get(ctx.base).mem(Op.i32Load16U, ctx.layout.rankOffset + 2 * field.word);
  em.get(l.word).i32((field.bit - 1) | 0).op(Op.i32And).op(Op.i32Popcnt).op(Op.i32Add).tee(l.rank);
  em.get(ctx.base).op(Op.i32Add).mem(Op.i32Load8U, ctx.layout.tagsOffset);
}

/**
 * The whole test of one field: presence, tag, scalar or every array element (any true → true,
 * else any false → false, else null), with the host block around it. `missing` is the truth when
 * the field is absent, null or an empty array. Leaves the truth on the stack, negated if asked.
 */
function emitFieldTest(ctx: GenContext, hostId: number, f: NativeField, missing: number, test: ElementTest, negate: boolean): void {
  const em = ctx.em;
  const l = locals(ctx);
  const { field } = f;
  ctx.stats.nativeNodes++;
  // The host answers for the whole node (negation included); native exits go through `native`
  // and are negated after it.
  const out = em.block(I32);
  const host = em.block();
  const native = em.block(I32);
  const outerHost = ctx.hostLabel;
  ctx.hostLabel = host;
  emitSlotTag(ctx, f, l, host, native, missing);
  em.set(l.tag);
  em.get(ctx.slots).get(l.rank).i32(SLOT_SIZE).op(Op.i32Mul).op(Op.i32Add).set(l.slot);

  // One walk for both shapes, so the test is emitted once: an array is its elements, a scalar
  // a single element. Arrays: u32 count, then [u8 tag][u32 length][payload] per element. A
  // scalar is the slot itself, or the (offset, length) it points to. Over the elements: any true
  // → true, else any false → false, else null (for a scalar: its own truth).
  const isArray = scratch(ctx, 'isArray');
  em.get(l.tag).i32(Tag.array).op(Op.i32Eq).tee(isArray);
  em.if();
  {
    em.get(ctx.base).get(l.slot).mem(Op.i32Load).op(Op.i32Add).tee(l.pos).mem(Op.i32Load).set(l.count);
    em.get(l.pos).i32(4).op(Op.i32Add).set(l.pos);
  }
  em.else();
  {
    em.get(l.slot).set(l.ptr).i32(8).set(l.len);
    em.get(l.tag).i32(Tag.text).op(Op.i32Eq);
    if (isVarStorage(field.storage)) em.get(l.tag).i32(Tag.native).op(Op.i32Eq).op(Op.i32Or);
    em.if();
    em.get(ctx.base).get(l.slot).mem(Op.i32Load).op(Op.i32Add).set(l.ptr);
    em.get(l.slot).mem(Op.i32Load, 4).set(l.len);
    em.end();
    em.i32(1).set(l.count);
  }
  em.end();
  em.i32(Tri.null).set(l.acc);
  const done = em.block();
  const next = em.loop();
  em.get(l.count).op(Op.i32Eqz).brIf(done);
  em.get(isArray);
  em.if();
  em.get(l.pos).mem(Op.i32Load8U).set(l.tag);
  em.get(l.pos).mem(Op.i32Load, 1).set(l.len);
  em.get(l.pos).i32(5).op(Op.i32Add).tee(l.ptr).get(l.len).op(Op.i32Add).set(l.pos);
  em.end();
  dispatch(ctx, field.storage, test, host);
  const t = scratch(ctx, 'element');
  em.tee(t).i32(Tri.true).op(Op.i32Eq);
  em.if().i32(Tri.true).br(native).end();
  em.get(t).op(Op.i32Eqz);
  em.if().i32(Tri.false).set(l.acc).end();
  em.get(l.count).i32(1).op(Op.i32Sub).set(l.count).br(next);
  em.end().end();
  em.get(l.acc).br(native);
  em.end(); // native
  if (negate) not3(ctx);
  em.br(out);
  ctx.hostLabel = outerHost;
  em.end(); // host
  em.globalGet(ctx.recordGlobal).i32(hostId).call(ctx.hostEval);
  em.end(); // out
}

/** Branches on the element tag (local `tag`) to the kind's code; unhandled tags go to `host`. */
function dispatch(ctx: GenContext, storage: number, test: ElementTest, host: Label): void {
  const em = ctx.em;
  const tag = locals(ctx).tag;
  const out = em.block(I32);
  const cases: [() => void, Kind | undefined][] = [
    [() => em.get(tag).op(Op.i32Eqz), Kind.Null],
    [() => em.get(tag).i32(Tag.native).op(Op.i32Eq), nativeKind(storage)],
    [() => em.get(tag).i32(Tag.text).op(Op.i32Eq), Kind.Str],
    [() => em.get(tag).i32(Tag.dateMillis).op(Op.i32Eq), Kind.Millis],
    [() => em.get(tag).i32(Tag.double).op(Op.i32Eq), Kind.F64],
    [() => em.get(tag).i32(Tag.dateIso).op(Op.i32Sub).i32(10).op(Op.i32LtU), Kind.Iso],
  ];
  // Tags with the same outcome share one branch: a string field's native and text tags run one
  // copy of its test, and tags answered by the same constant (null, a date or a double where a
  // string is tested: all null) one test of their tags.
  const branches = new Map<Kind | number, { conds: (() => void)[]; result: number | (() => void) }>();
  const results = new Map<Kind, KindResult>();
  for (const [cond, kind] of cases) {
    if (kind === undefined) continue;
    let result = results.get(kind);
    if (result === undefined) results.set(kind, (result = test(kind)));
    if (result === NOT_HANDLED) continue;
    const key = typeof result === 'number' ? -1 - result : kind;
    const branch = branches.get(key);
    if (branch) branch.conds.push(cond);
    else branches.set(key, { conds: [cond], result });
  }
  for (const { conds, result } of branches.values()) {
    conds.forEach((cond, i) => {
      cond();
      if (i > 0) em.op(Op.i32Or);
    });
    em.if();
    if (typeof result === 'number') em.i32(result);
    else result();
    em.br(out);
    em.end();
  }
  em.br(host);
  em.end();
}

function emitIsNull(ctx: GenContext, node: IsNullNode): void {
  const f = nativeField(ctx, node.operand);
  if (!f) return emitHost(ctx, node, 'isnull');
  const em = ctx.em;
  const l = locals(ctx);
  // Null, or an array with no elements: the field reader's null. Everything else is a value.
  const isNull = node.negated ? Tri.false : Tri.true;
  const notNull = node.negated ? Tri.true : Tri.false;
  // Reuse the field walk with a test that never looks at elements: it only sees scalars and the
  // first element, so handle arrays by their count here instead.
  ctx.stats.nativeNodes++;
  const hostId = ctx.hosts.add(node, false);
  const out = em.block(I32);
  const host = em.block();
  emitSlotTag(ctx, f, l, host, out, isNull);
  em.tee(l.tag).op(Op.i32Eqz);
  em.if().i32(isNull).br(out).end();
  em.get(l.tag).i32(Tag.array).op(Op.i32Eq);
  em.if();
  em.get(ctx.base).get(ctx.slots).get(l.rank).i32(SLOT_SIZE).op(Op.i32Mul).op(Op.i32Add).mem(Op.i32Load).op(Op.i32Add).mem(Op.i32Load).op(Op.i32Eqz);
  em.if().i32(isNull).br(out).end();
  em.end();
  em.i32(notNull).br(out);
  em.end();
  em.globalGet(ctx.recordGlobal).i32(hostId).call(ctx.hostEval);
  em.end();
}

// ───────────────────────────── comparisons ─────────────────────────────

type OrderOp = '<' | '<=' | '>' | '>=';
type ElementOp = '==' | OrderOp;

const FLIP: Record<OrderOp, OrderOp> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function emitCompare(ctx: GenContext, node: CompareNode): void {
  let fieldSide = node.left;
  let constSide = node.right;
  let op = node.op;
  if (fieldSide.kind !== 'field' && constSide.kind === 'field') {
    [fieldSide, constSide] = [constSide, fieldSide];
    if (op !== '==' && op !== '!=') op = FLIP[op];
  }
  const f = nativeField(ctx, fieldSide);
  if (!f || constSide.kind !== 'const' || (node.mode !== 'value' && node.mode !== 'ip')) return emitHost(ctx, node, `compare:${node.mode}`);
  const c = constSide.value;
  const elementOp: ElementOp = op === '!=' ? '==' : op;
  const test = node.mode === 'ip' ? ipCompareTest(ctx, elementOp, c) : valueCompareTest(ctx, elementOp, c);
  if (!test) return emitHost(ctx, node, 'compare:const');
  emitFieldTest(ctx, ctx.hosts.add(node, false), f, Tri.null, test, op === '!=');
}

/**
 * The category test of a filter: the field's value, or one element of it, is exactly `category`
 * (compile.ts categoryTest). Pushes 1 or 0; `hostId` evaluates the same test in JS.
 */
export function emitCategoryTest(ctx: GenContext, field: TExpr, category: string, hostId: number): void {
  const f = nativeField(ctx, field);
  if (!f) {
    ctx.em.globalGet(ctx.recordGlobal).i32(hostId).call(ctx.hostEval);
    return;
  }
  // String equality per element is === here; every other kind is never equal (null included).
  emitFieldTest(ctx, hostId, f, Tri.false, valueCompareTest(ctx, '==', category)!, false);
  ctx.em.i32(Tri.true).op(Op.i32Eq);
}

/** x op c for one element, compareScalars / equalScalars semantics. */
function valueCompareTest(ctx: GenContext, op: ElementOp, c: Value): ElementTest | null {
  const em = ctx.em;
  const eq = op === '==';
  // Different kinds of value: never equal, not ordered.
  const mismatch = eq ? Tri.false : Tri.null;
  if (c === null) return () => Tri.null;
  if (typeof c === 'string') {
    const k = ctx.data.string(c);
    const canonicalIp = canonicalIpBytes(c);
    return (kind) => {
      switch (kind) {
        case Kind.Null: return Tri.null;
        case Kind.Str:
          return eq ? () => emitStringEq(ctx, k, false) : () => {
            em.get(ptrLocal(ctx)).get(lenLocal(ctx)).i32(k.addr).i32(k.length).call(ctx.lib.cmp).i32(0);
            em.op(orderOpcode32(op));
          };
        case Kind.Ip:
          if (!eq) return NOT_HANDLED;
          if (!canonicalIp) return Tri.false;
          return () => emitIpEq(ctx, ctx.data.bytes(canonicalIp).addr);
        case Kind.Iso: return NOT_HANDLED;
        default: return mismatch;
      }
    };
  }
  if (typeof c === 'boolean') {
    return (kind) => {
      if (kind === Kind.Null) return Tri.null;
      if (kind !== Kind.Bool) return mismatch;
      return () => em.get(ptrLocal(ctx)).mem(Op.i32Load8U).i32(c ? 1 : 0).op(eq ? Op.i32Eq : orderOpcodeU32(op));
    };
  }
  if (typeof c === 'number' || typeof c === 'bigint') {
    return (kind) => {
      switch (kind) {
        case Kind.Null: return Tri.null;
        case Kind.I64: return () => emitIntCompare(ctx, () => em.get(ptrLocal(ctx)).mem(Op.i64Load), op, c, false);
        case Kind.U64: return () => emitIntCompare(ctx, () => em.get(ptrLocal(ctx)).mem(Op.i64Load), op, c, true);
        case Kind.Millis: return () => emitIntCompare(ctx, () => em.get(ptrLocal(ctx)).mem(Op.i64Load).i64(1_000_000n).op(Op.i64DivS), op, c, false);
        case Kind.F64: return typeof c === 'bigint' ? NOT_HANDLED : () => emitF64Compare(ctx, op, c);
        default: return mismatch;
      }
    };
  }
  return null;
}

/** Mode `ip`: both sides parsed as addresses (16 bytes); the record's native IPs are bytes. */
function ipCompareTest(ctx: GenContext, op: ElementOp, c: Value): ElementTest | null {
  const em = ctx.em;
  if (typeof c !== 'string') return null;
  const bytes = new Uint8Array(16);
  const parsed = parseIpInto(c, bytes) !== 0;
  const eq = op === '==';
  const k = ctx.data.bytes(bytes);
  return (kind) => {
    switch (kind) {
      case Kind.Null: return Tri.null;
      case Kind.Ip:
        if (!parsed) return eq ? Tri.false : Tri.null;
        if (eq) return () => emitIpEq(ctx, k.addr);
        return () => em.get(ptrLocal(ctx)).i32(16).i32(k.addr).i32(16).call(ctx.lib.cmp).i32(0).op(orderOpcode32(op));
      case Kind.Str:
      case Kind.Iso:
        return NOT_HANDLED;
      default:
        return eq ? Tri.false : Tri.null;
    }
  };
}

/** The 16 bytes of `s` when the record would store `s` as a native IP (canonical text). */
function canonicalIpBytes(s: string): Uint8Array | null {
  const b = new Uint8Array(16);
  return parseRecordIp(s, b, 0) && formatIp(b, 0) === s ? b : null;
}

/**
 * Pushes 1 if the current string (ptr, len) equals the constant (folded: ASCII of the record
 * string lowered; callers have ruled out other bytes). Constants up to 16 bytes are compared
 * inline with masked 64-bit loads: reading past the string's end is safe because the batch
 * region ends with padding (evaluator.ts), and the extra bytes are masked off.
 */
function emitStringEq(ctx: GenContext, k: Bytes, fold: boolean): void {
  const em = ctx.em;
  em.get(lenLocal(ctx)).i32(k.length).op(Op.i32Eq);
  em.if(I32);
  if (k.length > 16) em.get(ptrLocal(ctx)).get(lenLocal(ctx)).i32(k.addr).i32(k.length).i32(fold ? 1 : 0).call(ctx.lib.eq);
  else if (k.length === 0) em.i32(1);
  else {
    const word = (from: number): { value: bigint; mask: bigint } => {
      let value = 0n;
      let mask = 0n;
      for (let i = 7; i >= 0; i--) {
        value <<= 8n;
        mask <<= 8n;
        if (from + i < k.length) {
          value |= BigInt(k.value[from + i]!);
          mask |= 0xffn;
        }
      }
      return { value: BigInt.asIntN(64, value), mask: BigInt.asIntN(64, mask) };
    };
    for (const from of k.length > 8 ? [0, 8] : [0]) {
      const { value, mask } = word(from);
      em.get(ptrLocal(ctx)).mem(Op.i64Load, from);
      if (fold) lowerAscii64OnStack(ctx);
      em.i64(mask).op(Op.i64And).i64(value).op(Op.i64Eq);
    }
    if (k.length > 8) em.op(Op.i32And);
  }
  em.else().i32(0).end();
}

/** Lowers the ASCII letters of the 8 bytes on the stack. */
function lowerAscii64OnStack(ctx: GenContext): void {
  const x = scratch(ctx, 'lower', I64);
  ctx.em.set(x);
  lowerAscii64(ctx.em, x);
  ctx.em.get(x);
}

function emitIpEq(ctx: GenContext, addr: number): void {
  const em = ctx.em;
  const p = ptrLocal(ctx);
  em.get(p).mem(Op.i64Load).i32(addr).mem(Op.i64Load).op(Op.i64Eq);
  em.get(p).mem(Op.i64Load, 8).i32(addr).mem(Op.i64Load, 8).op(Op.i64Eq).op(Op.i32And);
}

function orderOpcode32(op: ElementOp): number {
  switch (op) {
    case '<': return Op.i32LtS;
    case '<=': return Op.i32LeS;
    case '>': return Op.i32GtS;
    case '>=': return Op.i32GeS;
    case '==': return Op.i32Eq;
  }
}

function orderOpcodeU32(op: ElementOp): number {
  switch (op) {
    case '<': return Op.i32LtU;
    case '<=': return Op.i32LeU;
    case '>': return Op.i32GtU;
    case '>=': return Op.i32GeU;
    case '==': return Op.i32Eq;
  }
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

/**
 * An integer x (pushed by `load`) against a constant of any representation, exactly as
 * compareNumbers: x < c ⇔ x < ceil(c), x ≤ c ⇔ x ≤ floor(c), and so on; bounds outside the
 * 64-bit range make the answer constant.
 */
function emitIntCompare(ctx: GenContext, load: () => void, op: ElementOp, c: number | bigint, unsigned: boolean): void {
  const em = ctx.em;
  if (typeof c === 'number' && Number.isNaN(c)) {
    em.i32(op === '==' ? Tri.false : Tri.null);
    return;
  }
  const lo = unsigned ? 0n : I64_MIN;
  const hi = unsigned ? U64_MAX : I64_MAX;
  const bound = (round: (x: number) => number): bigint | number => {
    if (typeof c === 'bigint') return c;
    if (!Number.isFinite(c)) return c;
    return BigInt(round(c));
  };
  const cmp = (k: bigint | number, opcode: number, above: number, below: number): void => {
    // `above`: the answer when k is past the top of the range; `below`: past the bottom.
    if (k > hi) em.i32(above);
    else if (k < lo) em.i32(below);
    else {
      load();
      em.i64(BigInt.asIntN(64, BigInt(k))).op(opcode);
    }
  };
  switch (op) {
    case '==': {
      const integral = typeof c === 'bigint' || Number.isInteger(c);
      if (!integral || BigInt(c) < lo || BigInt(c) > hi) em.i32(0);
      else {
        load();
        em.i64(BigInt.asIntN(64, BigInt(c))).op(Op.i64Eq);
      }
      return;
    }
    // x < k (k = ceil c): always when k > hi; never when k ≤ lo (k = lo is handled by the compare).
    case '<': return cmp(bound(Math.ceil), unsigned ? Op.i64LtU : Op.i64LtS, 1, 0);
    case '<=': return cmp(bound(Math.floor), unsigned ? Op.i64LeU : Op.i64LeS, 1, 0);
    case '>': return cmp(bound(Math.floor), unsigned ? Op.i64GtU : Op.i64GtS, 0, 1);
    case '>=': return cmp(bound(Math.ceil), unsigned ? Op.i64GeU : Op.i64GeS, 0, 1);
  }
}

/** A double x against a number constant: IEEE order, NaN unordered (equality false). */
function emitF64Compare(ctx: GenContext, op: ElementOp, c: number): void {
  const em = ctx.em;
  const x = scratch(ctx, 'f64', F64);
  if (op === '==') {
    em.get(ptrLocal(ctx)).mem(Op.f64Load).f64(c).op(Op.f64Eq);
    return;
  }
  if (Number.isNaN(c)) {
    em.i32(Tri.null);
    return;
  }
  em.get(ptrLocal(ctx)).mem(Op.f64Load).tee(x).get(x).op(Op.f64Ne);
  em.if(I32).i32(Tri.null).else();
  em.get(x).f64(c).op(op === '<' ? Op.f64Lt : op === '<=' ? Op.f64Le : op === '>' ? Op.f64Gt : Op.f64Ge);
  em.end();
}

// ───────────────────────────── in ─────────────────────────────

const SET_THRESHOLD = 6;

function emitIn(ctx: GenContext, node: InNode): void {
  const f = nativeField(ctx, node.expr);
  const modeOk = node.mode === 'value' || (node.mode === 'ip' && !node.insensitive);
  if (!f || !modeOk) return emitHost(ctx, node, `in:${node.mode}`);
  const hasNull = node.values.includes(null);
  const candidates = node.values.filter((v) => v !== null);
  const miss = hasNull ? Tri.null : Tri.false;
  if (candidates.some((v) => typeof v === 'object' || (typeof v === 'number' && Number.isNaN(v)))) return emitHost(ctx, node, 'in:values');
  const em = ctx.em;
  const strings = candidates.filter((v): v is string => typeof v === 'string');
  const numbers = candidates.filter((v): v is number | bigint => typeof v === 'number' || typeof v === 'bigint');
  const bools = candidates.filter((v): v is boolean => typeof v === 'boolean');
  const member = (emitAny: (() => void)[]): (() => void) => () => memberOf(ctx, emitAny, miss);
  let test: ElementTest;
  if (node.mode === 'ip') {
    const addrs = strings.flatMap((s) => {
      const b = new Uint8Array(16);
      return parseIpInto(s, b) !== 0 ? [ctx.data.bytes(b).addr] : [];
    });
    test = (kind) => {
      if (kind === Kind.Null) return Tri.null;
      if (kind === Kind.Str || kind === Kind.Iso) return NOT_HANDLED;
      if (kind !== Kind.Ip) return miss;
      return member(addrs.map((a) => () => emitIpEq(ctx, a)));
    };
  } else {
    const fold = node.insensitive;
    const folded = fold ? strings.map(foldCase) : strings;
    const stringTest = stringMembership(ctx, folded, fold);
    const ips = fold ? [] : strings.flatMap((s) => {
      const b = canonicalIpBytes(s);
      return b ? [ctx.data.bytes(b).addr] : [];
    });
    test = (kind) => {
      switch (kind) {
        case Kind.Null: return Tri.null;
        case Kind.Str:
          return () => {
            if (fold) hostIfHigh(ctx);
            stringTest();
            em.if(I32).i32(Tri.true).else().i32(miss).end();
          };
        case Kind.Ip:
          return fold ? NOT_HANDLED : member(ips.map((a) => () => emitIpEq(ctx, a)));
        case Kind.Iso: return NOT_HANDLED;
        case Kind.Bool:
          return member(bools.map((b) => () => em.get(ptrLocal(ctx)).mem(Op.i32Load8U).i32(b ? 1 : 0).op(Op.i32Eq)));
        case Kind.I64:
        case Kind.U64:
        case Kind.Millis: {
          const unsigned = kind === Kind.U64;
          const load = kind === Kind.Millis
            ? () => em.get(ptrLocal(ctx)).mem(Op.i64Load).i64(1_000_000n).op(Op.i64DivS)
            : () => em.get(ptrLocal(ctx)).mem(Op.i64Load);
          return member(numbers.map((n) => () => emitIntCompare(ctx, load, '==', n, unsigned)));
        }
        case Kind.F64:
          if (numbers.some((n) => typeof n === 'bigint')) return NOT_HANDLED;
          return member(numbers.map((n) => () => emitF64Compare(ctx, '==', n as number)));
      }
    };
  }
  emitFieldTest(ctx, ctx.hosts.add(node, false), f, Tri.null, test, node.negated);
}

/** Pushes Tri.true if any of the 0/1 tests holds, else `miss`. */
function memberOf(ctx: GenContext, tests: readonly (() => void)[], miss: number): void {
  const em = ctx.em;
  const out = em.block(I32);
  for (const t of tests) {
    t();
    em.if().i32(Tri.true).br(out).end();
  }
  em.i32(miss);
  em.end();
}

/** Code pushing 1 if the current string (ptr, len) is one of `members` (folded if `fold`). */
function stringMembership(ctx: GenContext, members: readonly string[], fold: boolean): () => void {
  const em = ctx.em;
  if (members.length >= SET_THRESHOLD) {
    const set = ctx.data.stringSet(members);
    return () => em.i32(set.addr).i32(set.mask).get(ptrLocal(ctx)).get(lenLocal(ctx)).i32(fold ? 1 : 0).call(ctx.lib.setHas);
  }
  const consts = [...new Set(members)].map((m) => ctx.data.string(m));
  return () => {
    const out = em.block(I32);
    for (const k of consts) {
      emitStringEq(ctx, k, fold);
      em.if().i32(1).br(out).end();
    }
    em.i32(0);
    em.end();
  };
}

/** Case-insensitive tests fold ASCII only: a string with other bytes goes to the host. */
function hostIfHigh(ctx: GenContext): void {
  if (ctx.hostLabel === undefined) throw new Error('hostIfHigh outside a field test');
  ctx.em.get(ptrLocal(ctx)).get(lenLocal(ctx)).call(ctx.lib.hasHigh).brIf(ctx.hostLabel);
}

// ───────────────────────────── match ─────────────────────────────

type Span = { addr: number; length: number };
type Matcher =
  | { kind: 'any' }
  | ({ kind: 'starts' | 'ends' | 'contains' | 'wild' } & Span)
  /** `P*m1*…*S` with no `?`: starts with P, ends with S, then each m found in order in between. */
  | { kind: 'glob'; prefix: Span; suffix: Span; inner: Span[] };

function emitMatch(ctx: GenContext, node: MatchNode): void {
  const f = nativeField(ctx, node.expr);
  if (f && node.op === 'regex') return emitRegexGate(ctx, node, f);
  if (!f || node.op === 'regex') return emitHost(ctx, node, node.op === 'regex' ? 'regex' : 'match');
  const fold = node.insensitive;
  const patterns = fold ? node.patterns.map(foldCase) : node.patterns;
  const exact = patterns.filter((p) => !p.includes('*') && !p.includes('?'));
  const matchers = patterns.filter((p) => p.includes('*') || p.includes('?')).map((p) => wildcardMatcher(ctx, p));
  const em = ctx.em;
  const exactTest = exact.length > 0 ? stringMembership(ctx, exact, fold) : undefined;
  const test: ElementTest = (kind) => {
    switch (kind) {
      case Kind.Str:
        return () => {
          if (fold) hostIfHigh(ctx);
          const out = em.block(I32);
          if (exactTest) {
            exactTest();
            em.if().i32(Tri.true).br(out).end();
          }
          for (const m of matchers) {
            if (m.kind === 'any') em.i32(Tri.true).br(out);
            else if (m.kind === 'glob') {
              emitGlob(ctx, m, fold);
              em.if().i32(Tri.true).br(out).end();
            } else {
              const fn = ctx.lib[m.kind];
              em.get(ptrLocal(ctx)).get(lenLocal(ctx)).i32(m.addr).i32(m.length).i32(fold ? 1 : 0).call(fn);
              em.if().i32(Tri.true).br(out).end();
            }
          }
          em.i32(Tri.false);
          em.end();
        };
      default:
        return notAString(kind);
    }
  };
  emitFieldTest(ctx, ctx.hosts.add(node, false), f, Tri.null, test, node.negated);
}

/**
 * A regex stays with the host (the automaton), but a string that lacks a byte every match needs
 * (lucene-regex.ts regexRequiredBytes: `/x\s` needs a space) is false here, with no host call. A
 * pattern with no such requirement sends every string to the host, as before.
 */
function emitRegexGate(ctx: GenContext, node: MatchNode, f: NativeField): void {
  const gates = node.patterns.map((p) => regexRequiredBytes(p, node.insensitive));
  if (gates.some((g) => g.length === 0)) return emitHost(ctx, node, 'regex');
  const tables = gates.map((sets) => {
    const table = new Uint8Array(256);
    sets.forEach((bytes, k) => {
      for (const b of bytes) table[b] = table[b]! | (1 << k);
    });
    return { addr: ctx.data.bytes(table).addr, full: (1 << sets.length) - 1 };
  });
  ctx.stats.hostNodes++;
  ctx.stats.hostKinds.set('regex', (ctx.stats.hostKinds.get('regex') ?? 0) + 1);
  const em = ctx.em;
  const test: ElementTest = (kind) => {
    switch (kind) {
      case Kind.Str:
        return () => {
          for (const t of tables) {
            em.get(ptrLocal(ctx)).get(lenLocal(ctx)).i32(t.addr).i32(t.full).call(ctx.lib.covers);
            em.brIf(ctx.hostLabel!);
          }
          em.i32(Tri.false);
        };
      default:
        return notAString(kind);
    }
  };
  emitFieldTest(ctx, ctx.hosts.add(node, false), f, Tri.null, test, node.negated);
}

/**
 * A string match on a value that is not a string: IPs and ISO dates are left to the host (their
 * text form may match); anything else (null, a number) matches no pattern, as in the interpreter.
 */
function notAString(kind: Kind): KindResult {
  return kind === Kind.Ip || kind === Kind.Iso ? NOT_HANDLED : Tri.null;
}

/** The cheapest byte routine for a wildcard pattern (see runtime/wildcard.ts). */
function wildcardMatcher(ctx: GenContext, p: string): Matcher {
  if (!p.includes('?')) {
    const parts = p.split('*');
    if (parts.every((x) => x === '')) return { kind: 'any' };
    const inner = parts.slice(1, -1);
    if (inner.every((x) => x === '')) {
      const first = parts[0]!;
      const last = parts[parts.length - 1]!;
      if (inner.length === 0 && last === '') return { kind: 'starts', ...at(ctx, first) };
      if (inner.length === 0 && first === '') return { kind: 'ends', ...at(ctx, last) };
    }
    if (parts.length === 3 && parts[0] === '' && parts[2] === '') return { kind: 'contains', ...at(ctx, parts[1]!) };
    return { kind: 'glob', prefix: at(ctx, parts[0]!), suffix: at(ctx, parts[parts.length - 1]!), inner: inner.filter((x) => x !== '').map((x) => at(ctx, x)) };
  }
  return { kind: 'wild', ...at(ctx, p) };
}

/**
 * Pushes 1 when the string (ptr, len locals) matches a `*`-only pattern, else 0: length, prefix,
 * suffix, then each inner part searched (leftmost) after the previous one, within what the prefix
 * and suffix leave. Greedy leftmost search is exact when `*` is the only wildcard.
 */
function emitGlob(ctx: GenContext, m: Extract<Matcher, { kind: 'glob' }>, fold: boolean): void {
  const em = ctx.em;
  const f = fold ? 1 : 0;
  const pos = scratch(ctx, 'globPos');
  const end = scratch(ctx, 'globEnd');
  const found = scratch(ctx, 'globFound');
  const minLength = m.prefix.length + m.suffix.length + m.inner.reduce((n, x) => n + x.length, 0);
  const res = em.block(I32);
  em.get(lenLocal(ctx)).i32(minLength).op(Op.i32LtU);
  em.if().i32(0).br(res).end();
  for (const [edge, fn] of [[m.prefix, ctx.lib.starts], [m.suffix, ctx.lib.ends]] as const) {
    if (edge.length === 0) continue;
    em.get(ptrLocal(ctx)).get(lenLocal(ctx)).i32(edge.addr).i32(edge.length).i32(f).call(fn).op(Op.i32Eqz);
    em.if().i32(0).br(res).end();
  }
  if (m.inner.length > 0) {
    em.i32(m.prefix.length).set(pos);
    em.get(lenLocal(ctx)).i32(m.suffix.length).op(Op.i32Sub).set(end);
    for (const part of m.inner) {
      em.get(ptrLocal(ctx)).get(pos).op(Op.i32Add).get(end).get(pos).op(Op.i32Sub).i32(part.addr).i32(part.length).i32(f).call(ctx.lib.find).tee(found);
      em.i32(0).op(Op.i32LtS);
      em.if().i32(0).br(res).end();
      em.get(pos).get(found).op(Op.i32Add).i32(part.length).op(Op.i32Add).set(pos);
    }
  }
  em.i32(1);
  em.end();
}

function at(ctx: GenContext, s: string): { addr: number; length: number } {
  const k = ctx.data.string(s);
  return { addr: k.addr, length: k.length };
}

// ───────────────────────────── functions ─────────────────────────────

function emitCall(ctx: GenContext, node: CallNode): void {
  const name = node.fn.name;
  const f = nativeField(ctx, node.args[0]!);
  const consts = node.args.slice(1);
  if (!f || !consts.every((a) => a.kind === 'const' && typeof a.value === 'string')) return emitHost(ctx, node, `call:${name}`);
  const values = consts.map((a) => (a as { value: string }).value);
  const em = ctx.em;
  if (name === 'startsWith' || name === 'endsWith' || name === 'stringContains') {
    const fold = node.insensitive;
    const needle = fold ? foldCase(values[0]!) : values[0]!;
    const k = ctx.data.string(needle);
    const fn = name === 'startsWith' ? ctx.lib.starts : name === 'endsWith' ? ctx.lib.ends : ctx.lib.contains;
    const test: ElementTest = (kind) => {
      if (kind === Kind.Ip || kind === Kind.Iso) return NOT_HANDLED;
      if (kind !== Kind.Str) return Tri.null;
      return () => {
        if (fold) hostIfHigh(ctx);
        // ES stringContains is false when either string is empty.
        if (name === 'stringContains' && k.length === 0) {
          em.i32(Tri.false);
          return;
        }
        em.get(ptrLocal(ctx)).get(lenLocal(ctx)).i32(k.addr).i32(k.length).i32(fold ? 1 : 0).call(fn);
        if (name === 'stringContains') em.get(lenLocal(ctx)).i32(0).op(Op.i32Ne).op(Op.i32And);
      };
    };
    return emitFieldTest(ctx, ctx.hosts.add(node, false), f, Tri.null, test, false);
  }
  if (name === 'cidrMatch') {
    const blocks = values.map(tryParseCidr);
    if (blocks.some((b) => b === null)) return emitHost(ctx, node, 'call:cidrMatch');
    const test: ElementTest = (kind) => {
      if (kind === Kind.Str || kind === Kind.Iso) return NOT_HANDLED;
      if (kind !== Kind.Ip) return Tri.null;
      return () => memberOf(ctx, (blocks as CidrBlock[]).map((b) => () => emitCidrTest(ctx, b)), Tri.false);
    };
    return emitFieldTest(ctx, ctx.hosts.add(node, false), f, Tri.null, test, false);
  }
  emitHost(ctx, node, `call:${name}`);
}

/** (address & mask) == (block & mask) over 128 bits, as two little-endian 64-bit halves. */
function emitCidrTest(ctx: GenContext, b: CidrBlock): void {
  const em = ctx.em;
  const mask = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, b.prefixLength - 8 * i));
    mask[i] = (0xff00 >> bits) & 0xff;
  }
  const dv = (x: Uint8Array, off: number): bigint => new DataView(x.buffer, x.byteOffset).getBigInt64(off, true);
  const masked = b.bytes.map((x, i) => x & mask[i]!);
  for (const half of [0, 8]) {
    em.get(ptrLocal(ctx)).mem(Op.i64Load, half).i64(dv(mask, half)).op(Op.i64And).i64(dv(masked, half)).op(Op.i64Eq);
  }
  em.op(Op.i32And);
}
