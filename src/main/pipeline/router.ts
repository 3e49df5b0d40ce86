// Routes the predicate stage's output to the state stage: a record goes only to the partitions
// that own some rule's key among the rules with a true step for it, with its bits, and nowhere
// when no step is true. Single-event rules need no key: their home partition (by seq) takes them.
//
// A true step that can only continue a match (filter-roles.ts) goes only to a partition whose
// engine for that rule may hold state. Main cannot see the engines, so it tracks it conservatively
// per (partition, rule): `lastStart`, the input ordinal of the last record it sent there with a
// starting step of the rule, against `idle`, the ordinal as of which the worker last found that
// engine empty (StateStage.publishIdle, shared memory). lastStart ≤ idle means the worker has
// seen every start and holds nothing, so a continuing step changes nothing there. Skipping is
// therefore exact: the output never depends on the timing of those updates, only the traffic does.
// Ordinals are per-partition record counts, compared modulo 2^32.
import type { RecordLayout } from '../../shared/record/layout.js';
import { RecordEvent } from '../../shared/eql/record-access.js';
import type { TExpr } from '../../shared/eql/ir.js';
import type { Value } from '../../shared/engine/compiled.js';
import type { CompiledRule } from '../../shared/pipeline/ruleset.js';
import type { BuiltSchema } from '../../shared/schema/schema.js';
import { slotFieldId } from '../../shared/eql/record-access.js';
import { Storage, Tag } from '../../shared/record/frame.js';
import type { ByteSpan, RecordView } from '../../shared/record/view.js';
import { filterRoles, type FilterRoles } from '../../shared/pipeline/filter-roles.js';
import { homePartition, keyPartition } from '../../shared/pipeline/partition.js';

/** Where a filter's records go: a key group, or (-1) the home partition of a single-event rule. */
const HOME = -1;

export class BitRouter {
  readonly roles: FilterRoles;
  /** Key group of each filter id, or HOME. */
  private readonly filterGroup: Int32Array;
  /** Per key group: the first key's values as the engine sees them (nulls removed). */
  private readonly extract: ((ev: RecordEvent) => Value[])[] = [];
  /**
   * Per key group: the layout slot of a key that is a plain string field (else -1), whose
   * partitions are hashed from the record's bytes in place (partition.ts keyPartition over ASCII).
   */
  private readonly keySlot: number[] = [];
  private readonly keyStrings: boolean[] = [];
  private readonly span: ByteSpan = { offset: 0, length: 0 };
  /** Per key group: stamp of the record its partitions were computed for, and those partitions. */
  private readonly groupStamp: Int32Array;
  private readonly groupParts: number[][];
  private stamp = 0;
  private readonly ev: RecordEvent;
  private readonly ruleCount: number;
  /** Per (partition, rule): input ordinal of the last starting record sent. */
  private readonly lastStart: Int32Array;
  /** Per partition: the worker's idle ordinals (shared memory, one word per rule). */
  readonly idle: Int32Array[];
  /** Per partition: ordinal of the last record sent. */
  private readonly ordinal: Int32Array;
  /** The last route(): target partitions, and per partition whether it gets a starting step of rule r. */
  private readonly targets: number[] = [];
  private readonly isTarget: Uint8Array;
  private readonly started: number[][];
  /** The last route(): per partition, the bits of the steps it was sent the record for. */
  private readonly partBits: Uint32Array[];
  /** Counters: records routed to no partition, and continuing steps not sent. */
  unrouted = 0;
  skippedContinuations = 0;

