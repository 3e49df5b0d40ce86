// Automata for lucene-regex.ts: a Thompson-style NFA over Unicode code points, the two operations
// an NFA cannot do on the fly (complement, via bounded subset construction; intersection, via a
// bounded product), and a matcher that simulates the NFA as a set of states while caching the sets
// it meets as DFA states. Nothing here backtracks: matching is O(input length × NFA size) at worst,
// and O(input length) once the cache is warm.
//
// Every construction is bounded (see REGEX_LIMITS in lucene-regex.ts); exceeding a bound throws
// LimitError('eql.regex.too_complex') at compile time, never while matching.
import { LimitError } from '../../errors.js';

export const MAX_CODE_POINT = 0x10ffff;

/** A piece of NFA with one entry and one exit state (the exit accepts when the piece is the whole). */
export interface Fragment {
  start: number;
  end: number;
}

export interface AutomatonLimits {
  maxNfaStates: number;
  maxDfaStates: number;
  cachedDfaStates: number;
}

function tooComplex(what: string, limit: number): LimitError {
  return new LimitError('eql.regex.too_complex', `regular expression is too complex: more than ${limit} ${what}`, {
    context: { limit },
  });
}

export class NfaBuilder {
  /** Epsilon successors of each state. */
  private readonly eps: number[][] = [];
  /** Labelled edges of each state, flattened as [lo, hi, target, …] with inclusive code-point ranges. */
  private readonly edges: number[][] = [];

  constructor(private readonly limits: AutomatonLimits) {}

  state(): number {
    if (this.eps.length >= this.limits.maxNfaStates) throw tooComplex('automaton states', this.limits.maxNfaStates);
    this.eps.push([]);
    this.edges.push([]);
    return this.eps.length - 1;
  }

  epsilon(from: number, to: number): void {
    this.eps[from]!.push(to);
  }

  edge(from: number, lo: number, hi: number, to: number): void {
    this.edges[from]!.push(lo, hi, to);
  }

  /** A fragment accepting one code point from `ranges` (flat [lo, hi, …]). */
  charSet(ranges: readonly number[]): Fragment {
    const start = this.state();
    const end = this.state();
    for (let i = 0; i < ranges.length; i += 2) this.edge(start, ranges[i]!, ranges[i + 1]!, end);
    return { start, end };
  }

  emptyString(): Fragment {
    const start = this.state();
    const end = this.state();
    this.epsilon(start, end);
    return { start, end };
  }

  anyString(): Fragment {
    const f = this.emptyString();
    this.edge(f.start, 0, MAX_CODE_POINT, f.start);
    return f;
  }

  concat(parts: readonly Fragment[]): Fragment {
    if (parts.length === 0) return this.emptyString();
    for (let i = 1; i < parts.length; i++) this.epsilon(parts[i - 1]!.end, parts[i]!.start);
    return { start: parts[0]!.start, end: parts[parts.length - 1]!.end };
  }

  union(parts: readonly Fragment[]): Fragment {
    const start = this.state();
    const end = this.state();
    for (const p of parts) {
      this.epsilon(start, p.start);
      this.epsilon(p.end, end);
    }
    return { start, end };
  }

  optional(f: Fragment): Fragment {
    const start = this.state();
    const end = this.state();
    this.epsilon(start, f.start);
    this.epsilon(start, end);
    this.epsilon(f.end, end);
    return { start, end };
  }

  star(f: Fragment): Fragment {
    const start = this.state();
    const end = this.state();
    this.epsilon(start, f.start);
    this.epsilon(start, end);
    this.epsilon(f.end, f.start);
    this.epsilon(f.end, end);
    return { start, end };
  }

