// Rule problems as users see them, shared by `check`, `replay` and `run`: each error is printed at
// its place in the rule FILE (queries inside TOML included), with the line and carets.
import { readFileSync } from 'node:fs';
import { KestrelError, lineColOf } from '../shared/errors.js';
import { queryPosition } from '../shared/rules/position.js';
import type { RuleSource } from '../shared/rules/model.js';
import { formatError } from './format-error.js';

export interface Problem {
  file: string;
  ruleId?: string;
  line?: number;
  col?: number;
  error: KestrelError;
  /** Source to show under the message: the whole file, with the error span in file offsets. */
  fileText?: string;
  fileSpan?: { start: number; end: number };
}

const fileCache = new Map<string, string | undefined>();
function fileText(file: string): string | undefined {
  if (!fileCache.has(file)) {
    try {
      fileCache.set(file, readFileSync(file, 'utf8'));
    } catch {
      fileCache.set(file, undefined);
    }
  }
  return fileCache.get(file);
}

/** A query error: its span maps from query offsets to file offsets (TOML escapes included). */
export function problemOfRule(rule: RuleSource, error: KestrelError): Problem {
  const text = fileText(rule.file);
  if (!error.span || text === undefined) return { file: rule.file, ruleId: rule.id, error };
  const start = queryPosition(rule, error.span.start);
  const end = queryPosition(rule, error.span.end);
  return { file: rule.file, ruleId: rule.id, line: start.line, col: start.col, error, fileText: text, fileSpan: { start: start.offset, end: Math.max(end.offset, start.offset + 1) } };
}

/** A loader error (bad TOML, bad header, duplicate id): its span, if any, is in file offsets. */
export function problemOf(error: KestrelError): Problem {
  const file = error.file ?? '?';
  const text = error.file ? fileText(error.file) : undefined;
  if (!error.span || text === undefined) return { file, ruleId: error.ruleId, error };
  const { line, col } = lineColOf(text, error.span.start);
  return { file, ruleId: error.ruleId, line, col, error, fileText: text, fileSpan: error.span };
}

export function renderProblem(p: Problem): string {
  return p.fileText && p.fileSpan ? formatError(p.error, { name: p.file, text: p.fileText }, p.fileSpan) : formatError(p.error);
}
