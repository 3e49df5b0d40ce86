// The shape every CLI subcommand has. Commands are plain data plus a run function, so `--help`
// output, option parsing and dispatch are written once, in cli.ts.
import type { ParseArgsConfig } from 'node:util';
import type { LoadedConfig } from './config/load-config.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & {
  /** One line for --help, e.g. "F  event time field (default @timestamp)". */
  help: string;
  /** Placeholder shown in --help for string options. */
  arg?: string;
  /**
   * A list option (`--rules A B C`): takes every following argument up to the next option, as
   * well as being repeatable. Implies multiple.
   */
  list?: boolean;
};

export interface CommandContext {
  /** Where results/alerts go (stdout unless redirected by a test). */
  out: NodeJS.WritableStream;
  /** Where human-readable diagnostics go (stderr). */
  err: NodeJS.WritableStream;
  /** Reads standard input fully (for '-' arguments). */
  stdin: NodeJS.ReadableStream;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  /** The --config file, already merged into `values` (kept for SIGHUP reloads). */
  config?: LoadedConfig;
  /** The flags given on the command line (they win over the config file, also on reload). */
  flagsGiven?: ReadonlySet<string>;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Usage line(s) after "kestrel NAME ", e.g. "[options] 'QUERY' FILE...". */
  usage: string;
  /** Longer explanation printed by --help under the usage line. */
  description?: string;
  options: Record<string, OptionSpec>;
  /** Most positional arguments the command takes (default: no limit); extra ones are a usage error. */
  maxPositionals?: number;
  /** Returns the process exit code. Throw KestrelError for user errors. */
  run(args: ParsedArgs, ctx: CommandContext): Promise<number>;
}
