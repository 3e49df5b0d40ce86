// One sink URL (`--sink`, `[[sinks]] url`) → a typed description of where alerts go and how.
//
// It exists so every option is checked once, before anything opens: a typo in `min_severity` or
// `max_bytes` is a usage error at start-up with the offending text in the message, not a sink that
// silently behaves differently. The sink `name` it computes is also the sink's identity: the label
// in metrics and logs and the key of its spool folder, so it leaves out the password (and options,
// which may change between runs without orphaning a spool). Forms and options: docs/sinks.md.
import { UsageError } from '../../shared/errors.js';
import type { AlertSeverity } from './types.js';

export type FsyncPolicy = 'always' | 'interval' | 'never';

interface Common {
  /** The URL without password or options: metrics label, log label, spool key. */
  readonly name: string;
  /** Alerts below this severity are never offered to the sink. */
  readonly minSeverity: AlertSeverity;
}

export interface StdoutSinkSpec extends Common {
  readonly kind: 'stdout';
}

export interface FileSinkSpec extends Common {
  readonly kind: 'file';
  /** As written (relative paths are relative to the working directory). */
  readonly path: string;
  /** Rotate before the file would exceed this many bytes; undefined = never rotate. */
  readonly maxBytes: number | undefined;
  /** Rotated files kept beside the live one (`.1` … `.keep`). */
  readonly keep: number;
  readonly fsync: FsyncPolicy;
}

/** Options every spooled (network) sink has. */
export interface SpooledSinkOptions {
  /** Most alerts per delivery attempt. */
  readonly batch: number;
  /** Spool size bound; alerts beyond it are dropped (counted). */
  readonly spoolMaxBytes: number;
}

export interface WebhookSinkSpec extends Common, SpooledSinkOptions {
  readonly kind: 'webhook';
  /** The URL requests go to: credentials and Kestrel's own options removed. */
  readonly url: string;
  /** `Authorization` value from user:password in the URL, if any. */
  readonly authorization: string | undefined;
  readonly timeoutMs: number;
}

export interface RedisSinkSpec extends Common, SpooledSinkOptions {
  readonly kind: 'redis';
  /** redis[s]://[user:pass@]host:port[/db] as node-redis takes it. */
  readonly url: string;
  readonly stream: string;
  /** Approximate stream length cap (`XADD … MAXLEN ~ n`). */
  readonly maxlen: number;
}

export interface NatsSinkSpec extends Common, SpooledSinkOptions {
  readonly kind: 'nats';
  /** host:port */
  readonly server: string;
  readonly subject: string;
  /** JetStream stream that captures `subject`; created when missing. */
  readonly stream: string;
  readonly user: string | undefined;
  readonly pass: string | undefined;
  /** A user with no password in the URL is a token (nats://TOKEN@host:port). */
  readonly token: string | undefined;
}

export type SinkSpec = StdoutSinkSpec | FileSinkSpec | WebhookSinkSpec | RedisSinkSpec | NatsSinkSpec;

export const SEVERITY_ORDER: readonly AlertSeverity[] = ['low', 'medium', 'high', 'critical'];

export const DEFAULTS = {
  keep: 5,
  fsync: 'interval' as FsyncPolicy,
  batch: 100,
  spoolMaxBytes: 256 * 1024 * 1024,
  redisMaxlen: 100_000,
  natsStream: 'KESTREL_ALERTS',
  webhookTimeoutMs: 10_000,
};

/** Options any sink takes. */
const COMMON_OPTIONS = ['min_severity'];
const SPOOL_OPTIONS = ['batch', 'spool_max_bytes'];
const OPTIONS: Record<SinkSpec['kind'], readonly string[]> = {
  stdout: COMMON_OPTIONS,
  file: [...COMMON_OPTIONS, 'max_bytes', 'keep', 'fsync'],
  webhook: [...COMMON_OPTIONS, ...SPOOL_OPTIONS, 'timeout_ms'],
  redis: [...COMMON_OPTIONS, ...SPOOL_OPTIONS, 'maxlen'],
  nats: [...COMMON_OPTIONS, ...SPOOL_OPTIONS, 'stream'],
};

/** Query parameters whose values look like secrets are shown as *** in a webhook's name. */
const SECRET_PARAM = /token|key|secret|pass|sig|auth|code/i;

function fail(text: string, why: string, hint?: string): never {
  throw new UsageError('sink.url', `bad sink ${JSON.stringify(text)}: ${why}`, hint ? { hint } : {});
}

/**
 * Parses one sink URL. Forms: `stdout`, `file:PATH`, `http(s)://…`, `redis://HOST:PORT/STREAM`,
 * `nats://HOST:PORT/SUBJECT`, each with options as query parameters (a webhook also takes them
 * after `#`). Throws UsageError naming the URL and the problem.
 */
