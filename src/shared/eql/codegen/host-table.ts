// The host-eval table of a predicate module, as data. The generator registers IR nodes (closures
// over them are built on first use, host-helpers.ts), and IR nodes cannot cross threads. A module
// generated in one thread (the predicate pool) and run in others (partition workers) therefore
// describes each host id by where its node sits in the checked filters: every thread checks the
// same rule sources against the same schema, so the same place holds an equal node everywhere,
// and a worker rebuilds the table from its own IR with a walk instead of a code generation.
import { InternalError } from '../../errors.js';
import { childrenOf } from '../check-expr.js';
import { categoryTest } from '../compile.js';
import type { CheckedFilter, TExpr } from '../ir.js';
import { Tri } from './abi.js';
import { HostHelpers } from './host-helpers.js';

/**
 * One host id: the node at `path` (child indices, see childrenOf) under filter `filter`'s
 * where-clause, or, with `path` null, that filter's category test.
 */
export interface HostRef {
  filter: number;
  path: number[] | null;
  hostOnly: boolean;
}

/** The place of each host id's node in `filters` (the filters the module was generated from). */
export function describeHosts(hosts: HostHelpers, filters: readonly CheckedFilter[]): HostRef[] {
  const places = new Map<TExpr, { filter: number; path: number[] }>();
  const categories = new Map<TExpr, number>();
  const visit = (node: TExpr, filter: number, path: number[]): void => {
    // A node reachable twice (a shared subtree) is equal at both places: keep the first.
    if (!places.has(node)) places.set(node, { filter, path });
    childrenOf(node).forEach((child, i) => visit(child, filter, [...path, i]));
  };
  filters.forEach((f, i) => {
    visit(f.where, i, []);
    if (f.category !== null) categories.set(f.categoryField, i);
  });
  const refs: HostRef[] = [];
  for (let id = 0; id < hosts.count; id++) {
    const { node, custom, hostOnly } = hosts.entry(id);
    if (custom) {
      // The generator's only custom evaluator is a filter's category test (module.ts).
      const filter = categories.get(node);
      if (filter === undefined) throw new InternalError('codegen.host_table', `host id ${id}: a custom evaluator that is no filter's category test`);
      refs.push({ filter, path: null, hostOnly });
      continue;
    }
    const place = places.get(node);
    if (!place) throw new InternalError('codegen.host_table', `host id ${id}: a ${node.kind} node that is not part of any filter`);
    refs.push({ ...place, hostOnly });
  }
  return refs;
}

/** The host table of `refs` over these filters (equal to the ones the module was generated from). */
export function rebuildHosts(refs: readonly HostRef[], filters: readonly CheckedFilter[]): HostHelpers {
  const hosts = new HostHelpers();
  for (const ref of refs) {
    const filter = filters[ref.filter];
    if (!filter) throw new InternalError('codegen.host_table', `host table names filter ${ref.filter} of ${filters.length}`);
    if (ref.path === null) {
      const { category, categoryField } = filter;
      if (category === null) throw new InternalError('codegen.host_table', `host table names the category test of filter ${ref.filter}, which has none`);
      hosts.addEvaluator((accessor) => {
        const test = categoryTest(categoryField, category, accessor);
        return (ev) => (test(ev) ? Tri.true : Tri.false);
      }, categoryField);
      continue;
    }
    let node = filter.where;
    for (const step of ref.path) {
      const child = childrenOf(node)[step];
      if (!child) throw new InternalError('codegen.host_table', `host table path ${ref.path.join('.')} leaves filter ${ref.filter}`);
      node = child;
    }
    hosts.add(node, ref.hostOnly);
  }
  return hosts;
}
