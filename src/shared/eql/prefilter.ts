// A discriminator index over many event filters. Most detection rules require one selective literal
// somewhere in their top-level conjunction (`process.name in ("nc", "ncat")`, `event.action ==
// "exec"`, `file.name : "authorized_keys"`). We pull out one such condition per filter (or one per
// branch of a top-level `or`), index filters by (field, value), and per event read each indexed
// field once: only filters whose literal the event carries are evaluated at all. The condition is
// necessary, never sufficient, so the full predicate still decides: results cannot change.
import type { TExpr } from './ir.js';
import { foldCase } from './runtime/casefold.js';
import { hasWildcards } from './runtime/wildcard.js';
import type { Value } from './values.js';

export interface Discriminator {
  path: string;
  insensitive: boolean;
  values: string[];
}

/**
 * Fields whose values are shared by nearly every event of a host (or of a category): indexing on
 * them selects nothing. Used only when a filter offers nothing better.
 */
const LOW_SELECTIVITY = new Set([
  'host.os.type', 'host.os.name', 'host.os.family', 'host.os.platform', 'event.kind', 'event.category',
  'event.type', 'event.action', 'event.outcome', 'event.module', 'event.dataset', 'data_stream.dataset', 'agent.type', 'event_type',
]);

/** Whether most events share the field's values (an index on it selects little). */
export function isLowSelectivity(path: string): boolean {
  return LOW_SELECTIVITY.has(path);
}

/** Alternatives (any may hold) of one necessary literal condition, or null when none is found. */
export function discriminatorOf(e: TExpr): Discriminator[] | null {
  switch (e.kind) {
    case 'logical': {
      const parts = e.operands.map(discriminatorOf);
      if (e.op === 'or') return parts.every((p) => p !== null) ? parts.flat() as Discriminator[] : null;
      let best: Discriminator[] | null = null;
      for (const p of parts) if (p && (best === null || cost(p) < cost(best))) best = p;
      return best;
    }
    case 'compare':
      if (e.op !== '==' || e.mode !== 'value') return null;
      return literal(e.left, [e.right], false) ?? literal(e.right, [e.left], false);
    case 'in':
      if (e.negated || e.mode !== 'value') return null;
      return literal(e.expr, e.values.map((v) => ({ kind: 'const', value: v }) as TExpr), e.insensitive);
    case 'match':
      if (e.negated || e.op === 'regex') return null;
      return literal(e.expr, e.patterns.map((p) => ({ kind: 'const', value: p }) as TExpr), e.insensitive, true);
    default:
      return null;
  }
}

function literal(field: TExpr, consts: TExpr[], insensitive: boolean, patterns = false): Discriminator[] | null {
  if (field.kind !== 'field' || field.type !== 'string') return null;
  const values: string[] = [];
  for (const c of consts) {
    const v = c.kind === 'const' ? (c.value as Value) : undefined;
    if (typeof v !== 'string' || (patterns && hasWildcards(v))) return null;
    values.push(insensitive ? foldCase(v) : v);
  }
  return values.length ? [{ path: field.path, insensitive, values }] : null;
}

function cost(d: Discriminator[]): number {
  let n = 0;
  for (const x of d) n += x.values.length + (LOW_SELECTIVITY.has(x.path) ? 10_000 : 0);
  return n;
}

/** The part of the IR the index needs from each filter: its where-clause. */
export interface IndexedFilter {
  where: TExpr;
}

/** The filters whose discriminator reads one field (case-insensitively or not), by literal value. */
export interface IndexTable {
  readonly path: string;
  readonly insensitive: boolean;
  /** Literal (case-folded when insensitive) → ids of the filters it selects. */
  readonly byValue: ReadonlyMap<string, readonly number[]>;
}

/**
 * Index of filters by discriminator. `select(read)` marks the candidate filters of one event,
 * reading each indexed field once through `read(path)`.
 */
