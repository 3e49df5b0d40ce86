// Reads and checks a config file (TOML; packaging/kestrel.toml is the commented example). Every
// problem is reported at file:line:col with a caret, like a rule error, and nothing is half
// applied: a file either checks completely or is refused. Relative paths in the file are taken
// relative to the file's folder, so a config works from any working directory.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { InputError, type Span } from '../../shared/errors.js';
import { isSeverity } from '../../shared/rules/fields.js';
import { SEVERITY_MESSAGE } from '../../shared/rules/fields.js';
import { SETTING_BY_KEY, SETTING_TABLES, SETTINGS, type Setting, type SettingValue, type SinkSetting } from './settings.js';
import { tomlKeyPositions, type KeyPosition } from './toml-positions.js';

export interface LoadedConfig {
  path: string;
  text: string;
  /** Checked values by setting key (only the settings the file gives). */
  values: Map<string, SettingValue>;
}

export class ConfigError extends InputError {}

/** Most bytes a config file may have: it is a handful of settings, not data. */
const MAX_CONFIG_BYTES = 1 << 20;

export function loadConfigFile(path: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new ConfigError('config.unreadable', `cannot read config ${path}: ${why}`, { file: path, cause: e });
  }
  if (text.length > MAX_CONFIG_BYTES) throw new ConfigError('config.size', `config ${path} is larger than ${MAX_CONFIG_BYTES} bytes`, { file: path });
  return checkConfigText(path, text);
}

export function checkConfigText(path: string, text: string): LoadedConfig {
  const source = { name: path, text };
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    const offset = offsetOf(text, e.line, e.column);
    const message = e.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    throw new ConfigError('config.syntax', `TOML syntax: ${message}`, { file: path, span: { start: offset, end: offset + 1 }, source });
  }
  const positions = tomlKeyPositions(text);
  const fail = (key: string, message: string, at: 'key' | 'value' = 'value'): never => {
    const p = positions.get(key);
    const span: Span | undefined = p ? (at === 'key' ? { start: p.keyStart, end: p.keyEnd } : valueSpan(text, p)) : undefined;
    throw new ConfigError('config.invalid', message, { file: path, span, source });
  };
  const values = new Map<string, SettingValue>();
  const base = dirname(resolve(path));
  const visit = (obj: Record<string, unknown>, prefix: string) => {
    for (const [name, value] of Object.entries(obj)) {
      const key = prefix ? `${prefix}.${name}` : name;
      const setting = SETTING_BY_KEY.get(key);
      if (setting) {
        values.set(key, checkValue(setting, value, base, (m, at) => fail(key, m, at), (k, m) => fail(k, m)));
        continue;
      }
      if (SETTING_TABLES.has(key) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        visit(value as Record<string, unknown>, key);
        continue;
      }
      const known = SETTINGS.map((s) => s.key).join(', ');
      fail(key, SETTING_TABLES.has(key) ? `${key} must be a table ([${key}])` : `unknown setting ${key} (known: ${known})`, 'key');
    }
  };
  visit(doc, '');
  return { path, text, values };
}

function checkValue(
  setting: Setting,
  value: unknown,
  base: string,
  fail: (message: string, at?: 'key' | 'value') => never,
  failAt: (key: string, message: string) => never,
): SettingValue {
  const k = setting.kind;
  const name = setting.key;
  switch (k.type) {
    case 'int': {
      if (typeof value !== 'number' || !Number.isInteger(value)) fail(`${name} must be an integer`);
      const n = value as number;
      if (n < k.min || n > k.max) fail(`${name} must be from ${k.min} to ${k.max}`);
      if (k.powerOfTwo && (n & (n - 1)) !== 0) fail(`${name} must be a power of two`);
      return n;
    }
    case 'enum':
      if (typeof value !== 'string' || !k.values.includes(value)) fail(`${name} must be one of ${k.values.map((v) => `"${v}"`).join(', ')}`);
      return value as string;
    case 'bool':
      if (typeof value !== 'boolean') fail(`${name} must be true or false`);
      return value as boolean;
    case 'path':
      if (typeof value !== 'string' || value === '') fail(`${name} must be a non-empty string (a path)`);
      return resolve(base, value as string);
    case 'paths': {
      const list = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === 'string' && p !== '')) fail(`${name} must be a path or a non-empty list of paths`);
      return (list as string[]).map((p) => resolve(base, p));
    }
    case 'names': {
      const list = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && p !== '')) fail(`${name} must be a name or a list of names`);
      return list as string[];
    }
    case 'address':
      if (typeof value !== 'string' || !parseListenAddress(value)) fail(`${name} must be "HOST:PORT" (e.g. "127.0.0.1:9464"; port 0 picks a free one)`);
      return value as string;
    case 'sinks': {
      if (!Array.isArray(value)) fail(`${name} must be [[sinks]] tables (or a list of sink URLs)`);
      return (value as unknown[]).map((entry, i): SinkSetting => {
        const at = `${name}[${i}]`;
        if (typeof entry === 'string') return { url: fileUrlFrom(base, entry), options: {} };
        if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) fail(`${at} must be a table with url = "…" or a URL string`);
        const { url, min_severity: minSeverity, ...rest } = entry as Record<string, unknown>;
        if (typeof url !== 'string' || url === '') failAt(at, `${at} needs url = "…" (stdout, file:PATH, http(s)://…, redis://HOST:PORT/STREAM, nats://HOST:PORT/SUBJECT)`);
        if (minSeverity !== undefined && !isSeverity(minSeverity)) failAt(`${at}.min_severity`, `${at}.min_severity ${SEVERITY_MESSAGE}`);
        const options: Record<string, string> = {};
        for (const [key, v] of Object.entries(rest)) {
          if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') failAt(`${at}.${key}`, `${at}.${key} must be a string, number or boolean`);
          options[key] = String(v);
        }
        return { url: fileUrlFrom(base, url as string), ...(minSeverity !== undefined && { minSeverity }), options } as SinkSetting;
      });
    }
  }
}

/** A `file:` sink's relative path is the config file's, like every other path in it. */
function fileUrlFrom(base: string, url: string): string {
  if (!url.startsWith('file:') || url.startsWith('file:/')) return url;
  return `file:${resolve(base, url.slice('file:'.length))}`;
}

/** "HOST:PORT" or "[v6]:PORT" → parts, or undefined. */
export function parseListenAddress(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? m[2]!, port };
}

/** A sink setting as the `--sink` string it stands for (options become query parameters). */
export function sinkFlagValue(s: SinkSetting): string {
  const params = new URLSearchParams(s.options);
  if (s.minSeverity) params.set('min_severity', s.minSeverity);
  const query = params.toString();
  if (!query) return s.url;
  return `${s.url}${s.url.includes('?') ? '&' : '?'}${query}`;
}

function valueSpan(text: string, p: KeyPosition): Span {
  let end = text.indexOf('\n', p.valueStart);
  if (end < 0) end = text.length;
  const hash = text.slice(p.valueStart, end).search(/\s+#/);
  if (hash > 0) end = p.valueStart + hash;
  return { start: p.valueStart, end: Math.max(end, p.valueStart + 1) };
}

function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  return Math.min(text.length, offset + Math.max(0, column - 1));
}
