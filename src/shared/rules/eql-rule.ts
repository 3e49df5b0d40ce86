// Kestrel's own rule format: a `.eql` file whose leading `// key: value` comment lines carry the
// metadata and whose remainder is the query. The header is plain EQL comments, so the whole file is
// also a valid query for any EQL tool. Format reference: docs/rules.md.
import { EqlSyntaxError } from '../errors.js';
import {
  DEFAULT_RISK_SCORE,
  isRiskScore,
  isSeverity,
  isVersion,
  RISK_SCORE_MESSAGE,
  ruleFieldError,
  SEVERITY_MESSAGE,
  VERSION_MESSAGE,
} from './fields.js';
import { addMitreEntries } from './mitre.js';
import type { FilePosition, RuleFileOutcome, Severity, ThreatEntry } from './model.js';
import { PositionCursor } from './position.js';

const HEADER_KEYS = ['id', 'name', 'description', 'severity', 'risk_score', 'tags', 'mitre', 'version'] as const;
type HeaderKey = (typeof HEADER_KEYS)[number];
/** Keys that may be given on several key lines, their values adding up; any other key may appear once. */
const REPEATABLE: ReadonlySet<HeaderKey> = new Set(['description', 'tags', 'mitre']);

/** `// key: value` — the colon must be followed by a space or the line end, so `// https://…` is a comment. */
const KEY_LINE = /^\/\/ ?([a-z_]+):(?:\s(.*))?$/;
/** `//` and at least two spaces: continues the previous key's value. */
const CONTINUATION = /^\/\/\s{2,}(\S.*)$/;

interface HeaderValue {
  text: string;
  /** Where the value (or, when empty, the key) starts; errors point here. */
  at: FilePosition;
}

class HeaderProblem extends Error {
  constructor(
    message: string,
    readonly at: FilePosition,
  ) {
    super(message);
  }
}

/**
 * Reads one `.eql` rule file. `derivedId` is used when the header names no id (see loader: the path
 * relative to the folder walked, without extension), and the file stem when it names no name.
 */
export function readEqlRule(file: string, text: string, derivedId: string, stem: string): RuleFileOutcome {
  const cursor = new PositionCursor(text);
  let header: { values: Map<HeaderKey, HeaderValue[]>; queryStart: number };
  try {
    header = readHeader(text, cursor);
  } catch (e) {
    if (e instanceof HeaderProblem) return { kind: 'error', error: ruleFieldError(file, e.message, e.at) };
    throw e;
  }
  const { values, queryStart } = header;
  // A key's lines (the key line and its continuations) make one value, joined by spaces.
  const first = (key: HeaderKey): HeaderValue | undefined => {
    const lines = values.get(key);
    return lines && { text: lines.map((v) => v.text).join(' '), at: lines[0]!.at };
  };
  const id = first('id')?.text || derivedId;
  const fail = (message: string, at: FilePosition): RuleFileOutcome => ({ kind: 'error', error: ruleFieldError(file, message, at, id) });

  const query = text.slice(queryStart).trimEnd();
  if (query === '') {
    const at = cursor.at(text.length);
    return {
      kind: 'error',
      error: new EqlSyntaxError('rules.no_query', `no query after the header (${at.line}:${at.col})`, {
        file,
        ruleId: id,
        span: { start: at.offset, end: at.offset },
        context: { line: at.line, col: at.col },
      }),
    };
  }

  let severity: Severity = 'medium';
  const severityValue = first('severity');
  if (severityValue) {
    if (!isSeverity(severityValue.text)) return fail(`severity ${SEVERITY_MESSAGE}`, severityValue.at);
    severity = severityValue.text;
  }
  let riskScore = DEFAULT_RISK_SCORE[severity];
  const riskValue = first('risk_score');
  if (riskValue) {
    const n = /^\d+$/.test(riskValue.text) ? Number(riskValue.text) : NaN;
    if (!isRiskScore(n)) return fail(`risk_score ${RISK_SCORE_MESSAGE}`, riskValue.at);
    riskScore = n;
  }
  let version = 1;
  const versionValue = first('version');
  if (versionValue) {
    const n = /^\d+$/.test(versionValue.text) ? Number(versionValue.text) : NaN;
    if (!isVersion(n)) return fail(`version ${VERSION_MESSAGE}`, versionValue.at);
    version = n;
  }
  const threat: ThreatEntry[] = [];
  for (const line of values.get('mitre') ?? []) {
    const problem = addMitreEntries(line.text, threat);
    if (problem) return fail(problem, line.at);
  }
  const tags = (values.get('tags') ?? []).flatMap((v) => v.text.split(',').map((t) => t.trim()).filter((t) => t !== ''));
  const description = first('description')?.text ?? '';

  return {
    kind: 'rule',
    rule: {
      id,
      name: first('name')?.text || stem,
      description,
      severity,
      riskScore,
      version,
      tags,
      threat,
      language: 'eql',
      type: 'eql',
      query,
      file,
      queryBase: cursor.at(queryStart),
      format: 'eql',
    },
  };
}

/** Reads the header: leading blank lines and `//` lines. The query starts at the first other line. */
function readHeader(text: string, cursor: PositionCursor): { values: Map<HeaderKey, HeaderValue[]>; queryStart: number } {
  const values = new Map<HeaderKey, HeaderValue[]>();
  let current: HeaderKey | undefined; // key a continuation line would extend
  let lineStart = 0;
  while (lineStart < text.length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    const indent = text.slice(lineStart, lineEnd).search(/\S/);
    if (indent < 0) {
      current = undefined;
      lineStart = lineEnd + 1;
      continue;
    }
    const contentStart = lineStart + indent;
    const line = text.slice(contentStart, lineEnd).replace(/\r$/, '');
    if (!line.startsWith('//')) return { values, queryStart: contentStart };

    const keyLine = KEY_LINE.exec(line);
    const continuation = keyLine ? null : CONTINUATION.exec(line);
    if (keyLine) {
      const key = keyLine[1]!;
      const keyAt = cursor.at(contentStart + line.indexOf(key));
      if (!isHeaderKey(key)) throw new HeaderProblem(`unknown header key "${key}" (known: ${HEADER_KEYS.join(', ')})`, keyAt);
      if (values.has(key) && !REPEATABLE.has(key)) throw new HeaderProblem(`header key "${key}" given twice`, keyAt);
      const raw = keyLine[2] ?? '';
      const value = raw.trim();
      const at = value === '' ? keyAt : cursor.at(contentStart + line.length - raw.length + raw.indexOf(value));
      values.set(key, [...(values.get(key) ?? []), { text: value, at }]);
      current = key;
    } else if (continuation && current) {
      const value = continuation[1]!.trim();
      values.get(current)!.push({ text: value, at: cursor.at(contentStart + line.length - continuation[1]!.length) });
    } else {
      current = undefined; // an ordinary comment
    }
    lineStart = lineEnd + 1;
  }
  return { values, queryStart: text.length };
}

function isHeaderKey(key: string): key is HeaderKey {
  return (HEADER_KEYS as readonly string[]).includes(key);
}
