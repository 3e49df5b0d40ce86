// What the sensor captures beyond its fixed events, worked out from the loaded rules (and the
// configuration): which environment variables an exec keeps in process.env_vars, and which file
// and folder names make a read-only open an event. Taking both from the rules keeps the volume to
// what some rule could match: the kernel drops every other read-only open after one hash lookup.
import type { EventFilter, Expr, Query } from '../../shared/eql/ast.js';
import { parseQuery } from '../../shared/eql/parser.js';

export interface CapturePlan {
  /** Names kept in process.env_vars. */
  envNames: string[];
  /** Read-only opens of files with these names are reported… */
  watchFiles: string[];
  /** …and of any file directly inside a folder with one of these names. */
  watchDirs: string[];
}

/** The kernel's key size (KESTREL_WATCH_NAME_LEN) less its NUL. */
export const MAX_WATCH_NAME_BYTES = 31;
export const MAX_WATCH_FILES = 512;
export const MAX_WATCH_DIRS = 128;

/** Used by `kestrel record` (no rules) and added to what the rules ask for: the variables Elastic's
 * Linux rules read (preload and tunables hijacks, history evasion, proxy tunnelling). */
export const DEFAULT_ENV_NAMES = [
  'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'GLIBC_TUNABLES',
  'HISTFILE', 'HISTFILESIZE', 'HISTSIZE', 'HISTCONTROL', 'HISTIGNORE', 'PROMPT_COMMAND',
  'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy',
];

/** Used by `kestrel record` (no rules to take names from): credential stores, password and key
 * files, shell histories. */
export const DEFAULT_WATCH_FILES = [
  'shadow', 'gshadow', 'shadow-', 'gshadow-', 'sudoers', 'opasswd',
  'id_rsa', 'id_dsa', 'id_ecdsa', 'id_ed25519', '.bash_history', '.zsh_history', '.sh_history',
  '.mysql_history', '.psql_history', '.python_history', '.netrc', '.pgpass', '.git-credentials', '.my.cnf',
];
export const DEFAULT_WATCH_DIRS = ['.ssh', '.aws', '.gnupg', '.kube', '.docker'];

const FILE_FIELDS = new Set(['file.path', 'file.name']);
const ENV_FIELDS = new Set(['process.env_vars']);
/** event.action / event.type values that a read-only open carries (Kestrel's, auditd's). */
const READ_VALUES = new Set(['open', 'opened-file', 'access']);
const WILDCARD = /[*?]/;
/** Folders read all the time (libraries, configuration, /proc): a rule asking for "any file in
 * /etc" cannot be served by an in-kernel name filter without reporting most reads on the host. */
const HOT_DIRS = new Set(['', 'etc', 'lib', 'lib64', 'lib32', 'usr', 'bin', 'sbin', 'share', 'proc', 'sys', 'dev', 'tmp', 'var', 'run', 'x86_64-linux-gnu', 'aarch64-linux-gnu', 'node_modules', 'site-packages', 'root', 'home']);
/** Files every program reads (name service, dynamic linker, locale, a shell's start-up files, git's
 * and kubectl's "config"): watching them would report most process starts. Rules that name them
 * still see their writes. */
const HOT_FILES = new Set(['.bashrc', '.profile', '.bash_profile', '.bash_login', '.bash_logout', '.zshrc', '.zshenv', '.zprofile', 'bash.bashrc', 'profile', 'config', 'machine-id', 'passwd', 'group', 'hosts', 'nsswitch.conf', 'resolv.conf', 'ld.so.cache', 'ld.so.preload', 'localtime', 'locale.alias', 'host.conf', 'gai.conf', 'os-release', 'meminfo', 'cpuinfo', 'stat', 'status', 'maps', 'cmdline', 'login.defs']);

interface FilterFacts {
  /** Literals the filter compares event.action / event.type with, outside any negation. */
  kinds: string[];
  /** Literals compared with file.path / file.name, outside any negation. */
  paths: { field: string; value: string }[];
}

/** Collects the positive (not negated) literal comparisons of an expression. */
function collect(e: Expr, facts: FilterFacts, env: string[], negated: boolean): void {
  switch (e.kind) {
    case 'logical':
      for (const o of e.operands) collect(o, facts, env, negated);
      return;
    case 'not':
      collect(e.operand, facts, env, !negated);
      return;
    case 'compare':
      if (e.op === '==') note(e.left, [e.right], facts, env, negated);
      return;
    case 'in':
      note(e.expr, e.values, facts, env, negated || e.negated, e.insensitive);
      return;
    case 'match':
      if (e.op !== 'regex') note(e.expr, e.patterns, facts, env, negated || e.negated, e.insensitive || e.op === ':');
      return;
    default:
      return;
  }
}