  constructor(ruleset: readonly CompiledRule[], layout: RecordLayout, checkSchema: BuiltSchema, private readonly partitions: number) {
    this.roles = filterRoles(ruleset.map((r) => r.checked));
    this.ruleCount = ruleset.length;
    const bySignature = new Map<string, number>();
    const groups: number[] = [];
    ruleset.forEach(({ checked, compiled }) => {
      const steps = [...checked.steps, ...(checked.until ? [checked.until] : [])];
      const compiledSteps = [...compiled.steps, ...(compiled.until ? [compiled.until] : [])];
      steps.forEach((step, i) => {
        const key = step.keys[0];
        if (checked.kind === 'event' || !key) {
          groups.push(HOME);
          return;
        }
        const sig = signature(key);
        let g = bySignature.get(sig);
        if (g === undefined) {
          const keysOf = compiledSteps[i]!.keys;
          g = this.extract.length;
          this.extract.push((ev) => keysOf(ev)[0] ?? []);
          const slot = key.kind === 'field' && key.type === 'string' && checkSchema.lookup(key.path)?.nullValue === undefined ? slotFieldId(layout, key.path) : -1;
          this.keySlot.push(slot);
          this.keyStrings.push(slot >= 0 && layout.fields[slot]!.storage === Storage.string);
          bySignature.set(sig, g);
        }
        groups.push(g);
      });
    });
    this.filterGroup = Int32Array.from(groups);
    this.groupStamp = new Int32Array(this.extract.length).fill(-1);
    this.groupParts = this.extract.map(() => []);
    this.ev = new RecordEvent(layout, new Uint8Array(0), 0);
    this.lastStart = new Int32Array(partitions * this.ruleCount);
    this.idle = Array.from({ length: partitions }, () => new Int32Array(new SharedArrayBuffer(4 * Math.max(1, this.ruleCount))));
    this.ordinal = new Int32Array(partitions);
    this.isTarget = new Uint8Array(partitions);
    this.started = Array.from({ length: partitions }, () => []);
    this.partBits = Array.from({ length: partitions }, () => new Uint32Array(this.roles.wordsPerRecord));
  }

  /**
   * Takes over from the router of the previous ruleset generation: ordinals continue (workers
   * number their input across the swap), and every rule counts as started at the swap, so idle
   * words a worker wrote for the old rules can never let a continuing step be skipped.
   */
  continueFrom(prev: BitRouter): void {
    for (let p = 0; p < this.partitions; p++) {
      const ord = prev.ordinal[p]!;
      this.ordinal[p] = ord;
      this.lastStart.fill(ord, p * this.ruleCount, (p + 1) * this.ruleCount);
    }
  }

  get keyGroups(): number {
    return this.extract.length;
  }

  /** The idle words' buffers, one per partition, for the workers' config. */
  idleBuffers(): SharedArrayBuffer[] {
    return this.idle.map((a) => a.buffer as SharedArrayBuffer);
  }

  /**
   * The partitions that must see the record at `offset` given its bits (`bits[bitsAt…]`). Returns
   * how many; `target(i)` and `ordinalFor(p)` describe them until the next call.
   */
  route(bytes: Uint8Array, offset: number, seq: number, bits: Uint32Array, bitsAt: number): number {
    const targets = this.targets;
    for (const p of targets) {
      this.isTarget[p] = 0;
      this.partBits[p]!.fill(0);
    }
    targets.length = 0;
    const { filterRule, starts } = this.roles;
    const W = this.roles.wordsPerRecord;
    let evReady = false;
    this.stamp = (this.stamp + 1) | 0;
    for (let w = 0; w < W; w++) {
      let word = bits[bitsAt + w]!;
      while (word !== 0) {
        const low = word & -word;
        word ^= low;
        const id = (w << 5) + 31 - Math.clz32(low);
        const rule = filterRule[id]!;
        const g = this.filterGroup[id]!;
        if (g === HOME) {
          this.offer(homePartition(seq, this.partitions), rule, id, starts[id] === 1);
          continue;
        }
        if (this.partitions === 1) {
          this.offer(0, rule, id, starts[id] === 1);
          continue;
        }
        if (this.groupStamp[g] !== this.stamp) {
          if (!evReady) {
            this.ev.reset(bytes, offset, seq);
            evReady = true;
          }
          this.groupStamp[g] = this.stamp;
          const parts = this.groupParts[g]!;
          parts.length = 0;
          if (!this.partitionsFromBytes(g, parts)) {
            parts.length = 0;
            const values = this.extract[g]!(this.ev);
            for (const v of values) { const p = keyPartition(v, this.partitions); if (!parts.includes(p)) parts.push(p); }
          }
          // No value: the key is null, owned (if the step allows null keys) by the null key's partition.
          if (parts.length === 0) parts.push(keyPartition(null, this.partitions));
        }
        for (const p of this.groupParts[g]!) this.offer(p, rule, id, starts[id] === 1);
      }
    }
    if (targets.length === 0) this.unrouted++;
    // Each target gets the record under its next ordinal; starts are stamped with it.
    for (const p of targets) {
      const ord = (this.ordinal[p]! + 1) | 0;
      this.ordinal[p] = ord;
      const started = this.started[p]!;
      for (const r of started) this.lastStart[p * this.ruleCount + r] = ord;
      started.length = 0;
    }
    return targets.length;
  }

