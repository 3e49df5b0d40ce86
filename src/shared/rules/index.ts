// Public surface of rule loading.
export { loadRules, type RuleFileMemo } from './load.js';
export { queryPosition } from './position.js';
export type {
  FilePosition,
  LoadRulesResult,
  MitreRef,
  MitreTechnique,
  QuerySegment,
  RuleSource,
  Severity,
  SkippedRule,
  ThreatEntry,
} from './model.js';
