// Caps a module's linear memory. The declared maximum becomes min(declared, cap) (a memory without
// a maximum gets the cap), so the engine itself refuses to grow past it; and every `memory.grow`
// is guarded so that a request past the cap traps at once, after setting an exported fault flag,
// instead of returning -1. A rule that needs more memory than allowed is a faulty rule: trapping
// makes that a 'memory' fault the host can name, where a failed grow would surface later as an
// unrelated trap or a loop that burns its fuel.
import { LimitError } from '../errors.js';
import { ExternalKind, Op, SectionId, ValType } from './wasm-opcodes.js';
import { ByteReader, InstructionDecoder, parseValidModule, type FunctionBody, type Limits } from './wasm-reader.js';
import { ByteWriter, appendToVector, codeSectionPayload, reassemble, spliceBytes, type ByteEdit } from './wasm-writer.js';

export const FAULT_EXPORT = '__kestrel_fault';
/** Values of the fault flag after a trap. */
export const FaultFlag = { none: 0, memory: 1 } as const;

/** The most pages a 32-bit memory can have (4 GiB). */
const MAX_PAGES = 65536;

export function limitMemory(bytes: Uint8Array, maxPages: number): Uint8Array {
  if (!Number.isInteger(maxPages) || maxPages < 0 || maxPages > MAX_PAGES) {
    throw new LimitError('wasm.memory.options', `maxMemoryPages must be an integer from 0 to ${MAX_PAGES}, got ${maxPages}`);
  }
  const m = parseValidModule(bytes);
  if (m.exports.some((e) => e.name === FAULT_EXPORT)) {
    throw new LimitError('wasm.memory.reserved', `the module already exports "${FAULT_EXPORT}" (already instrumented, or a reserved name)`);
  }
  const replace = new Map<number, Uint8Array>();

  const capEdit = (l: Limits, where: string): ByteEdit => {
    if (l.min > maxPages) {
      throw new LimitError('wasm.memory.min', `${where} needs ${l.min} pages at start, more than the cap of ${maxPages} pages (${maxPages * 64} KiB)`, {
        context: { offset: l.start },
      });
    }
    const max = l.max === null ? maxPages : Math.min(l.max, maxPages);
    return { start: l.start, end: l.end, insert: new ByteWriter(12).u8(1).u32(l.min).u32(max).finish() };
  };
  const importEdits: ByteEdit[] = [];
  for (const imp of m.imports) {
    if (imp.kind === ExternalKind.memory) importEdits.push(capEdit(imp.limits, `imported memory ${imp.module}.${imp.name}`));
  }
  if (importEdits.length > 0) replace.set(SectionId.import, sectionWithEdits(m.bytes, m.sections.find((s) => s.id === SectionId.import)!, importEdits));
  if (m.memories.length > 0) {
    replace.set(SectionId.memory, sectionWithEdits(m.bytes, m.sections.find((s) => s.id === SectionId.memory)!, m.memories.map((l) => capEdit(l, 'memory'))));
  }

  const flagGlobal = m.importedGlobalCount + m.globals.length;
  const params = (b: number): number => m.types[m.functions[b]].params.length;
  const bodies = m.bodies.map((b, i) => guardGrows(m.bytes, b, params(i), flagGlobal, maxPages));
  const flag = Uint8Array.from([ValType.i32, 1, Op.i32Const, FaultFlag.none, Op.end]);
  replace.set(SectionId.global, appendToVector(m, SectionId.global, [flag]));
  replace.set(SectionId.export, appendToVector(m, SectionId.export, [new ByteWriter().name(FAULT_EXPORT).u8(ExternalKind.global).u32(flagGlobal).finish()]));
  replace.set(SectionId.code, codeSectionPayload(bodies));
  return reassemble(m, replace);
}

function sectionWithEdits(bytes: Uint8Array, s: { start: number; end: number }, edits: ByteEdit[]): Uint8Array {
  return spliceBytes(bytes, s.start, s.end, edits).finish();
}

/**
 * Replaces each `memory.grow` by: t = delta; if (t >u cap - memory.size) { flag = memory;
 * unreachable } memory.grow(t). `t` is a new i32 local appended after the existing ones.
 */
function guardGrows(bytes: Uint8Array, body: FunctionBody, paramCount: number, flagGlobal: number, maxPages: number): Uint8Array {
  const scratch = paramCount + body.localCount;
  const edits: ByteEdit[] = [];
  let guard: Uint8Array | null = null;
  const d = new InstructionDecoder(bytes, body.codeStart, body.end);
  while (d.next()) {
    if (d.op !== Op.memoryGrow) continue;
    guard ??= new ByteWriter(40)
      .u8(Op.localSet).u32(scratch)
      .u8(Op.localGet).u32(scratch)
      .u8(Op.i32Const).s32(maxPages)
      .u8(Op.memorySize).u8(0)
      .u8(Op.i32Sub)
      .u8(Op.i32GtU)
      .u8(Op.if).u8(0x40)
      .u8(Op.i32Const).s32(FaultFlag.memory)
      .u8(Op.globalSet).u32(flagGlobal)
      .u8(Op.unreachable)
      .u8(Op.end)
      .u8(Op.localGet).u32(scratch)
      .u8(Op.memoryGrow).u8(0)
      .finish();
    edits.push({ start: d.start, end: d.pos, insert: guard });
  }
  if (edits.length === 0) return bytes.slice(body.start, body.end);
  // Local declarations: one more group, (1 × i32), after the existing ones.
  const r = new ByteReader(bytes, body.start, body.codeStart);
  const groups = r.u32();
  const out = new ByteWriter(body.end - body.start + edits.length * 40).u32(groups + 1);
  out.bytes(bytes.subarray(r.pos, body.codeStart)).u32(1).u8(ValType.i32);
  return spliceBytes(bytes, body.codeStart, body.end, edits, out).finish();
}