  private closure(seeds: Iterable<number>): number[] {
    const seen = new Set<number>();
    const stack = [...seeds];
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      for (const t of this.eps[s]!) if (!seen.has(t)) stack.push(t);
    }
    return [...seen].sort((a, b) => a - b);
  }

  /** Complement of `f` over all code-point strings: determinise (bounded), flip acceptance, re-embed. */
  complement(f: Fragment): Fragment {
    const { maxDfaStates } = this.limits;
    const sets: number[][] = [];
    const ids = new Map<string, number>();
    const trans: number[][] = []; // per DFA state: [lo, hi, target, …], ascending, non-overlapping
    const idOf = (set: number[]): number => {
      const key = set.join(',');
      let id = ids.get(key);
      if (id === undefined) {
        if (sets.length >= maxDfaStates) throw tooComplex('states when complementing (~)', maxDfaStates);
        id = sets.length;
        ids.set(key, id);
        sets.push(set);
        trans.push([]);
      }
      return id;
    };
    idOf(this.closure([f.start]));
    for (let d = 0; d < sets.length; d++) {
      const ranges: number[] = [];
      for (const s of sets[d]!) ranges.push(...this.edges[s]!);
      for (const [lo, hi, targets] of elementaryIntervals(ranges)) {
        trans[d]!.push(lo, hi, idOf(this.closure(targets)));
      }
    }
    const end = this.state();
    const sink = this.state(); // reached by every code point the DFA has no edge for: accepts in the complement
    this.edge(sink, 0, MAX_CODE_POINT, sink);
    this.epsilon(sink, end);
    const nfaOf = sets.map(() => this.state());
    for (let d = 0; d < sets.length; d++) {
      const from = nfaOf[d]!;
      if (!sets[d]!.includes(f.end)) this.epsilon(from, end);
      let next = 0;
      const t = trans[d]!;
      for (let i = 0; i < t.length; i += 3) {
        if (t[i]! > next) this.edge(from, next, t[i]! - 1, sink);
        this.edge(from, t[i]!, t[i + 1]!, nfaOf[t[i + 2]!]!);
        next = t[i + 1]! + 1;
      }
      if (next <= MAX_CODE_POINT) this.edge(from, next, MAX_CODE_POINT, sink);
    }
    return { start: nfaOf[0]!, end };
  }

  /** Intersection of two fragments by the product construction over reachable state pairs. */
  intersect(a: Fragment, b: Fragment): Fragment {
    const end = this.state();
    const pairs = new Map<number, number>();
    const work: [number, number, number][] = [];
    const stride = this.limits.maxNfaStates;
    const pairState = (p: number, q: number): number => {
      const key = p * stride + q;
      let s = pairs.get(key);
      if (s === undefined) {
        s = this.state();
        pairs.set(key, s);
        work.push([p, q, s]);
      }
      return s;
    };
    const start = pairState(a.start, b.start);
    while (work.length > 0) {
      const [p, q, s] = work.pop()!;
      if (p === a.end && q === b.end) this.epsilon(s, end);
      for (const p2 of this.eps[p]!) this.epsilon(s, pairState(p2, q));
      for (const q2 of this.eps[q]!) this.epsilon(s, pairState(p, q2));
      const ep = this.edges[p]!;
      const eq = this.edges[q]!;
      for (let i = 0; i < ep.length; i += 3) {
        for (let j = 0; j < eq.length; j += 3) {
          const lo = Math.max(ep[i]!, eq[j]!);
          const hi = Math.min(ep[i + 1]!, eq[j + 1]!);
          if (lo <= hi) this.edge(s, lo, hi, pairState(ep[i + 2]!, eq[j + 2]!));
        }
      }
    }
    return { start, end };
  }

  /** Freezes the automaton rooted at `f` into a matcher. */
  toMatcher(f: Fragment): (s: string) => boolean {
    return new CachedSubsetMatcher(this.eps, this.edges, f, this.limits.cachedDfaStates).matcher();
  }
}

/**
 * Splits possibly overlapping labelled ranges (flat [lo, hi, target, …]) into disjoint intervals,
 * each with the set of targets reachable on any code point in it. Ascending order.
 */
function elementaryIntervals(ranges: readonly number[]): [number, number, number[]][] {
  const bounds = new Set<number>();
  for (let i = 0; i < ranges.length; i += 3) {
    bounds.add(ranges[i]!);
    bounds.add(ranges[i + 1]! + 1);
  }
  const points = [...bounds].sort((a, b) => a - b);
  const out: [number, number, number[]][] = [];
  for (let k = 0; k + 1 < points.length; k++) {
    const lo = points[k]!;
    const hi = points[k + 1]! - 1;
    const targets: number[] = [];
    for (let i = 0; i < ranges.length; i += 3) {
      if (ranges[i]! <= lo && hi <= ranges[i + 1]!) targets.push(ranges[i + 2]!);
    }
    if (targets.length > 0) out.push([lo, hi, targets]);
  }
  return out;
}

