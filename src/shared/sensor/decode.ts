// Decodes one raw kernel event into a plain JS object, driven by the layout description. This is
// for tests and debugging: it allocates strings and BigInts per event. The live path converts
// events in place from the same offsets.
import { FRAME_HEADER_BYTES, HEADER, KINDS, frameBytes, type FieldLayout, type StructLayout, type TailPart } from './layout.js';

export interface EventHeader {
  kind: string;
  flags: number;
  timeNs: bigint;
  pid: number;
  tgid: number;
  ppid: number;
  uid: number;
  gid: number;
  euid: number;
  startTime: bigint;
  comm: string;
}

export interface ExecEvent extends EventHeader {
  kind: 'process_exec';
  egid: number;
  sid: number;
  ttyDev: number;
  argc: number;
  argsLen: number;
  filenameLen: number;
  exeLen: number;
  cwdLen: number;
  ttyLen: number;
  capEffective: bigint;
  capPermitted: bigint;
  capInheritable: bigint;
  filename: string;
  exe: string;
  cwd: string;
  tty: string;
  args: string[];
  envLen: number;
  headerLen: number;
  /** NAME=value strings, when the loader asked for the environment. */
  env: string[];
  /** The executable's first bytes (bprm->buf) as hex. */
  header: string;
}
export interface ForkEvent extends EventHeader {
  kind: 'process_fork';
  childPid: number;
  childStartTime: bigint;
}
export interface ExitEvent extends EventHeader {
  kind: 'process_exit';
  exitCode: number;
}
export interface FileOpenEvent extends EventHeader {
  kind: 'file_open';
  openFlags: number;
  fmode: number;
  pathLen: number;
  path: string;
}
export interface FileUnlinkEvent extends EventHeader {
  kind: 'file_unlink';
  pathLen: number;
  path: string;
}
export interface FileRenameEvent extends EventHeader {
  kind: 'file_rename';
  renameFlags: number;
  oldPathLen: number;
  newPathLen: number;
  oldPath: string;
  newPath: string;
}
export interface FileChmodEvent extends EventHeader {
  kind: 'file_chmod';
  mode: number;
  pathLen: number;
  path: string;
}
export interface FileChownEvent extends EventHeader {
  kind: 'file_chown';
  newUid: number;
  newGid: number;
  pathLen: number;
  path: string;
}
export interface NetEvent extends EventHeader {
  kind: 'net_connect' | 'net_accept' | 'net_bind' | 'net_listen';
  family: number;
  sockType: number;
  protocol: number;
  localPort: number;
  remotePort: number;
  backlog: number;
  localAddr: string;
  remoteAddr: string;
}
export interface CredIdsEvent extends EventHeader {
  kind: 'cred_setuid' | 'cred_setgid';
  newReal: number;
  newEffective: number;
  newSaved: number;
  newFs: number;
  setidFlags: number;
  capEffective: bigint;
  capPermitted: bigint;
  capInheritable: bigint;
}
export interface CapsetEvent extends EventHeader {
  kind: 'cred_capset';
  newEffective: bigint;
  newPermitted: bigint;
  newInheritable: bigint;
}
export interface PtraceEvent extends EventHeader {
  kind: 'process_ptrace';
  request: number;
  targetPid: number;
}
export interface ModuleEvent extends EventHeader {
  kind: 'module_load';
  name: string;
}
export interface MemfdEvent extends EventHeader {
  kind: 'process_memfd';
  mfdFlags: number;
  nameLen: number;
  name: string;
}

export type KernelEvent =
  | ExecEvent
  | ForkEvent
  | ExitEvent
  | FileOpenEvent
  | FileUnlinkEvent
  | FileRenameEvent
  | FileChmodEvent
  | FileChownEvent
  | NetEvent
  | CredIdsEvent
  | CapsetEvent
  | PtraceEvent
  | ModuleEvent
  | MemfdEvent;

const utf8 = new TextDecoder();
const AF_INET = 2;

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function cString(view: DataView, offset: number, max: number): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, max);
  const end = bytes.indexOf(0);
  return utf8.decode(bytes.subarray(0, end < 0 ? max : end));
}

