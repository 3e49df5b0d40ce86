// Rule metadata shared by both file formats: allowed values, defaults and the error a bad value raises.
import { EqlSemanticError } from '../errors.js';
import type { FilePosition, Severity } from './model.js';
import { SEVERITIES } from './model.js';

/** Elastic's conventional risk score per severity, used when a `.eql` file gives a severity only. */
export const DEFAULT_RISK_SCORE: Record<Severity, number> = { low: 21, medium: 47, high: 73, critical: 99 };

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

export function isRiskScore(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 100;
}

export function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}

export const SEVERITY_MESSAGE = `must be one of ${SEVERITIES.join(', ')}`;
export const RISK_SCORE_MESSAGE = 'must be an integer from 0 to 100';
export const VERSION_MESSAGE = 'must be an integer ≥ 1';

/**
 * A bad or missing metadata field. The message ends with `(line:col)` when the place is known, so
 * the error reads well even where no source excerpt is printed.
 */
export function ruleFieldError(file: string, message: string, at?: FilePosition, ruleId?: string): EqlSemanticError {
  return new EqlSemanticError('rules.field', at ? `${message} (${at.line}:${at.col})` : message, {
    file,
    ...(ruleId && { ruleId }),
    ...(at && { span: { start: at.offset, end: at.offset + 1 }, context: { line: at.line, col: at.col } }),
  });
}
