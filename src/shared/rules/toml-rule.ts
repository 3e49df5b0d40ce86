// Elastic rule TOML, read as Elastic writes it. Two layouts:
//  - detection rules (elastic/detection-rules): `[metadata]`, `[rule]` with `rule_id`, the query and
//    its metadata, `[[rule.threat]]`; EQL in Elasticsearch's dialect. Non-EQL rules are skipped with
//    a reason, not rejected: a folder of Elastic rules mixes EQL with KQL, ES|QL and ML rules.
//  - Endpoint behaviour rules (elastic/protections-artifacts): `[rule]` with `id`, `query`, `os_list`,
//    `min_endpoint_version` and a "1.0.1" version, top-level `[[actions]]`, `[[optional_actions]]`
//    and `[[threat]]`; EQL in Elastic Endpoint's dialect, always.
import { parse, TomlError } from 'smol-toml';
import { EqlSyntaxError, InternalError } from '../errors.js';
import {
  isRiskScore,
  isSeverity,
  isVersion,
  RISK_SCORE_MESSAGE,
  ruleFieldError,
  SEVERITY_MESSAGE,
  VERSION_MESSAGE,
} from './fields.js';
import type { MitreRef, MitreTechnique, RuleAction, RuleFileOutcome, RuleSource, ThreatEntry } from './model.js';
import { PositionCursor } from './position.js';
import { findTomlValue } from './toml-locate.js';
import { readTomlString, TomlStringError } from './toml-string.js';

type Table = Record<string, unknown>;

/** Raised while reading `[rule]`; turned into a positioned error by `readTomlRule`. */
class FieldProblem extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

export function readTomlRule(file: string, text: string): RuleFileOutcome {
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch (e) {
    if (e instanceof TomlError) return { kind: 'error', error: tomlSyntaxError(file, text, e) };
    throw e;
  }
  const rule = doc.rule;
  if (!isTable(rule)) return { kind: 'skipped', skipped: { file, reason: 'no [rule] table: not a detection rule' } };
  if (isEndpointRule(doc, rule)) {
    try {
      return { kind: 'rule', rule: toEndpointRuleSource(file, text, doc, rule) };
    } catch (e) {
      if (!(e instanceof FieldProblem)) throw e;
      const at = valueOffset(text, e.key);
      const pos = at < 0 ? undefined : new PositionCursor(text).at(at);
      return { kind: 'error', error: ruleFieldError(file, e.message, pos, typeof rule.id === 'string' ? rule.id : undefined) };
    }
  }
  const ruleId = typeof rule.rule_id === 'string' ? rule.rule_id : undefined;
  const notEql = whyNotEql(rule);
  if (notEql) return { kind: 'skipped', skipped: { file, reason: notEql, ...(ruleId && { ruleId }) } };
  try {
    return { kind: 'rule', rule: toRuleSource(file, text, rule) };
  } catch (e) {
    if (!(e instanceof FieldProblem)) throw e;
    const at = valueOffset(text, e.key);
    const pos = at < 0 ? undefined : new PositionCursor(text).at(at);
    return { kind: 'error', error: ruleFieldError(file, e.message, pos, ruleId) };
  }
}

/** Where `[rule] key`'s value starts, or -1; a position is a nicety, so a scan failure only loses it. */
function valueOffset(text: string, key: string): number {
  try {
    return findTomlValue(text, ['rule', key]);
  } catch (e) {
    if (e instanceof TomlStringError) return -1;
    throw e;
  }
}

/**
 * An Endpoint behaviour rule: `[rule]` has `id` (not `rule_id`) and a query, and the file carries
 * what only that layout has (`os_list`, `min_endpoint_version`, top-level `[[actions]]`).
 */
function isEndpointRule(doc: Table, rule: Table): boolean {
  if (rule.rule_id !== undefined || rule.id === undefined || rule.query === undefined) return false;
  return rule.os_list !== undefined || rule.min_endpoint_version !== undefined || doc.actions !== undefined || doc.optional_actions !== undefined;
}

/** Endpoint behaviour rules name no severity: they are prevention-grade detections, so high. */
const ENDPOINT_SEVERITY = 'high';
const ENDPOINT_RISK_SCORE = 73;

function toEndpointRuleSource(file: string, text: string, doc: Table, rule: Table): RuleSource {
  const id = requireString(rule, 'id');
  const query = requireString(rule, 'query');
  const versionText = rule.version === undefined ? '1' : String(rule.version);
  // "1.0.23" → 1: alerts carry the text as well (rule.version is a number elsewhere).
  const major = Number.parseInt(versionText, 10);
  const osList = stringArray(rule, 'os_list');
  const located = locateQuery(file, text, query);
  return {
    id,
    name: requireString(rule, 'name'),
    description: optionalString(rule, 'description'),
    severity: ENDPOINT_SEVERITY,
    riskScore: ENDPOINT_RISK_SCORE,
    version: Number.isInteger(major) && major >= 1 ? major : 1,
    versionText,
    tags: ['Elastic Endpoint', ...osList.map((os) => `OS: ${os[0]!.toUpperCase()}${os.slice(1)}`)],
    threat: threatEntries(doc.threat),
    ...tomlQuery(file, query, located),
    dialect: 'endpoint',
    actions: actionList(doc.actions, 'actions'),
    optionalActions: actionList(doc.optional_actions, 'optional_actions'),
    osList,
    ...(typeof rule.min_endpoint_version === 'string' && { minEndpointVersion: rule.min_endpoint_version }),
  };
}

