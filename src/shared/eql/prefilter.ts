// A discriminator index over many event filters. Most detection rules require one selective
// condition somewhere in their top-level conjunction: an exact literal (`process.name in ("nc",
// "ncat")`), a wildcard with a literal head or tail (`process.executable : "/tmp/*"`, `file.name :
// "*.service"`), or simply a field most events lack (`container.id like "*"`,
// `process.Ext.ptrace.request in (16, 16902)`, `x != null`). We pull out one such condition per
// filter (or one per branch of a top-level `or`), index filters by it, and per event read each
// indexed field once: only filters whose condition the event meets are evaluated at all. The
// condition is necessary, never sufficient, so the full predicate still decides: results cannot
// change, whichever condition is chosen. The choice only decides speed.
//
// Choosing among a conjunction's conditions: the one expected to hold for the fewest events. A
// literal on a field that nearly every event carries with a handful of values (`host.os.type`,
// `event.type`) selects nothing, nor does the presence of a field every event has; those are
// used only when nothing better exists (docs/wasm-codegen.md, "The discriminator index").
import type { TExpr } from './ir.js';
import { foldCase } from './runtime/casefold.js';
import type { Value } from './values.js';

/**
 * How a discriminator tests a field: `equals` one of `values`, starts (`prefix`) or ends
 * (`suffix`) with one of them, contains one of them (`infix`), or merely has a non-null value
 * (`present`, no values).
 */
export type DiscriminatorKind = 'equals' | 'prefix' | 'suffix' | 'infix' | 'present';

export interface Discriminator {
  path: string;
  kind: DiscriminatorKind;
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

/**
 * Of those, the fields one sensor sets alike on every event (the host's OS, the module, the kind;
 * the category is gated apart from the index): a literal of them selects nothing at all, while a
 * common `event.type` or `event.action` value still leaves out the events of other types. So a
 * filter with nothing better is indexed by its `event.type == "start"` (63% of a host's events in
 * the synthetic capture) or `event.action == "end"` (22%) rather than `host.os.type == "linux"`
 * (all of them): the corpus's filters with no selective literal were candidates for every event.
 */
const SAME_FOR_EVERY_EVENT = new Set([
  'host.os.type', 'host.os.name', 'host.os.family', 'host.os.platform', 'event.kind', 'event.category', 'event.module',
  'event.dataset', 'data_stream.dataset', 'agent.type',
]);

/**
 * `event.action` is shared by most events only for its everyday values; the others (`ptrace`,
 * `load_module`, `uid_change`, `memfd_create` …) are rare events, and a literal of them selects well.
 */
const COMMON_ACTIONS = new Set([
  'exec', 'fork', 'end', 'exit', 'start', 'executed', 'exec_event', 'process_started', 'ProcessRollup2', 'creation',
  'modification', 'deletion', 'rename', 'open', 'overwrite', 'connection_attempted', 'connection_accepted',
  'disconnect_received', 'lookup_requested', 'lookup_result',
]);

/**
 * Rough share of events an exact literal of `path` equal to `value` lets through, in cost()'s
 * units: a value most events share (`host.os.type`, `event.type`, an everyday `event.action`) lets
 * nearly all through; root's id or name, a large share (every daemon, cron job and kernel thread
 * runs as root) but still fewer than those; a rare `event.action` value, a few; anything else, 1.
 */
function literalCost(path: string, value: string): number {
  if (path === 'event.action') return COMMON_ACTIONS.has(value) ? 10_000 : 20;
  if (SAME_FOR_EVERY_EVENT.has(path)) return 100_000;
  if (LOW_SELECTIVITY.has(path)) return 10_000;
  return ROOT_IDENTITY.has(value) && IDENTITY_FIELD.test(path) ? 1_000 : 1;
}

const ROOT_IDENTITY = new Set(['0', 'root']);
const IDENTITY_FIELD = /(?:^|\.)(?:user|group|real_user|saved_user|real_group|saved_group)\.(?:id|name)$/;

/**
 * Fields a Linux host sensor fills on most events of their category (src/main/sensor/to-record.ts):
 * that one of them is present says nothing. Any other field (`process.Ext.*`, `container.*`,
 * `process.env_vars`, `url.*` …) is rare, and requiring it is selective.
 */
const COMMONLY_PRESENT = new Set([
  '@timestamp', 'process.pid', 'process.name', 'process.executable', 'process.entity_id', 'process.args', 'process.args_count',
  'process.command_line', 'process.working_directory', 'process.start', 'process.user.id', 'process.user.name',
  'process.group.id', 'process.group.name', 'process.parent.pid', 'process.parent.name', 'process.parent.executable',
  'process.parent.entity_id', 'process.parent.args', 'process.parent.args_count', 'process.parent.command_line',
  'process.parent.working_directory', 'process.parent.start', 'process.parent.user.id', 'process.parent.user.name',
  'process.parent.group.id', 'process.parent.group.name', 'user.id', 'user.name', 'group.id', 'group.name',
  'file.path', 'file.name', 'file.directory', 'file.extension', 'source.ip', 'source.port', 'source.address',
  'destination.ip', 'destination.port', 'destination.address', 'network.direction', 'network.transport', 'network.type',
]);
const COMMON_PREFIXES = ['event.', 'host.', 'agent.', 'ecs.', 'data_stream.'];

/** Whether most events share the field's values (an index on it selects little). */
export function isLowSelectivity(path: string): boolean {
  return LOW_SELECTIVITY.has(path);
}

/** Whether most events carry the field at all (requiring it selects little). */
export function isCommonlyPresent(path: string): boolean {
  return COMMONLY_PRESENT.has(path) || COMMON_PREFIXES.some((p) => path.startsWith(p));
}

/** Alternatives (any may hold) of one necessary condition, or null when none is found. */
export function discriminatorOf(e: TExpr): Discriminator[] | null {
  switch (e.kind) {
    case 'logical': {
      const parts = e.operands.map(discriminatorOf);
      if (e.op === 'or') return parts.every((p) => p !== null) ? merge(parts.flat() as Discriminator[]) : null;
      return cheapest(parts, -1)?.d ?? null;
    }
    case 'compare':
      if (e.op !== '==' || e.mode !== 'value') return null;
      return literal(e.left, e.right) ?? literal(e.right, e.left);
    case 'in':
      if (e.negated || e.mode !== 'value') return null;
      return values(e.expr, e.values, e.insensitive);
    case 'match':
      if (e.negated) return null;
      if (e.op === 'regex') return present(e.expr);
      return patterns(e.expr, e.patterns, e.insensitive);
    case 'isnull':
      // `x != null`: the field has a value.
      return e.negated ? present(e.operand) : null;
    default:
      return null;
  }
}

/**
 * The cheapest of a conjunction's parts' conditions (skipping part `skip`), with its position and
 * cost. Each part's cost once: a long `in` list costs a lookup per value, and start-up indexes
 * every filter of the ruleset.
 */
function cheapest(parts: readonly (Discriminator[] | null)[], skip: number): { d: Discriminator[]; at: number; cost: number } | null {
  let best: { d: Discriminator[]; at: number; cost: number } | null = null;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p === null || i === skip) continue;
    const c = cost(p);
    if (best === null || c < best.cost) best = { d: p, at: i, cost: c };
  }
  return best;
}