function cStringIn(view: DataView, offset: number, length: number): string {
  return length > 0 ? cString(view, offset, length) : '';
}

function argList(view: DataView, offset: number, length: number): string[] {
  if (length === 0) return [];
  const text = utf8.decode(new Uint8Array(view.buffer, view.byteOffset + offset, length));
  const args = text.split('\0');
  if (args[args.length - 1] === '') args.pop(); // the last argument's terminator
  return args;
}

const HEX_DIGITS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Raw bytes as lowercase hex, two digits per byte (Elastic's form for header bytes). */
function hexBytes(view: DataView, offset: number, length: number): string {
  let hex = '';
  for (let i = 0; i < length; i++) hex += HEX_DIGITS[view.getUint8(offset + i)];
  return hex;
}

function ipAddress(view: DataView, offset: number, family: number): string {
  if (family === AF_INET) return [0, 1, 2, 3].map((i) => view.getUint8(offset + i)).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(view.getUint16(offset + i, false).toString(16));
  return groups.join(':');
}

function readScalar(view: DataView, offset: number, type: string): number | bigint {
  switch (type) {
    case 'u8':
      return view.getUint8(offset);
    case 'u16':
      return view.getUint16(offset, true);
    case 'u32':
      return view.getUint32(offset, true);
    case 'i32':
      return view.getInt32(offset, true);
    case 'u64':
      return view.getBigUint64(offset, true);
    case 'i64':
      return view.getBigInt64(offset, true);
    default:
      throw new Error(`decode: unsupported field type ${type}`);
  }
}

function decodeStruct(view: DataView, base: number, end: number, struct: StructLayout, out: Record<string, unknown>): void {
  for (const field of struct.fields) {
    if (field.name.startsWith('_')) continue; // padding
    if (field.type === HEADER.name) {
      decodeStruct(view, base + field.offset, end, HEADER, out);
      continue;
    }
    if (field.parts) {
      decodeTail(view, base + field.offset, end, field.parts, out);
      continue;
    }
    out[camel(field.name)] = decodeField(view, base, field, out);
  }
}

/** The packed strings of a tail: each as long as its length field, never past the frame. */
function decodeTail(view: DataView, at: number, end: number, parts: readonly TailPart[], out: Record<string, unknown>): void {
  for (const part of parts) {
    const length = Math.max(0, Math.min(Number(out[camel(part.lengthField)] ?? 0), part.max, end - at));
    out[camel(part.name)] = part.format === 'args' ? argList(view, at, length) : part.format === 'hex' ? hexBytes(view, at, length) : cStringIn(view, at, length);
    at += length;
  }
}

function decodeField(view: DataView, base: number, field: FieldLayout, decoded: Record<string, unknown>): unknown {
  const at = base + field.offset;
  switch (field.format) {
    case 'cstr':
      return cString(view, at, field.size);
    case 'ipaddr':
      return ipAddress(view, at, Number(decoded.family));
    default:
      return readScalar(view, at, field.type);
  }
}

/**
 * Decodes the raw event at `offset` (not the frame: the event itself), `length` bytes long (the
 * frame's length; the kernel sends only the used part of the tail). Default: the whole struct.
 */
export function decodeKernelEvent(view: DataView, offset: number, length?: number): KernelEvent {
  const id = view.getUint32(offset, true);
  const kind = KINDS.get(id);
  if (!kind) throw new Error(`decodeKernelEvent: unknown event kind ${id} at byte ${offset}`);
  const out: Record<string, unknown> = {};
  decodeStruct(view, offset, offset + Math.min(length ?? kind.struct.size, kind.struct.size), kind.struct, out);
  out.kind = kind.name;
  return out as unknown as KernelEvent;
}

/** Calls fn(structOffset, structBytes) for each frame in view[start, end) as written by drain(). */
export function forEachFrame(view: DataView, start: number, end: number, fn: (offset: number, length: number) => void): void {
  for (let at = start; at < end; ) {
    const length = view.getUint32(at, true);
    fn(at + FRAME_HEADER_BYTES, length);
    at += frameBytes(length);
  }
}