export function parseSinkUrl(text: string): SinkSpec {
  const t = text.trim();
  if (t === '') fail(text, 'empty');
  if (t === 'stdout' || t.startsWith('stdout?') || t === '-') return parseStdout(text, t);
  if (/^file:/i.test(t)) return parseFile(text, t);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(t)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') return parseWebhook(text, t);
  if (scheme === 'redis' || scheme === 'rediss') return parseRedis(text, t);
  if (scheme === 'nats') return parseNats(text, t);
  return fail(text, scheme ? `unknown scheme ${scheme}://` : 'not a sink URL', 'sinks are stdout, file:PATH, http(s)://…, redis://HOST:PORT/STREAM or nats://HOST:PORT/SUBJECT');
}

/** Parses `a=1&b=2` into a map, refusing names the sink does not know and repeated names. */
function readOptions(text: string, kind: SinkSpec['kind'], query: string, into: Map<string, string> = new Map()): Map<string, string> {
  for (const [k, v] of new URLSearchParams(query)) {
    if (!OPTIONS[kind].includes(k)) fail(text, `unknown option ${JSON.stringify(k)} for a ${kind} sink`, `${kind} sinks take: ${OPTIONS[kind].join(', ')}`);
    if (into.has(k)) fail(text, `option ${k} given twice`);
    into.set(k, v);
  }
  return into;
}

function minSeverity(text: string, opts: Map<string, string>): AlertSeverity {
  const v = opts.get('min_severity');
  if (v === undefined) return 'low';
  if (!(SEVERITY_ORDER as readonly string[]).includes(v)) fail(text, `min_severity must be one of ${SEVERITY_ORDER.join(', ')}, not ${JSON.stringify(v)}`);
  return v as AlertSeverity;
}

function integer(text: string, opts: Map<string, string>, key: string, min: number, max: number, dflt: number): number {
  const v = opts.get(key);
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) fail(text, `${key} must be an integer from ${min} to ${max}, not ${JSON.stringify(v)}`);
  return Number(v);
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kib: 1024, kb: 1000, m: 1024 ** 2, mib: 1024 ** 2, mb: 1000 ** 2, g: 1024 ** 3, gib: 1024 ** 3, gb: 1000 ** 3 };

/** `100MiB`, `64k`, `1000000`: binary units for K/KiB/M/MiB/G/GiB, decimal for KB/MB/GB. */
export function parseSize(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) return undefined;
  const n = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(n) ? n : undefined;
}

function size(text: string, opts: Map<string, string>, key: string, min: number): number | undefined {
  const v = opts.get(key);
  if (v === undefined) return undefined;
  const n = parseSize(v);
  if (n === undefined || n < min) fail(text, `${key} must be a size of at least ${min} bytes such as 100MiB, not ${JSON.stringify(v)}`);
  return n;
}

function spooled(text: string, opts: Map<string, string>): SpooledSinkOptions {
  return {
    batch: integer(text, opts, 'batch', 1, 10_000, DEFAULTS.batch),
    spoolMaxBytes: size(text, opts, 'spool_max_bytes', 4096) ?? DEFAULTS.spoolMaxBytes,
  };
}

function parseStdout(text: string, t: string): StdoutSinkSpec {
  const q = t.indexOf('?');
  const opts = readOptions(text, 'stdout', q < 0 ? '' : t.slice(q + 1));
  return { kind: 'stdout', name: 'stdout', minSeverity: minSeverity(text, opts) };
}

function parseFile(text: string, t: string): FileSinkSpec {
  let rest = t.slice('file:'.length);
  if (rest.startsWith('//')) {
    // file:///abs/path is the URL form of file:/abs/path; file://host/… names a remote host.
    if (!rest.startsWith('///')) fail(text, 'file:// must be followed by an absolute path (file:///var/log/alerts.ndjson)', 'or write file:PATH');
    rest = rest.slice(2);
  }
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  if (path === '') fail(text, 'file: needs a path (file:alerts.ndjson)');
  const opts = readOptions(text, 'file', q < 0 ? '' : rest.slice(q + 1));
  const fsync = opts.get('fsync') ?? DEFAULTS.fsync;
  if (fsync !== 'always' && fsync !== 'interval' && fsync !== 'never') fail(text, `fsync must be always, interval or never, not ${JSON.stringify(fsync)}`);
  return {
    kind: 'file',
    name: `file:${path}`,
    minSeverity: minSeverity(text, opts),
    path,
    maxBytes: size(text, opts, 'max_bytes', 1024),
    keep: integer(text, opts, 'keep', 0, 1000, DEFAULTS.keep),
    fsync,
  };
}

function parseUrl(text: string, t: string): URL {
  try {
    return new URL(t);
  } catch {
    return fail(text, 'not a valid URL');
  }
}

