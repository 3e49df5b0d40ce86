// Writes a throwaway folder of rule files for loader tests.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Creates the files (relative path → content) in a fresh temp folder and returns the folder. */
export function writeRuleTree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'kestrel-rules-'));
  for (const [rel, content] of Object.entries(files)) {
    const full = path.join(root, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return root;
}

/** A minimal valid Elastic EQL rule; `extra` lines go into [rule], `query` is the literal as written. */
export function tomlRule(id: string, query = "'''\nprocess where true\n'''", extra = ''): string {
  return [
    '[metadata]',
    'maturity = "production"',
    '',
    '[rule]',
    `rule_id = "${id}"`,
    `name = "Rule ${id}"`,
    'description = "test rule"',
    'language = "eql"',
    'type = "eql"',
    'severity = "low"',
    'risk_score = 21',
    extra,
    `query = ${query}`,
    '',
  ].join('\n');
}
