// The fields a set of checked filters reads: every field reference of their conditions plus the
// category field of each. Consumers that prepare events for the filters (a query's Wasm records)
// need prepare nothing else.
import { operands } from './check-expr.js';
import type { CheckedFilter, FieldNode, TExpr } from './ir.js';

export function fieldsRead(filters: readonly CheckedFilter[]): FieldNode[] {
  const out: FieldNode[] = [];
  const visit = (e: TExpr): void => {
    if (e.kind === 'field') out.push(e);
    else if (e.kind !== 'const') for (const o of operands(e)) visit(o);
  };
  for (const f of filters) {
    out.push(f.categoryField);
    visit(f.where);
  }
  return out;
}