export class FilterIndex {
  /** (path|ci) → value → filter ids. */
  private readonly byKey = new Map<string, { path: string; insensitive: boolean; byValue: Map<string, number[]> }>();
  /** The tables in a fixed order, for readers that prepare per-table state (prefilter-record.ts). */
  readonly tables: readonly IndexTable[];
  private readonly stamps: Uint32Array;
  private readonly always: Uint8Array;
  /** `always` as a bitset (bit id), the starting point of writeCandidates. */
  private readonly alwaysWords: Uint32Array;
  private generation = 0;
  readonly indexed: number;

  constructor(filters: readonly IndexedFilter[]) {
    this.stamps = new Uint32Array(filters.length);
    this.always = new Uint8Array(filters.length);
    this.alwaysWords = new Uint32Array(Math.ceil(filters.length / 32));
    let indexed = 0;
    filters.forEach((f, id) => {
      const d = discriminatorOf(f.where);
      // A low-selectivity-only condition still helps (e.g. a linux-only rule on Windows data),
      // but a filter with no condition at all is always a candidate.
      if (!d) {
        this.always[id] = 1;
        this.alwaysWords[id >>> 5] = this.alwaysWords[id >>> 5]! | (1 << (id & 31));
        return;
      }
      indexed++;
      for (const alt of d) {
        const key = `${alt.path}|${alt.insensitive ? 1 : 0}`;
        let t = this.byKey.get(key);
        if (!t) this.byKey.set(key, (t = { path: alt.path, insensitive: alt.insensitive, byValue: new Map() }));
        for (const v of alt.values) {
          const ids = t.byValue.get(v) ?? [];
          if (!ids.includes(id)) ids.push(id);
          t.byValue.set(v, ids);
        }
      }
    });
    this.indexed = indexed;
    this.tables = [...this.byKey.values()];
  }

  /** Starts a new event: marks candidates from the event's values of the indexed fields. */
  select(read: (path: string) => Value | undefined): void {
    if (++this.generation === 0xffffffff) {
      this.stamps.fill(0);
      this.generation = 1;
    }
    const gen = this.generation;
    for (const t of this.tables) {
      const v = read(t.path);
      if (v === undefined || v === null) continue;
      const mark = (x: Value) => {
        if (typeof x !== 'string') return;
        const ids = t.byValue.get(t.insensitive ? foldCase(x) : x);
        if (ids) for (const id of ids) this.stamps[id] = gen;
      };
      if (Array.isArray(v)) v.forEach(mark);
      else mark(v);
    }
  }

  /**
   * The candidates of one event as a bitset (bit id of word `at + (id >> 5)`), for a predicate
   * module that skips the others (codegen/evaluator.ts CandidateSelector). Leaves select() as is.
   */
  writeCandidates(read: (path: string) => Value | undefined, words: Uint32Array, at: number): void {
    this.writeAlways(words, at);
    for (const t of this.tables) this.markValue(t, read(t.path), words, at);
  }

  /** Starts a record's candidate words: only the filters that are always candidates. */
  writeAlways(words: Uint32Array, at: number): void {
    words.set(this.alwaysWords, at);
  }

  /** Marks the filters of table `t` that the field value `v` (a value or an array) selects. */
  markValue(t: IndexTable, v: Value | undefined, words: Uint32Array, at: number): void {
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) for (const x of v) this.markWord(t, x, words, at);
    else this.markWord(t, v, words, at);
  }

  private markWord(t: IndexTable, x: Value, words: Uint32Array, at: number): void {
    if (typeof x !== 'string') return;
    const ids = t.byValue.get(t.insensitive ? foldCase(x) : x);
    if (ids) markIds(ids, words, at);
  }

  /** The field paths the index reads per event. */
  paths(): string[] {
    return [...new Set(this.tables.map((t) => t.path))];
  }

  /** Whether filter `id` may match the event of the last select(). */
  candidate(id: number): boolean {
    return this.always[id] === 1 || this.stamps[id] === this.generation;
  }
}

/** Sets bit id of word `at + (id >> 5)` for each id. */
export function markIds(ids: readonly number[], words: Uint32Array, at: number): void {
  for (const id of ids) words[at + (id >>> 5)] = words[at + (id >>> 5)]! | (1 << (id & 31));
}