  /**
   * The partitions of group g's key values hashed from the record's bytes: for a plain string
   * field, keyPartition(v) is FNV-1a over "s" + v in UTF-16 units, which for ASCII are its bytes.
   * False when a value must be decoded (not ASCII, not stored as a string).
   */
  private partitionsFromBytes(g: number, parts: number[]): boolean {
    const slot = this.keySlot[g]!;
    if (slot < 0) return false;
    const rv = this.ev.rv;
    const tag = rv.tag(slot);
    if (tag < 0 || tag === Tag.null) return true;
    const strings = this.keyStrings[g]!;
    if (tag === Tag.array) {
      let pos = rv.firstElement(slot);
      for (let n = rv.arrayCount(slot); n > 0; n--, pos = rv.nextElement(pos)) {
        const et = rv.elementTag(pos);
        if (et === Tag.null) continue;
        if (et !== Tag.text && !(et === Tag.native && strings)) return false;
        if (!this.addHashed(rv, rv.elementPayload(pos), rv.elementLength(pos), parts)) return false;
      }
      return true;
    }
    if (tag !== Tag.text && !(tag === Tag.native && strings)) return false;
    rv.getStringBytes(slot, this.span);
    return this.addHashed(rv, this.span.offset, this.span.length, parts);
  }

  private addHashed(rv: RecordView, start: number, len: number, parts: number[]): boolean {
    const bytes = rv.bytes;
    let h = Math.imul(0x811c9dc5 ^ 0x73, 0x01000193); // the token's "s"
    let any = 0;
    for (let i = start, end = start + len; i < end; i++) {
      const b = bytes[i]!;
      any |= b;
      h = Math.imul(h ^ b, 0x01000193);
    }
    if (any & 0x80) return false;
    const p = (h >>> 0) % this.partitions;
    if (!parts.includes(p)) parts.push(p);
    return true;
  }

  target(i: number): number {
    return this.targets[i]!;
  }

  /**
   * The bits partition p gets with the last routed record: only the steps it was sent the record
   * for (its own keys' rules), so its state stage never offers the record to an engine that does
   * not own it.
   */
  bitsFor(p: number): Uint32Array {
    return this.partBits[p]!;
  }

  /** The input ordinal partition p's copy of the last routed record carries. */
  ordinalFor(p: number): number {
    return this.ordinal[p]! >>> 0;
  }

  private offer(p: number, rule: number, id: number, starting: boolean): void {
    if (starting) {
      this.started[p]!.push(rule);
    } else {
      // Atomics: the worker writes its idle words while this thread reads them.
      const since = (this.lastStart[p * this.ruleCount + rule]! - Atomics.load(this.idle[p]!, rule)) | 0;
      if (since <= 0) {
        this.skippedContinuations++;
        return;
      }
    }
    const bits = this.partBits[p]!;
    bits[id >>> 5] = bits[id >>> 5]! | (1 << (id & 31));
    if (this.isTarget[p] === 0) {
      this.isTarget[p] = 1;
      this.targets.push(p);
    }
  }
}

/** A key expression's identity: its typed IR without source positions. */
function signature(e: TExpr): string {
  return JSON.stringify(e, (k, v) => (k === 'span' || k === 'written' || k === 'def' ? undefined : typeof v === 'bigint' ? `${v}n` : v));
}
