// The sub-expressions a predicate module hands back to JS. The generator registers every node it
// compiles natively too (a record can still need the host: a non-ASCII string under `~`, a value
// kept as JSON text, an IP written as text …) and every node it cannot compile at all (regex,
// version and date compares, arithmetic, most functions). Each gets an id; the interpreter
// closure is built the first time that id is called, so the common all-native path costs nothing.
import type { EventView } from '../../engine/compiled.js';
import type { FieldAccessorFactory } from '../field-access.js';
import { compileExpr } from '../interp.js';
import type { TExpr } from '../ir.js';
import { truthOf } from '../values.js';
import { Tri } from './abi.js';

export type TriEvaluator = (ev: EventView) => number;

export class HostHelpers {
  private readonly nodes: TExpr[] = [];
  private readonly custom: (((accessor: FieldAccessorFactory) => TriEvaluator) | undefined)[] = [];
  /** Per id: the node was left to the host entirely (not a per-record escape). */
  readonly hostOnly: boolean[] = [];

  /** Registers a sub-expression evaluated for its truth; returns its id. */
  add(node: TExpr, hostOnly: boolean): number {
    this.nodes.push(node);
    this.custom.push(undefined);
    this.hostOnly.push(hostOnly);
    return this.nodes.length - 1;
  }

  /** Registers an evaluator built from the accessor (the category test); returns its id. */
  addEvaluator(f: (accessor: FieldAccessorFactory) => TriEvaluator, node: TExpr): number {
    this.nodes.push(node);
    this.custom.push(f);
    this.hostOnly.push(false);
    return this.nodes.length - 1;
  }

  get count(): number {
    return this.nodes.length;
  }

  /** What id `id` evaluates: its node, and whether a custom evaluator (not the node's truth) does it. */
  entry(id: number): { node: TExpr; custom: boolean; hostOnly: boolean } {
    return { node: this.nodes[id]!, custom: this.custom[id] !== undefined, hostOnly: this.hostOnly[id]! };
  }

  /** The ids' evaluators over the given accessor (one set per layout/accessor). */
  bind(accessor: FieldAccessorFactory): (id: number, ev: EventView) => number {
    const compiled: (TriEvaluator | undefined)[] = [];
    return (id, ev) => {
      let f = compiled[id];
      if (f === undefined) {
        const custom = this.custom[id];
        if (custom) f = custom(accessor);
        else {
          const evaluate = compileExpr(this.nodes[id]!, { accessor });
          f = (e) => triCode(truthOf(evaluate(e)));
        }
        compiled[id] = f;
      }
      return f(ev);
    };
  }
}

export function triCode(t: boolean | null): number {
  return t === null ? Tri.null : t ? Tri.true : Tri.false;
}
