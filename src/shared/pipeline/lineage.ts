// Process lineage for Elastic Endpoint's `descendant of [Q]`, `child of [Q]` and `event of [Q]`.
//
// The tracker sees every event in order (main, before an event's step bits are final; or the
// query loop) and keeps an entity-keyed process table: at each process start it evaluates every
// distinct lineage filter Q on the start event and records which matched (`own`), and, for a new
// entity, which matched for any of its ancestors (`anc`: the parent's own | the parent's anc, fixed
// when the child appears). So `descendant of` is one table lookup and a bit test — O(1), not a walk
// up the tree — and the answer depends only on the events before it in the stream, so replay gives
// the same alerts for any worker count. The table is bounded (oldest entity first out; evictions
// counted): a process whose entry was evicted answers as if unseen.
import type { CompiledFilter, EventView } from '../engine/compiled.js';
import { compileFilter } from '../eql/compile.js';
import type { FieldAccessorFactory } from '../eql/field-access.js';
import { compilePredicate, type LineageAnswers } from '../eql/interp.js';
import type { CheckedFilter, CheckedQuery, FieldNode, LineageNode, TExpr } from '../eql/ir.js';
import { childrenOf } from '../eql/check-expr.js';
import { predicateFilters } from './ruleset.js';

/** Distinct lineage filters a ruleset may ask about: each takes one bit of a process's masks. */
export const MAX_LINEAGE_FILTERS = 32;
export const DEFAULT_MAX_PROCESSES = 65_536;

interface ProcessEntry {
  /** Bit i: lineage filter i matched one of this process's own start events (fork, exec). */
  own: number;
  /** Bit i: it matched for some ancestor when this process appeared. */
  anc: number;
}

/** Every lineage node of an expression. */
export function lineageNodes(e: TExpr | undefined, out: LineageNode[] = []): LineageNode[] {
  if (!e) return out;
  if (e.kind === 'lineage') out.push(e);
  for (const c of childrenOf(e)) lineageNodes(c, out);
  return out;
}

const field = (path: string): FieldNode => ({ kind: 'field', type: 'string', path, segments: path.split('.'), written: path, optional: true, span: { start: 0, end: 0 } });

export class LineageTracker implements LineageAnswers {
  private readonly filters: CompiledFilter[] = [];
  private readonly slotOf = new Map<LineageNode, number>();
  private readonly table = new Map<string, ProcessEntry>();
  private readonly readCategory: (ev: EventView) => unknown;
  private readonly readType: (ev: EventView) => unknown;
  private readonly readAction: (ev: EventView) => unknown;
  private readonly readEntity: (ev: EventView) => unknown;
  private readonly readParent: (ev: EventView) => unknown;
  /** The distinct filters, in slot order (two trackers with equal keys can share a table). */
  private readonly keys: string[] = [];
  private current: ProcessEntry | undefined;
  private currentParent: ProcessEntry | undefined;
  private event: EventView | undefined;
  private resolved = false;
  evictions = 0;

  /** Set while a snapshot record (`already_running`) is evaluated as the start it stands for. */
  private asStart = false;

  constructor(nodes: readonly LineageNode[], accessor: FieldAccessorFactory, private readonly maxProcesses = DEFAULT_MAX_PROCESSES) {
    // A process already running when the sensor started has a snapshot record, not a start event:
    // the lineage filters see it as the exec start it stands for (event.action "exec", type start).
    const inner = accessor;
    accessor = (f) => {
      const read = inner(f);
      if (f.path === 'event.action') return (ev) => (this.asStart ? 'exec' : read(ev));
      if (f.path === 'event.type') return (ev) => (this.asStart ? ['start'] : read(ev));
      return read;
    };
    // One bit per distinct filter (same category and condition), however many rules ask.
    const byText = new Map<string, number>();
    for (const n of nodes) {
      const text = `${n.filter.category ?? 'any'}|${renderFilter(n.filter)}`;
      let slot = byText.get(text);
      if (slot === undefined) {
        slot = this.filters.length;
        if (slot >= MAX_LINEAGE_FILTERS) throw new Error(`more than ${MAX_LINEAGE_FILTERS} distinct lineage filters in one ruleset`);
        byText.set(text, slot);
        this.keys.push(text);
        this.filters.push(compileFilter(n.filter, accessor));
      }
      this.slotOf.set(n, slot);
    }
    this.readCategory = accessor(field('event.category'));
    this.readType = accessor(field('event.type'));
    this.readAction = accessor(field('event.action'));
    this.readEntity = accessor(field('process.entity_id'));
    this.readParent = accessor(field('process.parent.entity_id'));
  }

  get size(): number {
    return this.table.size;
  }