/**
 * A second necessary condition of a filter, from another part of its top-level conjunction than
 * discriminatorOf's; null when there is none that selects anything. The index makes a filter a
 * candidate only when the event meets both: filters whose best condition is broad (`event.type ==
 * "start"`) or common (`process.name == "bash"`) were evaluated for most events they could not
 * match (17.5 candidates per event for 3.9 true on the synthetic capture; 9.6 with this).
 */
export function secondDiscriminatorOf(e: TExpr): Discriminator[] | null {
  return discriminatorsOf(e)[1];
}

/** discriminatorOf(e) and secondDiscriminatorOf(e), the conjunction's parts looked at once. */
export function discriminatorsOf(e: TExpr): [Discriminator[] | null, Discriminator[] | null] {
  if (e.kind !== 'logical' || e.op !== 'and') return [discriminatorOf(e), null];
  const parts = e.operands.map(discriminatorOf);
  const first = cheapest(parts, -1);
  if (first === null) return [null, null];
  const second = cheapest(parts, first.at);
  // A condition every event meets (a sensor-wide value, a field all events have) selects nothing.
  return [first.d, second !== null && second.cost < SELECTS_NOTHING ? second.d : null];
}

/** cost() from which a condition lets (nearly) every event through. */
const SELECTS_NOTHING = 100_000;

/** `field == const` (either side). */
function literal(field: TExpr, other: TExpr): Discriminator[] | null {
  if (other.kind !== 'const') return null;
  return values(field, [other.value as Value], false);
}

/** `field in (values)`: an exact string table, or for other values the field's presence. */
function values(field: TExpr, vals: readonly Value[], insensitive: boolean): Discriminator[] | null {
  if (field.kind !== 'field') return null;
  if (vals.length === 0 || vals.some((v) => v === null)) return null;
  if (field.type !== 'string' || vals.some((v) => typeof v !== 'string')) return present(field);
  return [{ path: field.path, kind: 'equals', insensitive, values: vals.map((v) => (insensitive ? foldCase(v as string) : (v as string))) }];
}

