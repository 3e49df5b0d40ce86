// Kestrel's own rule set (rules/): every rule loads, and its sample events are well-formed fixtures.
// The engine does not run them here; this checks what later end-to-end tests will rely on.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRules, type LoadRulesResult } from '../src/shared/rules/index.js';

const rulesDir = path.resolve(process.cwd(), 'rules');
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

function readEvents(file: string): Record<string, unknown>[] {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  return lines.map((line, i) => {
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${file}:${i + 1}: not a JSON object`);
    return value as Record<string, unknown>;
  });
}

function fieldValue(event: Record<string, unknown>, field: string): unknown {
  let value: unknown = event;
  for (const key of field.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
  return value;
}

/** Dotted field names a query mentions, found lexically once strings and comments are removed. */
function fieldsOf(query: string): string[] {
  const code = query
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/.*$/gm, ' ');
  // Segments after the first may be capitalised (Elastic Defend's *.Ext.*); a match never starts
  // inside a dotted path.
  return [...new Set(code.match(/(?<![\w.])[a-z_][a-z0-9_]*(?:\.[A-Za-z0-9_]+)+\b/g) ?? [])];
}

describe('Kestrel rule set', () => {
  let loaded: LoadRulesResult;
  beforeAll(async () => {
    loaded = await loadRules([rulesDir]);
  });

  it('loads every rule file without errors, each with full metadata', () => {
    expect(loaded.errors.map((e) => `${e.file}: ${e.message}`)).toEqual([]);
    expect(loaded.skipped).toEqual([]);
    expect(loaded.rules.length).toBeGreaterThanOrEqual(15);
    for (const rule of loaded.rules) {
      expect(rule.format).toBe('eql');
      expect(rule.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(rule.name).not.toBe(path.basename(rule.file, '.eql')); // named in the header, not defaulted
      expect(rule.description.length).toBeGreaterThan(40);
      expect(rule.threat.length).toBeGreaterThan(0);
      expect(rule.tags).toContain('OS: Linux');
      // Rules sit in a folder named after their first tactic.
      const folderTactic = path.basename(path.dirname(rule.file)).replace(/_/g, ' ');
      expect(rule.threat[0]!.tactic.name!.toLowerCase()).toBe(folderTactic);
    }
  });

  it('uses each sequence feature at least once', () => {
    const queries = loaded.rules.map((r) => r.query);
    for (const feature of [/^sequence by process\.entity_id/m, /\] by process\.parent\.entity_id/, /^until \[/m, /with runs=\d+/, /^\s*!\[/m, /^sample by/m]) {
      expect(queries.some((q) => feature.test(q)), String(feature)).toBe(true);
    }
  });

  it('gives every rule a positive and a negative fixture, and no fixture without a rule', () => {
    const files = filesUnder(rulesDir);
    const rules = new Set(files.filter((f) => f.endsWith('.eql')).map((f) => f.slice(0, -'.eql'.length)));
    for (const rule of rules) {
      expect(existsSync(`${rule}.events.ndjson`), `${rule}.events.ndjson`).toBe(true);
      expect(existsSync(`${rule}.negative.ndjson`), `${rule}.negative.ndjson`).toBe(true);
    }
    for (const fixture of files.filter((f) => f.endsWith('.ndjson'))) {
      expect(rules.has(fixture.replace(/\.(events|negative)\.ndjson$/, '')), fixture).toBe(true);
    }
    // AssemblyScript user rules (rules/examples/) and their library (rules/lib/) are not EQL rules.
    const eqlArea = files.filter((f) => !/[/\\]rules[/\\](examples|lib)[/\\]/.test(f));
    expect(eqlArea.filter((f) => !/\.(eql|events\.ndjson|negative\.ndjson|trigger\.sh)$/.test(f))).toEqual([]);
    // A live trigger (test/rules-trigger-live.test.ts) belongs to a rule beside it.
    for (const trigger of files.filter((f) => f.endsWith('.trigger.sh'))) expect(rules.has(trigger.replace(/\.trigger\.sh$/, '')), trigger).toBe(true);
  });

  it('has fixtures of JSON objects in time order, with @timestamp, event.category and host.os.type', () => {
    for (const fixture of filesUnder(rulesDir).filter((f) => f.endsWith('.ndjson'))) {
      const events = readEvents(fixture);
      expect(events.length, fixture).toBeGreaterThan(0);
      let previous = -Infinity;
      for (const event of events) {
        const ts = event['@timestamp'];
        expect(typeof ts === 'string' && ISO_8601.test(ts), `${fixture}: @timestamp ${String(ts)}`).toBe(true);
        const time = Date.parse(ts as string);
        expect(time, fixture).toBeGreaterThanOrEqual(previous);
        previous = time;
        const category = fieldValue(event, 'event.category');
        const categories = Array.isArray(category) ? category : [category];
        expect(categories.length > 0 && categories.every((c) => typeof c === 'string' && c !== ''), `${fixture}: event.category`).toBe(true);
        expect(fieldValue(event, 'host.os.type')).toBe('linux');
      }
    }
  });

  it('puts every field a rule mentions into its positive events', () => {
    for (const rule of loaded.rules) {
      const events = readEvents(rule.file.replace(/\.eql$/, '.events.ndjson'));
      for (const field of fieldsOf(rule.query)) {
        expect(events.some((e) => fieldValue(e, field) !== undefined), `${rule.file}: ${field}`).toBe(true);
      }
    }
  });
});