const UNKNOWN = -1;

/**
 * Runs the NFA by tracking the set of live states. Each distinct set becomes a cached DFA state
 * with its transitions filled in on first use (an array for ASCII, a Map otherwise). When the cache
 * holds `capacity` states it is emptied and rebuilt, so memory stays bounded and a pathological
 * input costs at worst one NFA step per code point.
 */
class CachedSubsetMatcher {
  /**
   * For each NFA state: the states of its epsilon-closure that have edges or accept. Computed on
   * first use: a matcher reaches few of its states on real input, and computing every closure up
   * front cost ~70 ms of each start-up with Elastic's rules (more than their matching).
   */
  private readonly closureOf: (Int32Array | undefined)[];
  private readonly eps: readonly number[][];
  private readonly edgesOf: readonly number[][];
  private readonly acceptState: number;
  private readonly startSet: Int32Array;

  private sets: Int32Array[] = [];
  private accepting: boolean[] = [];
  private asciiNext: Int32Array[] = [];
  private otherNext: Map<number, number>[] = [];
  private ids = new Map<string, number>();
  private deadId = 0;
  private startId = 0;

  constructor(eps: readonly number[][], edges: readonly number[][], root: Fragment, private readonly capacity: number) {
    this.eps = eps;
    this.edgesOf = edges;
    this.acceptState = root.end;
    this.closureOf = new Array(eps.length);
    this.startSet = this.closure(root.start);
    this.reset();
  }

  private closure(s: number): Int32Array {
    const known = this.closureOf[s];
    if (known !== undefined) return known;
    const seen = new Set<number>([s]);
    const stack = [s];
    while (stack.length > 0) {
      for (const t of this.eps[stack.pop()!]!) {
        if (!seen.has(t)) {
          seen.add(t);
          stack.push(t);
        }
      }
    }
    const useful = [...seen].filter((t) => this.edgesOf[t]!.length > 0 || t === this.acceptState).sort((a, b) => a - b);
    return (this.closureOf[s] = Int32Array.from(useful));
  }

  private reset(): void {
    this.sets = [];
    this.accepting = [];
    this.asciiNext = [];
    this.otherNext = [];
    this.ids = new Map();
    this.deadId = this.idOf(new Int32Array(0));
    this.startId = this.idOf(this.startSet);
  }

  private idOf(set: Int32Array): number {
    const key = set.join(',');
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.sets.length;
      this.ids.set(key, id);
      this.sets.push(set);
      this.accepting.push(set.includes(this.acceptState));
      this.asciiNext.push(new Int32Array(128).fill(UNKNOWN));
      this.otherNext.push(new Map());
    }
    return id;
  }

  private computeNext(id: number, cp: number): number {
    const next = new Set<number>();
    for (const s of this.sets[id]!) {
      const e = this.edgesOf[s]!;
      for (let i = 0; i < e.length; i += 3) {
        if (e[i]! <= cp && cp <= e[i + 1]!) for (const t of this.closure(e[i + 2]!)) next.add(t);
      }
    }
    const set = Int32Array.from([...next].sort((a, b) => a - b));
    if (this.sets.length >= this.capacity) {
      // The caller only keeps the id we return, so dropping every cached state is safe.
      this.reset();
      return this.idOf(set);
    }
    const target = this.idOf(set);
    if (cp < 128) this.asciiNext[id]![cp] = target;
    else this.otherNext[id]!.set(cp, target);
    return target;
  }

  matcher(): (s: string) => boolean {
    return (s: string): boolean => {
      let id = this.startId;
      const n = s.length;
      for (let i = 0; i < n; i++) {
        let cp = s.charCodeAt(i);
        let next: number;
        if (cp < 128) {
          next = this.asciiNext[id]![cp]!;
        } else {
          if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
            const low = s.charCodeAt(i + 1);
            if (low >= 0xdc00 && low <= 0xdfff) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
              i++;
            }
          }
          next = this.otherNext[id]!.get(cp) ?? UNKNOWN;
        }
        if (next === UNKNOWN) next = this.computeNext(id, cp);
        if (next === this.deadId) return false;
        id = next;
      }
      return this.accepting[id]!;
    };
  }
}