/**
 * Wildcard patterns: each gives the literal a matching value must have (literalPiece): an exact
 * value, a head, a tail, or a run it must contain (a star, then `/meta-data/iam/`, then a star).
 * A pattern with none of these only requires the field to be present.
 */
function patterns(field: TExpr, pats: readonly string[], insensitive: boolean): Discriminator[] | null {
  if (field.kind !== 'field' || field.type !== 'string' || pats.length === 0) return null;
  const byKind = new Map<DiscriminatorKind, string[]>();
  // A two-character run still beats the presence of a field most events carry, but not of a
  // rare one (which selects better than any run).
  const minRun = isCommonlyPresent(field.path) ? MIN_INFIX : SELECTIVE_INFIX;
  for (const raw of pats) {
    const p = insensitive ? foldCase(raw) : raw;
    const piece = literalPiece(p, minRun);
    if (piece === null) return present(field);
    (byKind.get(piece.kind) ?? byKind.set(piece.kind, []).get(piece.kind)!).push(piece.value);
  }
  return [...byKind].map(([kind, vs]) => ({ path: field.path, kind, insensitive, values: vs }));
}

/**
 * The literal a value matching pattern `p` must have: the whole pattern when it has no wildcard,
 * else the longest of its head (`prefix`), its tail (`suffix`) and its longest inner run (`infix`,
 * which counts SELECTIVE_INFIX less: a run found anywhere selects less than a head or tail of its
 * length). Null when there is none (only wildcards, or runs shorter than `minRun`).
 */
function literalPiece(p: string, minRun: number): { kind: DiscriminatorKind; value: string } | null {
  const first = firstWildcard(p);
  if (first < 0) return { kind: 'equals', value: p };
  const tail = p.length - 1 - lastWildcard(p);
  // No inner run can beat a head or tail this long (runs fit between them): no need to look.
  const longest = first >= tail ? first : tail;
  const run = longest > 0 && longest >= p.length - first - tail - SELECTIVE_INFIX ? '' : longestRun(p);
  const infixScore = run.length - SELECTIVE_INFIX;
  if (first >= tail && first > infixScore && first > 0) return { kind: 'prefix', value: p.slice(0, first) };
  if (tail > infixScore && tail > 0) return { kind: 'suffix', value: p.slice(p.length - tail) };
  return run.length >= minRun ? { kind: 'infix', value: run } : null;
}

/**
 * Shortest literal run an `infix` discriminator uses: two characters (a backslash and an x,
 * `-S`) on a field most events carry, where the alternative is its presence or a literal every
 * event has (cost() ranks such runs just below those).
 */
const MIN_INFIX = 2;
/** Runs from this length on select about as well as a head or tail does. */
const SELECTIVE_INFIX = 3;

/** The longest run of a pattern without wildcards (the first of equal length). */
function longestRun(p: string): string {
  let bestStart = 0;
  let bestLength = 0;
  let start = 0;
  for (let i = 0; i <= p.length; i++) {
    const c = i < p.length ? p.charCodeAt(i) : STAR;
    if (c !== STAR && c !== QUESTION) continue;
    if (i - start > bestLength) {
      bestStart = start;
      bestLength = i - start;
    }
    start = i + 1;
  }
  return p.slice(bestStart, bestStart + bestLength);
}

const STAR = 0x2a;
const QUESTION = 0x3f;

function present(field: TExpr): Discriminator[] | null {
  return field.kind === 'field' ? [{ path: field.path, kind: 'present', insensitive: false, values: [] }] : null;
}

function firstWildcard(p: string): number {
  const s = p.indexOf('*');
  const q = p.indexOf('?');
  return s < 0 ? q : q < 0 ? s : Math.min(s, q);
}

function lastWildcard(p: string): number {
  return Math.max(p.lastIndexOf('*'), p.lastIndexOf('?'));
}

/** Alternatives of an `or`: a presence test of a field subsumes every other test of it. */
function merge(alts: Discriminator[]): Discriminator[] {
  const presentPaths = new Set(alts.filter((a) => a.kind === 'present').map((a) => a.path));
  return alts.filter((a) => a.kind === 'present' || !presentPaths.has(a.path));
}

