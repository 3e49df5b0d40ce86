// What marks a rule as a Wasm user rule, apart from the sandbox that runs one (user-rules.ts): a run
// without user rules never loads the Wasm loader and sandbox code.
import type { RuleSpec } from '../../shared/pipeline/ruleset.js';

export const WASM_LANGUAGE = 'wasm';

export function isUserRule(r: RuleSpec): boolean {
  return r.language === WASM_LANGUAGE;
}
