// event.category / event.type / event.action / event.dataset for every event the sensor emits.
// Where Elastic Defend for Linux has the event, the values are Defend's, so Elastic's own rules
// match (process start = process/start/exec, fork = process/start/fork, exit = process/end/end,
// file creation/change/deletion/rename, connection_attempted/_accepted, uid_change/gid_change,
// load_module). The rest follow the same pattern (action = what happened, type from ECS's list).

export interface EcsEventClass {
  readonly category: readonly string[];
  readonly type: readonly string[];
  readonly action: string;
  readonly dataset: string;
  /** event.outcome; 'success' when not given (the sensor reports successful calls only). */
  readonly outcome?: 'success' | 'failure';
}

function cls(category: string[], type: string[], action: string, dataset: string): EcsEventClass {
  return { category, type, action, dataset: `kestrel.${dataset}` };
}

/**
 * An account change (account-changes.ts), as Elastic's auth-log events: category iam, type the
 * account kind and what happened to it (`["user", "creation"]`), outcome from the tool's exit status.
 */
export function iamEventClass(kind: 'user' | 'group', type: 'creation' | 'deletion' | 'change', action: string, success: boolean): EcsEventClass {
  // One object per combination: the record converter caches a preset per class object.
  const key = `${kind} ${type} ${action} ${success}`;
  let c = IAM_CLASSES.get(key);
  if (!c) {
    c = { category: ['iam'], type: [kind, type], action, dataset: 'kestrel.iam', outcome: success ? 'success' : 'failure' };
    IAM_CLASSES.set(key, c);
  }
  return c;
}
const IAM_CLASSES = new Map<string, EcsEventClass>();

export const ECS_EVENTS = {
  exec: cls(['process'], ['start'], 'exec', 'process'),
  fork: cls(['process'], ['start'], 'fork', 'process'),
  /** A process that was running when Kestrel started (the process-table snapshot, from /proc). */
  alreadyRunning: cls(['process'], ['info'], 'already_running', 'process'),
  end: cls(['process'], ['end'], 'end', 'process'),
  /** open(2) that created the file. */
  creation: cls(['file'], ['creation'], 'creation', 'file'),
  /** open(2) of an existing regular file for writing. */
  modification: cls(['file'], ['change'], 'modification', 'file'),
  /** A read-only open of a watched file (the sensor's read watch list): Elastic Defend's "open". */
  open: cls(['file'], ['access'], 'open', 'file'),
  deletion: cls(['file'], ['deletion'], 'deletion', 'file'),
  /** file.path is the new path, file.Ext.original.* the old one (as Defend reports renames). */
  rename: cls(['file'], ['change'], 'rename', 'file'),
  chmod: cls(['file'], ['change'], 'permission_change', 'file'),
  chown: cls(['file'], ['change'], 'owner_change', 'file'),
  connect: cls(['network'], ['start'], 'connection_attempted', 'network'),
  /** A DNS response a process received (Elastic Defend's lookup_result; Endpoint rules' `dns where`). */
  dnsLookup: cls(['network'], ['protocol', 'info'], 'lookup_result', 'network'),
  accept: cls(['network'], ['start'], 'connection_accepted', 'network'),
  bind: cls(['network'], ['info'], 'bind', 'network'),
  listen: cls(['network'], ['start'], 'listen', 'network'),
  /** user.id / process.user.id are the ids after the change (Defend's rules test user.id == "0"). */
  uidChange: cls(['process'], ['change'], 'uid_change', 'process'),
  gidChange: cls(['process'], ['change'], 'gid_change', 'process'),
  capset: cls(['process'], ['change'], 'capabilities_change', 'process'),
  ptrace: cls(['process'], ['access'], 'ptrace', 'process'),
  memfd: cls(['process'], ['info'], 'memfd_create', 'process'),
  /** Defend reports module loads as process/start/load_module with process.Ext.load_module.*. */
  loadModule: cls(['driver', 'process'], ['start'], 'load_module', 'process'),
} as const satisfies Record<string, EcsEventClass>;
