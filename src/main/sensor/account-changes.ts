// Account changes (ECS `iam` events) from the shadow-utils tools that make them. Elastic's account
// rules read `iam` events (user or group created, deleted, changed), which Elastic gets from the
// auth log; Kestrel derives them from the tool's own run: which tool, its target (the last
// operand), and its exit status (0 = success), when the tool exits. The tool writes /etc/passwd
// and friends itself, so a run that exits 0 made the change.

export type AccountKind = 'user' | 'group';
export type AccountChangeType = 'creation' | 'deletion' | 'change';

export interface AccountChange {
  kind: AccountKind;
  type: AccountChangeType;
  /** event.action, as Elastic's system integration names it. */
  action: string;
  /** The account the tool acted on, when its command line names one. */
  target?: string;
}

interface ToolSpec {
  kind: AccountKind;
  type: AccountChangeType;
  action: string;
  /** Options that take a value (so the value is not mistaken for the target). */
  valued: string;
}

// Short options with a value, per tool (shadow-utils 4.x); long options use `--opt=value` or
// `--opt value` and are listed by the same letters' long names below.
const TOOLS: Record<string, ToolSpec> = {
  useradd: { kind: 'user', type: 'creation', action: 'added-user-account', valued: 'bcdefgGkKpPRsuU' },
  userdel: { kind: 'user', type: 'deletion', action: 'deleted-user-account', valued: 'PR' },
  usermod: { kind: 'user', type: 'change', action: 'modified-user-account', valued: 'cdefgGlpPRsuvw' },
  groupadd: { kind: 'group', type: 'creation', action: 'added-group-account', valued: 'gKpPR' },
  groupdel: { kind: 'group', type: 'deletion', action: 'deleted-group-account', valued: 'PR' },
  groupmod: { kind: 'group', type: 'change', action: 'modified-group-account', valued: 'gnpPR' },
  passwd: { kind: 'user', type: 'change', action: 'changed-password', valued: 'inrwxP' },
};

const LONG_VALUED = new Set([
  'base-dir', 'comment', 'home-dir', 'expiredate', 'inactive', 'gid', 'groups', 'skel', 'key', 'password', 'prefix', 'root',
  'shell', 'uid', 'selinux-user', 'login', 'new-name', 'add-subuids', 'del-subuids', 'add-subgids', 'del-subgids', 'mindays',
  'maxdays', 'warndays', 'repository',
]);

/** What an exiting process changed, if it is an account tool; null otherwise. */
export function accountChangeOf(name: string, args: readonly string[]): AccountChange | null {
  const spec = TOOLS[name];
  if (!spec) return null;
  let target: string | undefined;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      target = args[i + 1] ?? target;
      break;
    }
    if (a.startsWith('--')) {
      if (!a.includes('=') && LONG_VALUED.has(a.slice(2))) i++;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      // Bundled short options (getopt): the first that takes a value takes the rest of the word,
      // or the next argument when it ends the word (-mu 1001, -u1001).
      for (let j = 1; j < a.length; j++) {
        if (!spec.valued.includes(a[j]!)) continue;
        if (j === a.length - 1) i++;
        break;
      }
      continue;
    }
    target = a;
  }
  return { kind: spec.kind, type: spec.type, action: spec.action, target };
}
