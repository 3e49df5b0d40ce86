// Byte offsets of the kernel event fields the record converter reads, looked up by name in the
// one layout description (src/shared/sensor/layout.json) so they can never drift from the BPF
// structs. Resolved once at load; a renamed field fails here, not as corrupt records.
import { KINDS, STRUCTS } from '../../shared/sensor/layout.js';

type Offsets<K extends string> = { readonly [P in K]: number };

function offsetsOf<K extends string>(struct: string, names: readonly K[]): Offsets<K> {
  const layout = STRUCTS.get(struct);
  if (!layout) throw new Error(`layout.json has no struct ${struct}`);
  const out: Partial<Record<K, number>> = {};
  for (const name of names) {
    const field = layout.fields.find((f) => f.name === name);
    if (!field) throw new Error(`layout.json: struct ${struct} has no field ${name}`);
    out[name] = field.offset;
  }
  return out as Offsets<K>;
}

function sizeOf(struct: string, field: string): number {
  const f = STRUCTS.get(struct)?.fields.find((x) => x.name === field);
  if (!f) throw new Error(`layout.json: struct ${struct} has no field ${field}`);
  return f.size;
}

/** Kind id by name (layout.json "kinds"). */
export function kindId(name: string): number {
  for (const k of KINDS.values()) if (k.name === name) return k.id;
  throw new Error(`layout.json has no event kind ${name}`);
}

export const HDR = offsetsOf('header', ['kind', 'flags', 'time_ns', 'pid', 'tgid', 'ppid', 'uid', 'gid', 'euid', 'start_time', 'comm']);
export const COMM_LEN = sizeOf('header', 'comm');
export const EXEC = offsetsOf('exec', ['egid', 'sid', 'tty_dev', 'argc', 'args_len', 'filename', 'exe', 'cwd', 'tty', 'args']);
export const PATH_LEN = sizeOf('exec', 'exe');
export const ARGS_LEN = sizeOf('exec', 'args');
export const FORK = offsetsOf('fork', ['child_pid', 'child_start_time']);
export const EXIT = offsetsOf('exit', ['exit_code']);
export const FILE_OPEN = offsetsOf('file_open', ['fmode', 'path']);
export const FILE_PATH = offsetsOf('file_path', ['path']);
export const FILE_RENAME = offsetsOf('file_rename', ['old_path', 'new_path']);
export const FILE_CHMOD = offsetsOf('file_chmod', ['mode', 'path']);
export const FILE_CHOWN = offsetsOf('file_chown', ['new_uid', 'new_gid', 'path']);
export const NET = offsetsOf('net', ['family', 'sock_type', 'protocol', 'local_port', 'remote_port', 'local_addr', 'remote_addr']);
export const CRED_IDS = offsetsOf('cred_ids', ['old_real', 'old_effective', 'old_saved', 'old_fs', 'new_real', 'new_effective', 'new_saved', 'new_fs']);
export const CAPSET = offsetsOf('capset', ['old_effective', 'old_permitted', 'old_inheritable', 'new_effective', 'new_permitted', 'new_inheritable']);
export const PTRACE = offsetsOf('ptrace', ['request', 'target_pid']);
export const MODULE = offsetsOf('module', ['name']);
export const MODULE_NAME_LEN = sizeOf('module', 'name');
export const MEMFD = offsetsOf('memfd', ['mfd_flags', 'name']);
export const MEMFD_NAME_LEN = sizeOf('memfd', 'name');

export const KIND = {
  exec: kindId('process_exec'),
  fork: kindId('process_fork'),
  exit: kindId('process_exit'),
  fileOpen: kindId('file_open'),
  fileUnlink: kindId('file_unlink'),
  fileRename: kindId('file_rename'),
  fileChmod: kindId('file_chmod'),
  fileChown: kindId('file_chown'),
  netConnect: kindId('net_connect'),
  netAccept: kindId('net_accept'),
  netBind: kindId('net_bind'),
  netListen: kindId('net_listen'),
  setuid: kindId('cred_setuid'),
  setgid: kindId('cred_setgid'),
  capset: kindId('cred_capset'),
  ptrace: kindId('process_ptrace'),
  moduleLoad: kindId('module_load'),
  memfd: kindId('process_memfd'),
} as const;