function hostPort(text: string, u: URL, defaultPort: number): string {
  if (u.hostname === '') fail(text, 'no host');
  return `${u.hostname}:${u.port === '' ? defaultPort : u.port}`;
}

/** user (no password) for names: the password never appears in a label or log line. */
function userPart(u: URL): string {
  return u.username === '' ? '' : `${u.username}@`;
}

function parseWebhook(text: string, t: string): WebhookSinkSpec {
  const u = parseUrl(text, t);
  // Kestrel's options: everything after '#', and the documented names among the query parameters
  // (stripped, so the receiver sees only its own parameters).
  const opts = readOptions(text, 'webhook', u.hash.slice(1));
  const own = new URLSearchParams();
  for (const [k, v] of u.searchParams) {
    if (OPTIONS.webhook.includes(k)) {
      if (opts.has(k)) fail(text, `option ${k} given twice`);
      opts.set(k, v);
    } else own.append(k, v);
  }
  const authorization = u.username === '' ? undefined : `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
  const clean = new URL(u.href);
  clean.hash = '';
  clean.username = '';
  clean.password = '';
  clean.search = own.toString();
  const shown = new URL(clean.href);
  shown.search = '';
  const labelQuery = [...own].map(([k, v]) => `${encodeURIComponent(k)}=${SECRET_PARAM.test(k) ? '***' : encodeURIComponent(v)}`).join('&');
  const name = `${shown.protocol}//${userPart(u)}${shown.host}${shown.pathname}${labelQuery ? `?${labelQuery}` : ''}`;
  return {
    kind: 'webhook',
    name,
    minSeverity: minSeverity(text, opts),
    ...spooled(text, opts),
    url: clean.href,
    authorization,
    timeoutMs: integer(text, opts, 'timeout_ms', 100, 600_000, DEFAULTS.webhookTimeoutMs),
  };
}

/** Splits `/name` (the first path segment, percent-decoded) off a redis:// or nats:// URL. */
function pathName(text: string, u: URL, what: string, example: string): string {
  const p = u.pathname.replace(/^\//, '');
  if (p === '' || p.includes('/')) fail(text, `needs one ${what} after the host (${example})`);
  try {
    return decodeURIComponent(p);
  } catch {
    return fail(text, `bad percent-encoding in the ${what}`);
  }
}

function parseRedis(text: string, t: string): RedisSinkSpec {
  const u = parseUrl(text, t);
  if (u.hash) fail(text, 'options go in the query (?maxlen=…), not after #');
  const opts = readOptions(text, 'redis', u.search.slice(1));
  const stream = pathName(text, u, 'stream name', 'redis://127.0.0.1:6379/kestrel:alerts');
  const host = hostPort(text, u, 6379);
  const auth = u.username || u.password ? `${u.username}:${u.password}@` : '';
  return {
    kind: 'redis',
    name: `${u.protocol}//${userPart(u)}${host}/${u.pathname.slice(1)}`,
    minSeverity: minSeverity(text, opts),
    ...spooled(text, opts),
    url: `${u.protocol}//${auth}${host}`,
    stream,
    maxlen: integer(text, opts, 'maxlen', 1, 2 ** 40, DEFAULTS.redisMaxlen),
  };
}

function parseNats(text: string, t: string): NatsSinkSpec {
  const u = parseUrl(text, t);
  if (u.hash) fail(text, 'options go in the query (?stream=…), not after #');
  const opts = readOptions(text, 'nats', u.search.slice(1));
  const subject = pathName(text, u, 'subject', 'nats://127.0.0.1:4222/kestrel.alerts');
  if (/[\s*>]/.test(subject)) fail(text, `the subject ${JSON.stringify(subject)} must be a plain subject (no spaces or wildcards)`);
  const stream = opts.get('stream') ?? DEFAULTS.natsStream;
  if (!/^[A-Za-z0-9_-]+$/.test(stream)) fail(text, `stream must be letters, digits, _ or -, not ${JSON.stringify(stream)}`);
  const server = hostPort(text, u, 4222);
  const user = u.username === '' ? undefined : decodeURIComponent(u.username);
  const pass = u.password === '' ? undefined : decodeURIComponent(u.password);
  const token = user !== undefined && pass === undefined ? user : undefined;
  return {
    kind: 'nats',
    // A token is a secret: it is left out of the name like a password.
    name: `nats://${token === undefined ? userPart(u) : ''}${server}/${u.pathname.slice(1)}`,
    minSeverity: minSeverity(text, opts),
    ...spooled(text, opts),
    server,
    subject,
    stream,
    user: token === undefined ? user : undefined,
    pass,
    token,
  };
}

/** True if an alert of `severity` reaches a sink whose minimum is `min`. */
export function severityAtLeast(severity: AlertSeverity, min: AlertSeverity): boolean {
  return SEVERITY_ORDER.indexOf(severity) >= SEVERITY_ORDER.indexOf(min);
}
