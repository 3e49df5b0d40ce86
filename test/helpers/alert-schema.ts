// Validates alert lines against docs/alert.schema.json (the documented alert shape), so every
// test that reads alerts can also check that they are what the docs promise.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv } from 'ajv';


const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(JSON.parse(readFileSync(resolve('docs/alert.schema.json'), 'utf8')) as object);

/** The problems of one parsed alert, as "path: message" lines ([] when it is valid). */
export function alertSchemaProblems(alert: unknown): string[] {
  if (validate(alert)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
}

/** Parses NDJSON alert text and throws with every problem of the first invalid alert. */
/**
 * The whole lines of a file another process is appending to: a read can catch the last line
 * half-written (rules-trigger-live failed once on `Unterminated string in JSON` that way).
 */
export function wholeLines(text: string): string {
  return text.slice(0, text.lastIndexOf('\n') + 1);
}

export function parseValidAlerts(text: string): Record<string, any>[] {
  const alerts = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
  for (const [i, a] of alerts.entries()) {
    const problems = alertSchemaProblems(a);
    if (problems.length) throw new Error(`alert ${i + 1} does not match docs/alert.schema.json:\n${problems.join('\n')}`);
  }
  return alerts;
}
