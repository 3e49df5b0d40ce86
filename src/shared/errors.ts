// The one place where Kestrel's error classes live. Every error a user can cause is a KestrelError
// with a stable `code`; anything else escaping to the CLI is a bug and is reported as internal.

/** Half-open byte range [start, end) into the source text a node or token came from. */
export interface Span {
  start: number;
  end: number;
}

export type ErrorKind = 'syntax' | 'semantic' | 'schema' | 'type' | 'input' | 'limit' | 'usage' | 'runtime' | 'internal';

export interface KestrelErrorDetails {
  /** Location in the rule/query source, if the error is about a piece of it. */
  span?: Span;
  /** A short suggestion printed under the caret line ("Compare with == instead of =" …). */
  hint?: string;
  ruleId?: string;
  /** Global event sequence number, for runtime errors about one event. */
  seq?: bigint | number;
  /** File the input came from (rule file, capture, NDJSON). */
  file?: string;
  /** Extra machine-readable context (chunk index, byte offset, …). */
  context?: Record<string, unknown>;
  /** The text `span` points into, when it is not a rule (a config file): the CLI renders a caret. */
  source?: { name: string; text: string };
  cause?: unknown;
}

export abstract class KestrelError extends Error {
  abstract readonly kind: ErrorKind;
  readonly code: string;
  span?: Span;
  hint?: string;
  ruleId?: string;
  seq?: bigint | number;
  file?: string;
  context?: Record<string, unknown>;
  source?: { name: string; text: string };

  constructor(code: string, message: string, details: KestrelErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.span = details.span;
    this.hint = details.hint;
    this.ruleId = details.ruleId;
    this.seq = details.seq;
    this.file = details.file;
    this.context = details.context;
    this.source = details.source;
  }

  override get name(): string {
    return this.constructor.name;
  }

  toJSON(): Record<string, unknown> {
    return {
      kind: this.kind,
      code: this.code,
      message: this.message,
      ...(this.span && { span: this.span }),
      ...(this.hint && { hint: this.hint }),
      ...(this.ruleId && { ruleId: this.ruleId }),
      ...(this.seq !== undefined && { seq: String(this.seq) }),
      ...(this.file && { file: this.file }),
      ...(this.context && { context: this.context }),
    };
  }
}

/** The text of a query or rule does not follow the grammar. */
export class EqlSyntaxError extends KestrelError {
  readonly kind = 'syntax';
}
/** Grammatical, but meaningless: bad sequence shape, unknown function, bad maxspan unit … */
export class EqlSemanticError extends KestrelError {
  readonly kind = 'semantic';
}
/** A field the schema does not know, or a schema that cannot be built. */
export class SchemaError extends KestrelError {
  readonly kind = 'schema';
}
/** Operand or argument types that cannot work together. */
export class EqlTypeError extends KestrelError {
  readonly kind = 'type';
}
/** Bad input data: malformed NDJSON, corrupt capture, unreadable file. */
export class InputError extends KestrelError {
  readonly kind = 'input';
}
/** A documented resource limit was hit (query size, nesting depth, fuel, memory quota). */
export class LimitError extends KestrelError {
  readonly kind = 'limit';
}
/** Bad command-line use: unknown flag, missing argument. */
export class UsageError extends KestrelError {
  readonly kind = 'usage';
}
/** The engine could not go on: a worker crashed, a ruleset generation failed to load. */
export class RuntimeError extends KestrelError {
  readonly kind = 'runtime';
}
/** A bug in Kestrel. */
export class InternalError extends KestrelError {
  readonly kind = 'internal';
}

/**
 * Process exit codes (documented in docs/cli.md). Query/rule problems and input problems are kept
 * apart so scripts can tell "your rule is wrong" from "your data is wrong".
 */
export const ExitCode = {
  ok: 0,
  /** A rule or query failed to parse/check, or `kestrel check` found a bad rule. */
  ruleError: 1,
  /** Input data could not be read (bad NDJSON, corrupt capture, missing file). */
  inputError: 2,
  /** A bug: an unexpected exception. */
  internal: 3,
  /** The runtime failed (a worker crashed during replay, the sensor could not start). */
  runtime: 4,
  /** Command-line usage error. */
  usage: 64,
  /** Stopped by SIGINT (128 + 2) before the end: the output is a prefix of a full run's. */
  interrupted: 130,
  /** Stopped by SIGTERM (128 + 15) before the end: the output is a prefix of a full run's. */
  terminated: 143,
} as const;

export function exitCodeFor(err: unknown): number {
  if (!(err instanceof KestrelError)) return ExitCode.internal;
  switch (err.kind) {
    case 'syntax':
    case 'semantic':
    case 'schema':
    case 'type':
      return ExitCode.ruleError;
    case 'input':
    case 'limit':
      return ExitCode.inputError;
    case 'usage':
      return ExitCode.usage;
    case 'runtime':
      return ExitCode.runtime;
    default:
      return ExitCode.internal;
  }
}

/** 1-based line and column of a byte offset; computed only when an error is shown. */
export function lineColOf(source: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: end - lineStart + 1 };
}
