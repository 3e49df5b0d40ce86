// `kestrel config check FILE`: checks a config file the way `run --config` will read it and
// prints what each setting becomes — the flag it stands for and what a SIGHUP does when it
// changes — so an operator can validate a file before restarting a service with it.
import type { Command } from '../command.js';
import { ExitCode, UsageError } from '../../shared/errors.js';
import { loadConfigFile } from '../config/load-config.js';
import { flagValue } from '../config/apply-config.js';
import { SETTING_BY_KEY, SETTINGS } from '../config/settings.js';

const RELOAD_WORDS = { rules: 'reloads the rules', sinks: 'reopens changed sinks', caps: 'new caps for the next ruleset generation', log: 'applied at once', restart: 'needs a restart' } as const;

export const configCommand: Command = {
  name: 'config',
  summary: 'check a config file (kestrel config check FILE) or list the settings (kestrel config settings)',
  usage: 'check FILE | settings',
  maxPositionals: 2,
  description: `A config file (TOML) holds the settings of run and replay (--config FILE); every setting
is also a flag, and a flag given on the command line wins. packaging/kestrel.toml is a commented
example. 'check' exits 0 when the file is valid and 2 with file:line:col and a caret when not.`,
  options: {},
  async run(args, ctx) {
    const [sub, file] = args.positionals;
    if (sub === 'settings') {
      for (const s of SETTINGS) ctx.out.write(`${s.key.padEnd(26)} --${(s.invert ? s.flag : s.flag).padEnd(22)} ${s.help} (SIGHUP: ${RELOAD_WORDS[s.reload]})\n`);
      return ExitCode.ok;
    }
    if (sub !== 'check' || !file) throw new UsageError('usage', "usage: kestrel config check FILE | kestrel config settings");
    const config = loadConfigFile(file);
    ctx.out.write(`${file}: ok, ${config.values.size} setting(s)\n`);
    for (const [key, value] of config.values) {
      const s = SETTING_BY_KEY.get(key)!;
      const v = flagValue(key, value);
      const shown = Array.isArray(v) ? v.map((x) => `--${s.flag} ${x}`).join(' ') : typeof v === 'boolean' ? (v ? `--${s.flag}` : `(no --${s.flag})`) : `--${s.flag} ${v}`;
      ctx.out.write(`  ${key.padEnd(26)} ${shown}  [SIGHUP: ${RELOAD_WORDS[s.reload]}]\n`);
    }
    return ExitCode.ok;
  },
};
