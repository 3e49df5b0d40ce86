// Merges a config file into a command's parsed flags: every setting is also a flag, and a flag
// given on the command line wins over the file. Settings for options the command does not have
// (metrics.listen for `check`, sensor.ring_bytes for `replay`) are left alone.
import type { Command, ParsedArgs } from '../command.js';
import { sinkFlagValue, type LoadedConfig } from './load-config.js';
import { SETTING_BY_KEY, type SettingValue, type SinkSetting } from './settings.js';

/** The flag value a setting stands for, as parseArgs would have produced it. */
export function flagValue(key: string, value: SettingValue): string | boolean | string[] {
  const setting = SETTING_BY_KEY.get(key)!;
  if (setting.kind.type === 'sinks') return (value as SinkSetting[]).map(sinkFlagValue);
  if (setting.kind.type === 'paths' || setting.kind.type === 'names') return value as string[];
  if (setting.kind.type === 'bool') return setting.invert ? !value : (value as boolean);
  return String(value);
}

/** Whether the user gave this flag (or its --no- twin) on the command line. */
function givenOnCommandLine(values: ParsedArgs['values'], flag: string): boolean {
  if (values[flag] !== undefined) return true;
  const twin = flag.startsWith('no-') ? flag.slice(3) : `no-${flag}`;
  return values[twin] !== undefined;
}

/** Fills `args.values` from the config where the command line is silent; returns the keys applied. */
export function applyConfig(cmd: Command, args: ParsedArgs, config: LoadedConfig, globalFlags: readonly string[] = ['log-level']): string[] {
  const applied: string[] = [];
  for (const [key, value] of config.values) {
    const setting = SETTING_BY_KEY.get(key)!;
    const known = setting.flag in cmd.options || globalFlags.includes(setting.flag);
    if (!known || givenOnCommandLine(args.values, setting.flag)) continue;
    const v = flagValue(key, value);
    // A boolean setting that is false stands for "flag absent" (progress = false → --no-progress).
    if (typeof v === 'boolean') {
      if (v) args.values[setting.flag] = true;
      else if (`no-${setting.flag}` in cmd.options) args.values[`no-${setting.flag}`] = true;
    } else args.values[setting.flag] = v;
    applied.push(key);
  }
  return applied;
}
