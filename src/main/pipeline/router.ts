// Decides which partitions get an event. For every distinct first join-key expression among the
// loaded sequence/sample steps (a "key group": usually a handful, e.g. process.entity_id and
// process.parent.entity_id) it evaluates the key on the record in place and sends the event to
// the partition owning each value; events a single-event rule could match also go to their home
// partition. Categories no step needs are dropped before any key is read.
import type { RecordLayout } from '../../shared/record/layout.js';
import { RecordEvent, recordFieldAccessor } from '../../shared/eql/record-access.js';
import type { TExpr } from '../../shared/eql/ir.js';
import type { Value } from '../../shared/engine/compiled.js';
import { decodeField } from '../../shared/record/decode.js';
import { checkRule, compileRule } from '../../shared/rules/compile-rule.js';
import { asSource, type RuleSpec } from '../../shared/pipeline/ruleset.js';
import { homePartition, keyPartition } from '../../shared/pipeline/partition.js';
import type { BuiltSchema } from '../../shared/schema/schema.js';

interface KeyGroup {
  bit: number;
  /** Categories of the steps keyed by this expression; null = any. */
  categories: Set<string> | null;
  /** The first key's values as the engine sees them (nulls removed, dates as instants). */
  extract: (ev: unknown) => Value[];
}

export class Router {
  private readonly groups: KeyGroup[] = [];
  private readonly eventCategories: Set<string> | null | undefined;
  private readonly ev: RecordEvent;
  private readonly categoryId: number;
  private readonly targets: number[] = [];
  private readonly masks: number[];

  constructor(specs: readonly RuleSpec[], layout: RecordLayout, checkSchema: BuiltSchema, private readonly partitions: number) {
    const accessor = recordFieldAccessor(layout);
    const bySignature = new Map<string, KeyGroup>();
    let eventCats: Set<string> | null | undefined = undefined; // undefined: no single-event rules
    for (const spec of specs) {
      const check = checkRule(asSource(spec), { schema: checkSchema });
      if (!check.ok) continue;
      const q = check.checked;
      const compiled = compileRule(check, { accessor });
      if (q.kind === 'event') {
        const cat = q.steps[0].filter.category;
        if (cat === null) eventCats = null;
        else if (eventCats !== null) (eventCats ??= new Set()).add(cat);
        continue;
      }
      const steps = [...q.steps, ...(q.until ? [q.until] : [])];
      const compiledSteps = [...compiled.steps, ...(compiled.until ? [compiled.until] : [])];
      steps.forEach((step, i) => {
        const key = step.keys[0];
        if (!key) return;
        const sig = signature(key);
        let g = bySignature.get(sig);
        if (!g) {
          const keysOf = compiledSteps[i].keys;
          g = { bit: bySignature.size % 32, categories: new Set(), extract: (ev) => keysOf(ev)[0] ?? [] };
          bySignature.set(sig, g);
        }
        if (step.filter.category === null) g.categories = null;
        else g.categories?.add(step.filter.category);
      });
    }
    this.groups = [...bySignature.values()];
    this.eventCategories = eventCats;
    this.ev = new RecordEvent(layout, new Uint8Array(0), 0);
    this.categoryId = layout.fieldId(checkSchema.aliasOf('event.category') ?? 'event.category');
    this.masks = new Array(partitions).fill(0);
  }

  get keyGroups(): number {
    return this.groups.length;
  }

  /**
   * Partitions that must see the record at `offset` (each once), with their group masks in
   * `masks()`. Returns the number of targets (0: no rule can match it).
   */
  route(bytes: Uint8Array, offset: number, seq: number): number {
    const ev = this.ev.reset(bytes, offset, seq);
    const cats = this.categoryId >= 0 ? decodeField(ev.rv, this.categoryId) : undefined;
    const targets = this.targets;
    targets.length = 0;
    if (this.eventCategories === null || (this.eventCategories && matchesCategory(cats, this.eventCategories))) {
      this.add(homePartition(seq, this.partitions), 0);
    }
    for (const g of this.groups) {
      if (g.categories !== null && !matchesCategory(cats, g.categories)) continue;
      const values = g.extract(ev);
      // No value: the key is null, owned (if the step allows null keys) by the null key's partition.
      if (values.length === 0) this.add(keyPartition(null, this.partitions), 1 << g.bit);
      else for (const v of values) this.add(keyPartition(v, this.partitions), 1 << g.bit);
    }
    return targets.length;
  }

  target(i: number): number {
    return this.targets[i];
  }

  /** Group mask for partition p of the last route() (reset by the next route()). */
  maskFor(p: number): number {
    return this.masks[p];
  }

  private add(p: number, bit: number): void {
    if (!this.targets.includes(p)) {
      this.targets.push(p);
      this.masks[p] = 0;
    }
    this.masks[p] |= bit;
  }
}

function matchesCategory(cats: unknown, wanted: Set<string>): boolean {
  if (typeof cats === 'string') return wanted.has(cats);
  if (Array.isArray(cats)) return cats.some((c) => typeof c === 'string' && wanted.has(c));
  return false;
}

/** A key expression's identity: its typed IR without source positions. */
function signature(e: TExpr): string {
  return JSON.stringify(e, (k, v) => (k === 'span' || k === 'written' || k === 'def' ? undefined : typeof v === 'bigint' ? `${v}n` : v));
}