function note(target: Expr, values: Expr[], facts: FilterFacts, env: string[], negated: boolean, insensitive = false): void {
  if (target.kind !== 'field') return;
  const field = target.path.join('.');
  const literals = values.flatMap((v) => (v.kind === 'literal' && typeof v.value === 'string' ? [v.value] : []));
  if (ENV_FIELDS.has(field)) {
    // "LD_PRELOAD=*", "*GLIBC_TUNABLES=glibc.*": the name is what precedes "=", once any leading
    // wildcard is dropped. Negated mentions count too: an exclusion needs the variable to be seen.
    for (const text of literals) {
      const name = text.replace(/^[*?]+/, '').split('=')[0]!;
      if (!name || WILDCARD.test(name)) continue;
      env.push(name);
      if (insensitive) env.push(name.toUpperCase(), name.toLowerCase());
    }
    return;
  }
  if (negated) return;
  if (field === 'event.action' || field === 'event.type') facts.kinds.push(...literals.map((l) => l.toLowerCase()));
  else if (FILE_FIELDS.has(field)) facts.paths.push(...literals.map((value) => ({ field, value })));
}

/** Whether a filter could select a read-only open: it names no action/type, or names a read's. */
function admitsReads(f: EventFilter, facts: FilterFacts): boolean {
  if (f.category !== null && f.category !== 'file') return false;
  return facts.kinds.length === 0 || facts.kinds.some((k) => READ_VALUES.has(k));
}

function filtersOf(q: Query): EventFilter[] {
  if (q.kind === 'event') return [q.filter];
  const steps = q.steps.map((s) => s.filter);
  return 'until' in q && q.until ? [...steps, q.until.filter] : steps;
}

export interface CapturePlanOptions {
  /** Extra names from the configuration (sensor.capture_env_vars, sensor.watch_reads). */
  envNames?: readonly string[];
  watchFiles?: readonly string[];
  watchDirs?: readonly string[];
}

export interface CapturePlanResult extends CapturePlan {
  /** Names a rule asked for that the kernel cannot watch (too long, or past the caps). */
  dropped: string[];
  /** Names left out because nearly every process reads them (HOT_FILES, HOT_DIRS; folders end in "/"). */
  hot: string[];
  /** Patterns with a wildcard in the file name ("shadow*", "*.pem"): no exact name to watch. */
  partial: string[];
}

/** The capture plan for these rule queries (EQL texts; unparseable ones are ignored, as the
 * checker has already reported them). */
export function capturePlanOf(queries: readonly string[], o: CapturePlanOptions = {}): CapturePlanResult {
  const env = new Set<string>([...DEFAULT_ENV_NAMES, ...(o.envNames ?? [])]);
  const hot = new Set<string>();
  const partial = new Set<string>();
  const files = new Set<string>(o.watchFiles ?? []);
  const dirs = new Set<string>(o.watchDirs ?? []);
  for (const text of queries) {
    let q: Query;
    try {
      q = parseQuery(text);
    } catch {
      continue;
    }
    for (const f of filtersOf(q)) {
      const facts: FilterFacts = { kinds: [], paths: [] };
      const envNames: string[] = [];
      collect(f.where, facts, envNames, false);
      for (const n of envNames) env.add(n);
      if (!admitsReads(f, facts)) continue;
      for (const { field, value } of facts.paths) {
        const parts = value.split('/');
        const last = parts.at(-1)!;
        if (last && !WILDCARD.test(last)) {
          if (HOT_FILES.has(last)) hot.add(last);
          else files.add(last);
        } else if (last === '*' && field === 'file.path' && parts.length > 2) {
          // "/root/.ssh/*": every file directly in that folder.
          const folder = parts.at(-2)!;
          if (WILDCARD.test(folder) || HOT_DIRS.has(folder)) hot.add(`${folder}/`);
          else dirs.add(folder);
        } else {
          partial.add(value);
        }
      }
    }
  }
  const dropped: string[] = [];
  const fit = (names: Set<string>, cap: number): string[] => {
    const out: string[] = [];
    for (const n of [...names].sort()) {
      if (Buffer.byteLength(n) > MAX_WATCH_NAME_BYTES || n.includes('/') || out.length >= cap) dropped.push(n);
      else out.push(n);
    }
    return out;
  };
  return { envNames: [...env].sort(), watchFiles: fit(files, MAX_WATCH_FILES), watchDirs: fit(dirs, MAX_WATCH_DIRS), dropped, hot: [...hot].sort(), partial: [...partial].sort() };
}

/** The plan for `kestrel record`, which has no rules: the defaults. */
export function defaultCapturePlan(o: CapturePlanOptions = {}): CapturePlanResult {
  return capturePlanOf([], {
    envNames: o.envNames,
    watchFiles: [...DEFAULT_WATCH_FILES, ...(o.watchFiles ?? [])],
    watchDirs: [...DEFAULT_WATCH_DIRS, ...(o.watchDirs ?? [])],
  });
}