function actionList(value: unknown, key: string): RuleAction[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(isTable)) throw new FieldProblem(key, `[[${key}]] must be tables with action, field and state`);
  return value.map((a) => {
    const state = a.state ?? 0;
    if (typeof a.action !== 'string' || a.action === '') throw new FieldProblem(key, `[[${key}]] needs action = "…" (e.g. "kill_process")`);
    if (typeof a.field !== 'string' || a.field === '') throw new FieldProblem(key, `[[${key}]] needs field = "…" (e.g. "process.entity_id")`);
    if (typeof state !== 'number' || !Number.isInteger(state) || state < 0) throw new FieldProblem(key, `[[${key}]] state must be a step number (0, 1, …)`);
    return { action: a.action, field: a.field, state };
  });
}

/** Why a `[rule]` table is not an EQL rule, or undefined if it is one. */
function whyNotEql(rule: Table): string | undefined {
  const { language, type } = rule;
  if (language !== undefined && language !== 'eql') return `language ${String(language)} is not EQL`;
  if (type !== 'eql') return `type ${type === undefined ? '(none)' : String(type)} is not EQL`;
  return undefined;
}

function toRuleSource(file: string, text: string, rule: Table): RuleSource {
  const id = requireString(rule, 'rule_id');
  const query = requireString(rule, 'query');
  const severity = rule.severity;
  if (!isSeverity(severity)) throw new FieldProblem('severity', `[rule] severity ${SEVERITY_MESSAGE}`);
  const riskScore = rule.risk_score;
  if (!isRiskScore(riskScore)) throw new FieldProblem('risk_score', `[rule] risk_score ${RISK_SCORE_MESSAGE}`);
  const version = rule.version ?? 1;
  if (!isVersion(version)) throw new FieldProblem('version', `[rule] version ${VERSION_MESSAGE}`);
  const located = locateQuery(file, text, query);
  return {
    id,
    name: requireString(rule, 'name'),
    description: optionalString(rule, 'description'),
    severity,
    riskScore,
    version,
    tags: stringArray(rule, 'tags'),
    threat: threatEntries(rule.threat),
    ...tomlQuery(file, query, located),
  };
}

/** The RuleSource fields of an EQL query read from a TOML file (both layouts). */
function tomlQuery(file: string, query: string, located: ReturnType<typeof readTomlString>): Pick<RuleSource, 'language' | 'type' | 'query' | 'file' | 'queryBase' | 'querySegments' | 'format'> {
  return {
    language: 'eql',
    type: 'eql',
    query,
    file,
    queryBase: located.base,
    ...(located.segments && { querySegments: located.segments }),
    format: 'toml',
  };
}

/** Finds the query literal in the raw text and checks that decoding it gives smol-toml's value. */
function locateQuery(file: string, text: string, query: string): ReturnType<typeof readTomlString> {
  const at = findTomlValue(text, ['rule', 'query']);
  try {
    if (at >= 0) {
      const read = readTomlString(text, at, new PositionCursor(text));
      if (read.value === query) return read;
    }
  } catch (e) {
    if (!(e instanceof TomlStringError)) throw e;
  }
  throw new InternalError('rules.query_position', 'could not locate [rule] query in the file text', { file });
}

function tomlSyntaxError(file: string, text: string, e: TomlError): EqlSyntaxError {
  // smol-toml's message is "Invalid TOML document: <reason>" followed by a code excerpt.
  const reason = e.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
  const offset = offsetOf(text, e.line, e.column);
  return new EqlSyntaxError('rules.toml_syntax', `invalid TOML: ${reason} (${e.line}:${e.column})`, {
    file,
    span: { start: offset, end: offset + 1 },
    context: { line: e.line, col: e.column },
  });
}

function offsetOf(text: string, line: number, col: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const eol = text.indexOf('\n', offset);
    if (eol < 0) break;
    offset = eol + 1;
  }
  return Math.min(offset + col - 1, text.length);
}

function requireString(rule: Table, key: string): string {
  const value = rule[key];
  if (typeof value !== 'string' || value.trim() === '') throw new FieldProblem(key, `[rule] ${key} must be a non-empty string`);
  return value;
}

function optionalString(rule: Table, key: string): string {
  const value = rule[key] ?? '';
  if (typeof value !== 'string') throw new FieldProblem(key, `[rule] ${key} must be a string`);
  return value;
}

function stringArray(rule: Table, key: string): string[] {
  const value = rule[key] ?? [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new FieldProblem(key, `[rule] ${key} must be an array of strings`);
  }
  return value as string[];
}

function threatEntries(value: unknown): ThreatEntry[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new FieldProblem('threat', '[rule] threat must be an array of tables ([[rule.threat]])');
  return value.map((entry) => {
    if (!isTable(entry) || !isTable(entry.tactic)) throw new FieldProblem('threat', '[[rule.threat]] needs a [rule.threat.tactic] table');
    const techniques = entry.technique === undefined ? undefined : tableArray(entry.technique).map(technique);
    return {
      framework: typeof entry.framework === 'string' ? entry.framework : 'MITRE ATT&CK',
      tactic: mitreRef(entry.tactic),
      ...(techniques && { technique: techniques }),
    };
  });
}

function technique(t: Table): MitreTechnique {
  const subs = t.subtechnique === undefined ? undefined : tableArray(t.subtechnique).map(mitreRef);
  return { ...mitreRef(t), ...(subs && { subtechnique: subs }) };
}

function mitreRef(t: Table): MitreRef {
  if (typeof t.id !== 'string') throw new FieldProblem('threat', 'every MITRE tactic/technique in [[rule.threat]] needs a string id');
  return {
    id: t.id,
    ...(typeof t.name === 'string' && { name: t.name }),
    ...(typeof t.reference === 'string' && { reference: t.reference }),
  };
}

function tableArray(value: unknown): Table[] {
  if (!Array.isArray(value) || !value.every(isTable)) throw new FieldProblem('threat', '[[rule.threat]] techniques must be arrays of tables');
  return value;
}

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