/** Rough expected share of events a discriminator lets through, in arbitrary units. */
function cost(d: readonly Discriminator[]): number {
  let n = 0;
  for (const x of d) {
    if (x.kind === 'present') n += isCommonlyPresent(x.path) ? 100_000 : 3;
    else if (x.kind === 'equals') for (const v of x.values) n += literalCost(x.path, v);
    else if (LOW_SELECTIVITY.has(x.path)) n += (SAME_FOR_EVERY_EVENT.has(x.path) ? 100_000 : 10_000) * x.values.length;
    // A run anywhere in the value is found more often than a head or tail of its length.
    else if (x.kind === 'infix') for (const v of x.values) n += v.length >= 6 ? 3 : v.length >= SELECTIVE_INFIX ? 25 : 500;
    // A short head or tail ("/", ".") is shared by many values.
    else for (const v of x.values) n += v.length >= 3 ? 2 : 40;
  }
  return n;
}

/** The part of the IR the index needs from each filter: its where-clause. */
export interface IndexedFilter {
  where: TExpr;
}

/** The filters whose discriminator tests one field one way (case-insensitively or not). */
export interface IndexTable {
  readonly path: string;
  readonly kind: DiscriminatorKind;
  readonly insensitive: boolean;
  /** Literal (case-folded when insensitive) → ids of the filters it selects; empty for `present`. */
  readonly byValue: ReadonlyMap<string, readonly number[]>;
  /** `present`: the filters that only need the field to have a value. */
  readonly ids: readonly number[];
  /** `prefix`/`suffix`/`infix`: the distinct literal lengths, in UTF-16 units, shortest first. */
  readonly lengths: readonly number[];
}

interface MutableTable {
  path: string;
  kind: DiscriminatorKind;
  insensitive: boolean;
  byValue: Map<string, number[]>;
  ids: number[];
  lengths: number[];
}

/**
 * Index of filters by discriminator. Filter `id` is marked under two ids: `id` by the tables of its
 * discriminator, and `32 × words + id` (secondBit) by those of its second discriminator
 * (secondDiscriminatorOf), if it has one. It is a candidate when both are marked (or it has no second). Marks go to a bitset
 * of `markWords` words, which candidateWords() folds into the filters' bitset.
 * `select(read)` marks the candidate filters of one event, reading each indexed field once
 * through `read(path)`.
 */
export class FilterIndex {
  /** (path|kind|ci) → table. */
  private readonly byKey = new Map<string, MutableTable>();
  /** The tables in a fixed order, for readers that prepare per-table state (prefilter-record.ts). */
  readonly tables: readonly IndexTable[];
  private readonly stamps: Uint32Array;
  private readonly always: Uint8Array;
  /**
   * The marks every event starts with, as a bitset of both id ranges: the filters that are always
   * candidates, and (from word `words`) those without a second discriminator.
   */
  private readonly alwaysMarks: Uint32Array;
  private generation = 0;
  /** Marks of the event being written by writeCandidates. */
  private readonly marks: Uint32Array;
  readonly indexed: number;
  /** Filters with a second discriminator. */
  readonly doublyIndexed: number;
  /** Number of filters (ids 0 … size - 1). */
  readonly size: number;
  /** Words of the filters' bitset. */
  readonly words: number;
  /** Words of a bitset of marks: the first id range in words [0, words), the second after it. */
  readonly markWords: number;

  constructor(filters: readonly IndexedFilter[]) {
    const n = filters.length;
    this.size = n;
    this.words = Math.ceil(n / 32);
    this.markWords = 2 * this.words;
    // By mark id (both ranges), like the marks' bitset.
    this.stamps = new Uint32Array(32 * this.markWords);
    this.always = new Uint8Array(n);
    this.alwaysMarks = new Uint32Array(this.markWords);
    this.marks = new Uint32Array(this.markWords);
    let indexed = 0;
    let doubly = 0;
    filters.forEach((f, id) => {
      const [d, second] = discriminatorsOf(f.where);
      // A low-selectivity-only condition still helps (e.g. a linux-only rule on Windows data),
      // but a filter with no condition at all is always a candidate.
      if (!d) {
        this.always[id] = 1;
        setBit(this.alwaysMarks, id);
        setBit(this.alwaysMarks, this.secondBit(id));
        return;
      }
      indexed++;
      this.add(d, id);
      if (second) {
        doubly++;
        this.add(second, this.secondBit(id));
      } else setBit(this.alwaysMarks, this.secondBit(id));
    });
    for (const t of this.byKey.values()) t.lengths.sort((a, b) => a - b);
    this.indexed = indexed;
    this.doublyIndexed = doubly;
    this.tables = [...this.byKey.values()];
  }

  /** Where filter id's second mark is: the second range starts at a word boundary. */
  private secondBit(id: number): number {
    return 32 * this.words + id;
  }

