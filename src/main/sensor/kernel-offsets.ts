// Byte offsets of the kernel event fields the record converter reads, looked up by name in the
// one layout description (src/shared/sensor/layout.json) so they can never drift from the BPF
// structs. Resolved once at load; a renamed field fails here, not as corrupt records.
import { CONSTANTS, KINDS, STRUCTS } from '../../shared/sensor/layout.js';

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

/** Fails at load unless the struct's tail packs exactly these parts in this order. */
function expectTail(struct: string, parts: readonly string[]): void {
  const actual = STRUCTS.get(struct)?.fields.at(-1)?.parts?.map((p) => p.name) ?? [];
  if (actual.join() !== parts.join()) throw new Error(`layout.json: ${struct}'s tail is [${actual.join(', ')}], the converter reads [${parts.join(', ')}]`);
}

/** Kind id by name (layout.json "kinds"). */
export function kindId(name: string): number {
  for (const k of KINDS.values()) if (k.name === name) return k.id;
  throw new Error(`layout.json has no event kind ${name}`);
}

export const HDR = offsetsOf('header', ['kind', 'flags', 'time_ns', 'pid', 'tgid', 'ppid', 'uid', 'gid', 'euid', 'start_time', 'comm']);
export const COMM_LEN = sizeOf('header', 'comm');
// Strings are packed in each struct's tail (layout.json): *_len fields give each part's bytes.
export const EXEC = offsetsOf('exec', [
  'egid', 'sid', 'tty_dev', 'argc', 'args_len', 'filename_len', 'exe_len', 'cwd_len', 'tty_len',
  'cap_effective', 'cap_permitted', 'cap_inheritable', 'env_len', 'header_len', 'tail',
]);
expectTail('exec', ['filename', 'exe', 'cwd', 'tty', 'args', 'env', 'header']);
expectTail('file_rename', ['old_path', 'new_path']);
for (const struct of ['file_open', 'file_path', 'file_chmod', 'file_chown']) expectTail(struct, ['path']);
expectTail('memfd', ['name']);
export const PATH_LEN = CONSTANTS.KESTREL_PATH_LEN!;
export const ARGS_LEN = CONSTANTS.KESTREL_ARGS_LEN!;
export const TTY_LEN = CONSTANTS.KESTREL_TTY_LEN!;
export const ENV_LEN = CONSTANTS.KESTREL_ENV_LEN!;
export const HEADER_LEN = CONSTANTS.KESTREL_HEADER_LEN!;
export const FORK = offsetsOf('fork', ['child_pid', 'child_start_time']);
export const EXIT = offsetsOf('exit', ['exit_code']);
export const FILE_OPEN = offsetsOf('file_open', ['fmode', 'path_len', 'tail']);
export const FILE_PATH = offsetsOf('file_path', ['path_len', 'tail']);
export const FILE_RENAME = offsetsOf('file_rename', ['old_path_len', 'new_path_len', 'tail']);
export const FILE_CHMOD = offsetsOf('file_chmod', ['mode', 'path_len', 'tail']);
export const FILE_CHOWN = offsetsOf('file_chown', ['new_uid', 'new_gid', 'path_len', 'tail']);
export const NET = offsetsOf('net', ['family', 'sock_type', 'protocol', 'local_port', 'remote_port', 'local_addr', 'remote_addr']);
export const CRED_IDS = offsetsOf('cred_ids', ['new_real', 'new_effective', 'new_saved', 'new_fs', 'cap_effective', 'cap_permitted', 'cap_inheritable']);
export const CAPSET = offsetsOf('capset', ['new_effective', 'new_permitted', 'new_inheritable']);
export const PTRACE = offsetsOf('ptrace', ['request', 'target_pid']);
export const MODULE = offsetsOf('module', ['name']);
export const MODULE_NAME_LEN = sizeOf('module', 'name');
export const MEMFD = offsetsOf('memfd', ['mfd_flags', 'name_len', 'tail']);
export const MEMFD_NAME_LEN = CONSTANTS.KESTREL_MEMFD_NAME_LEN!;

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
  dns: kindId('net_dns'),
} as const;
export const DNS = offsetsOf('dns', ['family', 'remote_port', 'local_port', 'payload_len', 'remote_addr', 'local_addr', 'tail']);
export const DNS_LEN = CONSTANTS.KESTREL_DNS_LEN!;
expectTail('dns', ['payload']);
