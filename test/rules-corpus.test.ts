// The loader against Elastic's own Linux EQL rules, read unchanged from ../shared.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lineColOf } from '../src/shared/errors.js';
import { loadRules, type LoadRulesResult } from '../src/shared/rules/index.js';

const corpus = path.resolve(process.cwd(), '../shared/rules-corpus/elastic-detection-rules');

describe('loading the Elastic detection-rules corpus', () => {
  let result: LoadRulesResult;
  beforeAll(async () => {
    result = await loadRules([corpus]);
  });

  it('loads every TOML file as an EQL rule, with no errors and nothing skipped', () => {
    expect(result.errors.map((e) => `${e.file}: ${e.message}`)).toEqual([]);
    // The corpus holds only EQL rules (see its SOURCE.md), so nothing is skipped.
    expect(result.skipped).toEqual([]);
    expect(result.rules).toHaveLength(408);
    expect(new Set(result.rules.map((r) => r.id)).size).toBe(408);
    for (const rule of result.rules) {
      expect(rule.format).toBe('toml');
      expect(rule.language).toBe('eql');
      expect(rule.query.trim()).not.toBe('');
    }
  });

  it('walks folders in sorted order', () => {
    const files = result.rules.map((r) => path.relative(corpus, r.file));
    // Sorted path by path (segment-wise), which is what a depth-first walk of sorted entries yields.
    const sorted = [...files].sort((a, b) => {
      const [x, y] = [a.split(path.sep), b.split(path.sep)];
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
      return x.length - y.length;
    });
    expect(files).toEqual(sorted);
    expect(files[0]!.startsWith('cross-platform')).toBe(true);
  });

  it('places every query at its exact offset, line and column in the file', () => {
    for (const rule of result.rules) {
      const raw = readFileSync(rule.file, 'utf8');
      expect(raw.slice(rule.queryBase.offset, rule.queryBase.offset + rule.query.length)).toBe(rule.query);
      expect(lineColOf(raw, rule.queryBase.offset)).toEqual({ line: rule.queryBase.line, col: rule.queryBase.col });
      // No corpus query uses escapes, so every one is a verbatim slice.
      expect(rule.querySegments).toBeUndefined();
    }
  });

  it('reads metadata and MITRE threat entries as Elastic writes them', () => {
    const rule = result.rules.find((r) => r.id === 'afd04601-12fc-4149-9b78-9c3f8fe45d39');
    expect(rule).toBeDefined();
    expect(rule).toMatchObject({
      name: 'Network Activity Detected via cat',
      severity: 'medium',
      riskScore: 47,
      version: 1,
      type: 'eql',
    });
    expect(rule!.tags).toContain('Tactic: Command and Control');
    expect(rule!.threat.map((t) => t.tactic.id)).toEqual(['TA0011', 'TA0005', 'TA0010']);
    expect(rule!.threat[0]!.technique).toEqual([
      { id: 'T1095', name: 'Non-Application Layer Protocol', reference: 'https://attack.mitre.org/techniques/T1095/' },
    ]);
    // [[transform.osquery]] tables also have a `query` key; the rule's query must not be confused with them.
    expect(rule!.query.startsWith('sequence by host.id, process.entity_id with maxspan=3s')).toBe(true);
  });
});
