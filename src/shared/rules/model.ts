// What a loaded rule file becomes. Both rule formats (Elastic TOML and Kestrel's `.eql`) produce the
// same RuleSource, so everything after loading (checker, compiler, alerts) sees one shape.
import type { KestrelError } from '../errors.js';

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** A MITRE ATT&CK reference, shaped as in Elastic's `[[rule.threat]]` tables. */
export interface MitreRef {
  id: string;
  /** Absent when the rule file gives only the id (Kestrel `.eql` files name techniques by id). */
  name?: string;
  reference?: string;
}
export interface MitreTechnique extends MitreRef {
  subtechnique?: MitreRef[];
}
export interface ThreatEntry {
  framework: string;
  tactic: MitreRef;
  technique?: MitreTechnique[];
}

/** A position in a rule file: 0-based UTF-16 offset, 1-based line and column (columns count UTF-16 units). */
export interface FilePosition {
  offset: number;
  line: number;
  col: number;
}

/**
 * One piece of a query whose text is not a verbatim slice of its file (a TOML basic string with
 * escapes or line continuations). A `verbatim` segment's query text equals the file text starting at
 * `at`; an escape segment is the decoded form of one escape sequence starting at `at` (its backslash).
 */
export interface QuerySegment {
  /** Offset in the query where this segment starts. */
  queryOffset: number;
  at: FilePosition;
  verbatim: boolean;
}

export interface RuleSource {
  id: string;
  name: string;
  description: string;
  severity: Severity;
  /** 0–100, as Elastic's `risk_score`. */
  riskScore: number;
  version: number;
  tags: string[];
  threat: ThreatEntry[];
  /** Always "eql" for loaded rules; kept so alerts can report it as Elastic does. */
  language: string;
  type: string;
  query: string;
  file: string;
  /** Where query[0] sits in the file. */
  queryBase: FilePosition;
  /**
   * Present only when the query is not a verbatim slice of the file starting at queryBase (TOML basic
   * strings with escapes/continuations). Use `queryPosition` rather than reading it directly.
   */
  querySegments?: QuerySegment[];
  format: 'toml' | 'eql';
  /** EQL dialect: Elasticsearch's (default) or Elastic Endpoint's (behaviour rules; docs/eql.md). */
  dialect?: EqlDialect;
  /** Endpoint behaviour rules: response actions on a match (`[[actions]]`, `[[optional_actions]]`). */
  actions?: RuleAction[];
  optionalActions?: RuleAction[];
  /** Endpoint behaviour rules: `os_list`, `min_endpoint_version`, and `version` as written ("1.0.1"). */
  osList?: string[];
  minEndpointVersion?: string;
  versionText?: string;
}

export type EqlDialect = 'elasticsearch' | 'endpoint';

/** A response action of an Endpoint behaviour rule: act on the entity in `field` of step `state`. */
export interface RuleAction {
  action: string;
  field: string;
  state: number;
}

export interface SkippedRule {
  file: string;
  reason: string;
  ruleId?: string;
}

export interface LoadRulesResult {
  rules: RuleSource[];
  skipped: SkippedRule[];
  errors: KestrelError[];
  /** User rule modules (.wasm) found in the folders, in load order; not read (see `kestrel check`). */
  modules: string[];
}

/** What reading one rule file yields. */
export type RuleFileOutcome =
  | { kind: 'rule'; rule: RuleSource }
  | { kind: 'skipped'; skipped: SkippedRule }
  | { kind: 'error'; error: KestrelError };