  /**
   * After a rule reload: keeps the previous generation's process table when it tracked the same
   * filters in the same slots (the usual case: other rules changed), so processes that started
   * before the reload keep their ancestry. Otherwise the new table starts empty.
   */
  adoptFrom(previous: LineageTracker): boolean {
    if (previous.keys.length !== this.keys.length || previous.keys.some((k, i) => k !== this.keys[i])) return false;
    for (const [k, v] of previous.table) this.table.set(k, v);
    this.evictions = previous.evictions;
    return true;
  }

  /**
   * Takes the next event in stream order: a process start updates the table; every event becomes
   * current. Only a process event's type, action and ids are read here; for others, the ids are
   * read when a lineage term asks (most events never meet one).
   */
  observe(ev: EventView): void {
    this.event = ev;
    this.resolved = false;
    if (!hasValue(this.readCategory(ev), 'process')) return;
    const action = this.readAction(ev);
    if (!isProcessStart(this.readType(ev), action)) return;
    const entity = this.readEntity(ev);
    if (typeof entity !== 'string') return;
    const parent = this.readParent(ev);
    const parentEntry = typeof parent === 'string' ? this.table.get(parent) : undefined;
    let own = 0;
    this.asStart = action === 'already_running';
    try {
      for (let i = 0; i < this.filters.length; i++) if (this.filters[i]!.test(ev)) own |= 1 << i;
    } finally {
      this.asStart = false;
    }
    const entry = this.table.get(entity);
    if (entry) {
      entry.own |= own;
      return;
    }
    this.table.set(entity, { own, anc: parentEntry ? parentEntry.own | parentEntry.anc : 0 });
    if (this.table.size > this.maxProcesses) {
      this.table.delete(this.table.keys().next().value!);
      this.evictions++;
    }
  }

  /** The current event's process and parent entries (read on the first question about the event). */
  private resolve(): void {
    if (this.resolved) return;
    this.resolved = true;
    const ev = this.event;
    const entity = ev === undefined ? undefined : this.readEntity(ev);
    const parent = ev === undefined ? undefined : this.readParent(ev);
    this.current = typeof entity === 'string' ? this.table.get(entity) : undefined;
    this.currentParent = typeof parent === 'string' ? this.table.get(parent) : undefined;
  }

  answer(node: LineageNode): boolean {
    this.resolve();
    const bit = 1 << this.slotOf.get(node)!;
    switch (node.relation) {
      case 'event':
        return ((this.current?.own ?? 0) & bit) !== 0;
      case 'child':
        return ((this.currentParent?.own ?? 0) & bit) !== 0;
      case 'descendant': {
        // A process first seen in this very event has no entry of its own yet: its parent's say.
        const anc = this.current ? this.current.anc : this.currentParent ? this.currentParent.own | this.currentParent.anc : 0;
        return (anc & bit) !== 0;
      }
    }
  }
}

const hasValue = (v: unknown, x: string) => v === x || (Array.isArray(v) && v.includes(x));

/** A process start as Kestrel's sensor and Elastic Defend report it (type start), or a snapshot record. */
function isProcessStart(type: unknown, action: unknown): boolean {
  return hasValue(type, 'start') || action === 'already_running';
}

function renderFilter(f: CheckedFilter): string {
  return JSON.stringify(f.where, (_k, v) => (typeof v === 'bigint' ? `${v}n` : _k === 'span' || _k === 'def' ? undefined : v));
}

/**
 * Final step bits for lineage conditions: a filter whose condition has lineage terms (its `state`
 * part) got its bit from the predicate stage for the rest of the condition; here, in event order,
 * the tracker takes the event and a set bit is cleared when the lineage terms do not hold.
 */
export class LineageStage {
  private constructor(
    readonly tracker: LineageTracker,
    private readonly stateful: { id: number; test: (ev: EventView) => boolean }[],
  ) {}

  /** undefined when no rule asks about lineage (nothing to do per event). */
  static for(rules: readonly CheckedQuery[], accessor: FieldAccessorFactory): LineageStage | undefined {
    const filters = predicateFilters(rules);
    const nodes = filters.flatMap((f) => lineageNodes(f.state));
    if (nodes.length === 0) return undefined;
    const tracker = new LineageTracker(nodes, accessor);
    const stateful = filters.flatMap((f, id) => (f.state ? [{ id, test: compilePredicate(f.state, { accessor, lineage: tracker }) }] : []));
    return new LineageStage(tracker, stateful);
  }

  /** The event, in stream order, with its bits (`bits[at…]`, one bit per filter id). */
  apply(ev: EventView, bits: Uint32Array, at: number): void {
    this.tracker.observe(ev);
    for (const { id, test } of this.stateful) {
      const w = at + (id >>> 5);
      const mask = 1 << (id & 31);
      if ((bits[w]! & mask) !== 0 && !test(ev)) bits[w] = bits[w]! & ~mask;
    }
  }
}
