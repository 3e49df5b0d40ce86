// Maps an offset in a rule's query to its place in the rule file, so a parse/check error at query
// offset k is reported at the right file line:col even for queries embedded in TOML.
import type { FilePosition, QuerySegment, RuleSource } from './model.js';

/** The position reached after laying out text[from, to) starting at `start`. */
export function advance(text: string, from: number, to: number, start: FilePosition): FilePosition {
  let { line, col } = start;
  for (let i = from; i < to; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  return { offset: start.offset + (to - from), line, col };
}

/** Position of offset `k` of `text` when text[0] is at `base` (k is clamped to [0, text.length]). */
export function positionAt(text: string, base: FilePosition, k: number): FilePosition {
  return advance(text, 0, clamp(k, text.length), base);
}

/** File position of query offset `k` (0 ≤ k ≤ query.length; k = query.length is the end of the query). */
export function queryPosition(rule: Pick<RuleSource, 'query' | 'queryBase' | 'querySegments'>, k: number): FilePosition {
  const segments = rule.querySegments;
  if (!segments || segments.length === 0) return positionAt(rule.query, rule.queryBase, k);
  const q = clamp(k, rule.query.length);
  const seg = segments[lastSegmentAtOrBefore(segments, q)]!;
  // Every offset inside an escape maps to its backslash: the caret then points at the escape.
  if (!seg.verbatim) return seg.at;
  return advance(rule.query, seg.queryOffset, q, seg.at);
}

function lastSegmentAtOrBefore(segments: QuerySegment[], q: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid]!.queryOffset <= q) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function clamp(k: number, max: number): number {
  return Math.min(Math.max(k, 0), max);
}

/**
 * Positions of increasing offsets in one text, each computed from the previous one so a scan that
 * records many positions stays linear. Asking for an earlier offset restarts from the beginning.
 */
export class PositionCursor {
  private last: FilePosition = { offset: 0, line: 1, col: 1 };

  constructor(private readonly text: string) {}

  at(offset: number): FilePosition {
    const target = clamp(offset, this.text.length);
    const from = target >= this.last.offset ? this.last : { offset: 0, line: 1, col: 1 };
    this.last = advance(this.text, from.offset, target, from);
    return this.last;
  }
}