  /** Puts mark `bit` under each alternative of a discriminator. */
  private add(d: readonly Discriminator[], bit: number): void {
    for (const alt of d) {
      const key = `${alt.path}|${alt.kind}|${alt.insensitive ? 1 : 0}`;
      let t = this.byKey.get(key);
      if (!t) this.byKey.set(key, (t = { path: alt.path, kind: alt.kind, insensitive: alt.insensitive, byValue: new Map(), ids: [], lengths: [] }));
      if (alt.kind === 'present') {
        if (!t.ids.includes(bit)) t.ids.push(bit);
        continue;
      }
      for (const v of alt.values) {
        const ids = t.byValue.get(v) ?? [];
        if (!ids.includes(bit)) ids.push(bit);
        t.byValue.set(v, ids);
        if (!t.lengths.includes(v.length)) t.lengths.push(v.length);
      }
    }
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
      forEachSelected(t, v, (ids) => {
        for (const id of ids) this.stamps[id] = gen;
      });
    }
  }

  /**
   * The candidates of one event as a bitset (bit id of word `at + (id >> 5)`), for a predicate
   * module that skips the others (codegen/evaluator.ts CandidateSelector). Leaves select() as is.
   */
  writeCandidates(read: (path: string) => Value | undefined, words: Uint32Array, at: number): void {
    const marks = this.marks;
    this.writeAlways(marks, 0);
    for (const t of this.tables) this.markValue(t, read(t.path), marks, 0);
    this.candidateWords(marks, 0, words, at);
  }

  /** Starts an event's marks (`markWords` words at `at`): only the marks every event has. */
  writeAlways(marks: Uint32Array, at: number): void {
    marks.set(this.alwaysMarks, at);
  }

  /** Marks the ids of table `t` that the field value `v` (a value or an array) selects. */
  markValue(t: IndexTable, v: Value | undefined, marks: Uint32Array, at: number): void {
    forEachSelected(t, v, (ids) => markIds(ids, marks, at));
  }

  /** The filters' bitset (`words` words at `at`) from an event's marks: both ranges marked. */
  candidateWords(marks: Uint32Array, from: number, words: Uint32Array, at: number): void {
    const W = this.words;
    for (let w = 0; w < W; w++) words[at + w] = marks[from + w]! & marks[from + W + w]!;
  }

  /** The field paths the index reads per event. */
  paths(): string[] {
    return [...new Set(this.tables.map((t) => t.path))];
  }

  /** Whether filter `id` may match the event of the last select(). */
  candidate(id: number): boolean {
    if (this.always[id] === 1) return true;
    const gen = this.generation;
    const second = this.secondBit(id);
    const noSecond = (this.alwaysMarks[second >>> 5]! >>> (second & 31)) & 1;
    return this.stamps[id] === gen && (noSecond === 1 || this.stamps[second] === gen);
  }
}

function setBit(words: Uint32Array, bit: number): void {
  words[bit >>> 5] = words[bit >>> 5]! | (1 << (bit & 31));
}

/** Calls `mark` with each id list of table `t` that the field value `v` selects. */
function forEachSelected(t: IndexTable, v: Value | undefined, mark: (ids: readonly number[]) => void): void {
  if (v === undefined || v === null) return;
  if (t.kind === 'present') {
    // An empty array has no value; anything else does (a superset is always safe).
    if (!Array.isArray(v) || v.length > 0) mark(t.ids);
    return;
  }
  if (Array.isArray(v)) for (const x of v) selectString(t, x, mark);
  else selectString(t, v, mark);
}

function selectString(t: IndexTable, x: Value, mark: (ids: readonly number[]) => void): void {
  if (typeof x !== 'string') return;
  // Patterns match the folded string as a whole (wildcard.ts), so heads and tails are cut from it.
  const s = t.insensitive ? foldCase(x) : x;
  if (t.kind === 'equals') {
    const ids = t.byValue.get(s);
    if (ids) mark(ids);
    return;
  }
  if (t.kind === 'infix') {
    for (const [run, ids] of t.byValue) if (s.includes(run)) mark(ids);
    return;
  }
  for (const len of t.lengths) {
    if (len > s.length) break;
    const ids = t.byValue.get(t.kind === 'prefix' ? s.slice(0, len) : s.slice(s.length - len));
    if (ids) mark(ids);
  }
}

/** Sets bit id of word `at + (id >> 5)` for each id. */
export function markIds(ids: readonly number[], words: Uint32Array, at: number): void {
  for (const id of ids) words[at + (id >>> 5)] = words[at + (id >>> 5)]! | (1 << (id & 31));
}
