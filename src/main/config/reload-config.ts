// SIGHUP with --config: re-reads the file and works out what changed. Rules, sinks, caps and the
// log level can change under a running engine; the rest (workers, engine, sensor ring, metrics
// address, outputs) needs a restart and is reported as such. A setting also given as a flag
// keeps the flag's value (flags win, on reload too). A file that fails to check changes nothing.
import type { ParsedArgs } from '../command.js';
import { logger } from '../../shared/log.js';
import { parseCaps, type Caps } from '../commands/options.js';
import { flagValue } from './apply-config.js';
import { loadConfigFile, type LoadedConfig } from './load-config.js';
import { SETTING_BY_KEY, type ReloadEffect } from './settings.js';

export interface ConfigChange {
  key: string;
  effect: ReloadEffect | 'flag wins' | 'removed';
}

export interface ConfigReload {
  config: LoadedConfig;
  changed: ConfigChange[];
  /** New values to apply, present only when they changed and apply in place. */
  values: { rules?: string[]; caps?: Caps; sinks?: string[] };
}

export function reloadConfig(previous: LoadedConfig, args: ParsedArgs): ConfigReload {
  const config = loadConfigFile(previous.path);
  const changed: ConfigChange[] = [];
  const values: ConfigReload['values'] = {};
  const given = args.flagsGiven ?? new Set<string>();
  const keys = new Set([...previous.values.keys(), ...config.values.keys()]);
  let capsChanged = false;
  for (const key of keys) {
    const before = previous.values.get(key);
    const after = config.values.get(key);
    if (JSON.stringify(before) === JSON.stringify(after)) continue;
    const setting = SETTING_BY_KEY.get(key)!;
    if (given.has(setting.flag) || given.has(`no-${setting.flag}`)) {
      changed.push({ key, effect: 'flag wins' });
      continue;
    }
    if (after === undefined && setting.reload !== 'sinks') {
      // Without the setting the flag default would apply, which may need a restart: keep it.
      changed.push({ key, effect: 'removed' });
      continue;
    }
    changed.push({ key, effect: setting.reload });
    if (setting.reload === 'rules') values.rules = flagValue(key, after!) as string[];
    else if (setting.reload === 'sinks') values.sinks = after === undefined ? [] : (flagValue(key, after) as string[]);
    else if (setting.reload === 'caps') capsChanged = true;
    else if (setting.reload === 'log') logger().level = String(after);
  }
  if (capsChanged) {
    // The caps as the flags + new file give them (flags win), defaults for the rest.
    const merged: Record<string, unknown> = {};
    for (const flag of ['max-partials', 'max-partials-per-key', 'max-partials-total']) {
      const key = [...SETTING_BY_KEY.values()].find((s) => s.flag === flag)!.key;
      merged[flag] = given.has(flag) ? args.values[flag] : config.values.has(key) ? String(config.values.get(key)) : undefined;
    }
    values.caps = parseCaps(merged);
  }
  return { config, changed, values };
}

export function describeConfigReload(r: ConfigReload): string {
  const words: Record<ConfigChange['effect'], string> = {
    rules: 'rules reloaded',
    sinks: 'sinks reopened',
    caps: 'new caps from the next ruleset generation',
    log: 'applied',
    restart: 'needs a restart to take effect',
    'flag wins': 'ignored: given as a flag, which wins',
    removed: 'removed from the file: the current value stays until a restart',
  };
  return `config ${r.config.path} reloaded: ${r.changed.map((c) => `${c.key} (${words[c.effect]})`).join(', ')}`;
}
