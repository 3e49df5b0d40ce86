// Entry point of `bin/kestrel`: global flags, subcommand dispatch, --help, and the mapping from
// errors to exit codes. Commands themselves live in src/main/commands/, one file each.
import { parseArgs } from 'node:util';
import { stdoutClosed } from './stdout-closed.js';
import { commands } from './commands/index.js';
import type { Command, CommandContext, ParsedArgs } from './command.js';
import { loadConfigFile } from './config/load-config.js';
import { applyConfig } from './config/apply-config.js';
import { ExitCode, KestrelError, UsageError, exitCodeFor } from '../shared/errors.js';
import { initLogger } from '../shared/log.js';
import { formatError } from './format-error.js';
import { KESTREL_VERSION } from '../shared/version.js';
import { applyWasmTiering } from '../shared/wasm/tiering.js';

// Before any Wasm module is compiled (wasm/tiering.ts).
applyWasmTiering();

/** The command list with each command's summary: loads every command module (help only). */
async function globalHelp(): Promise<string> {
  const loaded = await Promise.all(commands.map((c) => c.load()));
  return `kestrel — on-host behaviour detection with EQL

Usage: kestrel <command> [options]

Commands:
${loaded.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

Global options:
  --log-level L   fatal|error|warn|info|debug|trace|silent (env KESTREL_LOG_LEVEL; default info)
  -h, --help      help for kestrel or for one command
  -v, --version   print Kestrel's version and exit

Run 'kestrel <command> --help' for a command's options.
`;
}

export function commandHelp(cmd: Command): string {
  const lines = [`Usage: kestrel ${cmd.name} ${cmd.usage}`, '', cmd.summary];
  if (cmd.description) lines.push('', cmd.description.trimEnd());
  const opts = Object.entries(cmd.options);
  if (opts.length) {
    lines.push('', 'Options:');
    for (const [name, spec] of opts) {
      const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.arg ?? 'VALUE'}` : ''}`;
      lines.push(`  ${flag.padEnd(28)} ${spec.help}`);
    }
  }
  lines.push('  --log-level L                log level (default info)', '  -h, --help                   this help');
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], ctx: CommandContext = defaultContext()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    ctx.out.write(await globalHelp());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (name === '--version' || name === '-v') {
    ctx.out.write(`kestrel ${KESTREL_VERSION}\n`);
    return ExitCode.ok;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    ctx.err.write(`kestrel: unknown command '${name}'\n\n${await globalHelp()}`);
    return ExitCode.usage;
  }
  const cmd = await entry.load();
  try {
    const options = {
      // parseArgs rejects keys present with an undefined value, so copy only those that are set.
      ...Object.fromEntries(
        Object.entries(cmd.options).map(([k, { type, short, multiple, list, default: dflt }]) => [
          k,
          { type, ...(short !== undefined && { short }), ...((multiple ?? list) !== undefined && { multiple: multiple ?? list }), ...(dflt !== undefined && { default: dflt }) },
        ]),
      ),
      'log-level': { type: 'string' as const },
      help: { type: 'boolean' as const, short: 'h' },
    };
    let parsed;
    try {
      parsed = parseArgs({ args: expandListOptions(cmd, rest), options, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError('usage', `${(e as Error).message}\nRun 'kestrel ${cmd.name} --help' for usage.`);
    }
    // Never ignore an argument silently.
    if (cmd.maxPositionals !== undefined && parsed.positionals.length > cmd.maxPositionals) {
      const extra = parsed.positionals.slice(cmd.maxPositionals);
      throw new UsageError('usage', `unexpected argument${extra.length > 1 ? 's' : ''}: ${extra.join(' ')}\nRun 'kestrel ${cmd.name} --help' for usage.`);
    }
    if (parsed.values.help) {
      ctx.out.write(commandHelp(cmd));
      return ExitCode.ok;
    }
    const args = parsed as ParsedArgs;
    args.flagsGiven = new Set(Object.keys(args.values).filter((k) => args.values[k] !== undefined));
    // Settings from --config fill in what the command line left out (flags win).
    if (typeof args.values.config === 'string') {
      args.config = loadConfigFile(args.values.config);
      applyConfig(cmd, args, args.config);
    }
    initLogger(args.values['log-level'] as string | undefined);
    return await cmd.run(args, ctx);
  } catch (e) {
    ctx.err.write(formatError(e) + '\n');
    if (!(e instanceof KestrelError) && process.env.KESTREL_DEBUG) ctx.err.write(String((e as Error)?.stack) + '\n');
    return exitCodeFor(e);
  }
}

/**
 * `--rules A B C` → `--rules A --rules B --rules C` for list options: every argument after one up
 * to the next option (or `--`) belongs to it. `--rules=A` stays a single value.
 */
export function expandListOptions(cmd: Command, args: readonly string[]): string[] {
  const lists = new Set<string>();
  for (const [name, spec] of Object.entries(cmd.options)) {
    if (!spec.list) continue;
    lists.add(`--${name}`);
    if (spec.short) lists.add(`-${spec.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    out.push(a);
    if (a === '--') {
      out.push(...args.slice(i + 1));
      break;
    }
    if (!lists.has(a)) continue;
    // The first value is taken as is (it may even start with '-', as parseArgs allows).
    if (i + 1 < args.length) out.push(args[++i]!);
    while (i + 1 < args.length && !args[i + 1]!.startsWith('-')) out.push(a, args[++i]!);
  }
  return out;
}

function defaultContext(): CommandContext {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') return stdoutClosed();
    throw e;
  });
  return { out: process.stdout, err: process.stderr, stdin: process.stdin };
}
