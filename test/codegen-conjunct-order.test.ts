// The order a predicate's `and` tests its operands in (codegen/conjunct-order.ts): selective exact
// literals first, then fixed-size tests, broad literals, scans, and host helpers last; ties keep
// their source order. The truth cannot change (codegen-differential.test.ts checks that); this
// checks the order itself, which is what the speed depends on.
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../src/shared/eql/parser.js';
import { checkQuery } from '../src/shared/eql/checker.js';
import { orderConjuncts } from '../src/shared/eql/codegen/conjunct-order.js';
import type { TExpr } from '../src/shared/eql/ir.js';
import { testSchema } from './helpers/eql-schema.js';

const schema = testSchema({ 'host.os.type': 'keyword', 'event.type': 'keyword', 'process.name': 'keyword', 'process.args': { type: 'keyword', multi: true }, 'process.pid': 'long' }, { strict: false });

/** `path kind` for a test on a field, the operator for a nested and/or. */
function describeNode(e: TExpr): string {
  if (e.kind === 'logical') return e.op;
  const field = e.kind === 'compare' ? e.left : e.kind === 'in' || e.kind === 'match' ? e.expr : e;
  return `${field.kind === 'field' ? field.path : '?'} ${e.kind}`;
}

function conjuncts(where: string): string[] {
  const filter = checkQuery(parseQuery(`process where ${where}`), { schema, source: where }).steps[0]!.filter;
  if (filter.where.kind !== 'logical' || filter.where.op !== 'and') throw new Error('not a conjunction');
  return orderConjuncts(filter.where.operands).map(describeNode);
}

describe('orderConjuncts', () => {
  it('tests the selective literal before broad literals, scans and host helpers', () => {
    expect(conjuncts('host.os.type == "linux" and process.args : "*-c*" and process.name regex "ba.*" and event.type == "start" and process.pid > 3 and process.name in ("sh", "bash")')).toEqual([
      'process.name in',
      'process.pid compare',
      'host.os.type compare',
      'event.type compare',
      'process.args match',
      'process.name match',
    ]);
  });

  it('keeps the source order among operands of the same rank', () => {
    expect(conjuncts('process.name == "a" and process.args == "b"')).toEqual(['process.name compare', 'process.args compare']);
    expect(conjuncts('process.args == "b" and process.name == "a"')).toEqual(['process.args compare', 'process.name compare']);
  });

  it('ranks an or by its costliest branch and an and by its cheapest', () => {
    expect(conjuncts('(process.name == "a" or process.args : "*x*") and (process.args : "*y*" and process.name == "b") and host.os.type == "linux"')).toEqual(['and', 'host.os.type compare', 'or']);
  });
});
