// The order in which a predicate's `and` tests its operands. Kleene `and` is commutative (false if
// any operand is false, else null if any is null, else true) and every operand is free of side
// effects, so any order gives the same truth; only the cost differs. Rule authors write the broad
// conditions first (`host.os.type == "linux" and event.type == "start" and process.name in (…)`),
// which true for nearly every event of a host, so in source order most predicates pay for them
// before reaching the one selective test. Testing the selective literal first (the same condition
// the discriminator index picks, eql/prefilter.ts) makes a non-matching predicate stop after one
// hash lookup, and pushes wildcard scans and host helpers to the few events that get that far.
import { discriminatorOf, isLowSelectivity } from '../prefilter.js';
import type { TExpr } from '../ir.js';

/** Functions the generator compiles natively (with constant arguments); expr.ts emitCall. */
const NATIVE_CALLS = new Set(['startsWith', 'endsWith', 'stringContains', 'cidrMatch']);

/** Rough ranks, cheapest and most selective first. */
const enum Rank {
  /** An exact string literal on a selective field: a hash lookup or a few word compares, rarely true. */
  SelectiveLiteral = 0,
  /** A fixed-size native test (number, boolean, null check, IP). */
  Scalar = 1,
  /** An exact literal on a field most events share (host.os.type, event.type …): cheap, rarely false. */
  BroadLiteral = 2,
  /** Wildcards, substring functions, negations: a scan per value, or rarely false. */
  Scan = 3,
  /** Needs the interpreter (regex, arithmetic, most functions): a call out of the module. */
  Host = 4,
}

/** The operands of an `and`, cheapest first; equal ranks keep their source order. */
export function orderConjuncts(operands: readonly TExpr[]): TExpr[] {
  return operands.map((node, i) => ({ node, i, rank: rankOf(node) })).sort((a, b) => a.rank - b.rank || a.i - b.i).map((x) => x.node);
}

/**
 * Ranks already worked out: emitting a nested `and` orders its operands again, and a rank looks at
 * the whole sub-tree, so without this a deep tree was ranked once per level (~0.1 s of a cold
 * corpus build).
 */
const ranks = new WeakMap<TExpr, Rank>();

function rankOf(node: TExpr): Rank {
  let r = ranks.get(node);
  if (r === undefined) ranks.set(node, (r = rankUncached(node)));
  return r;
}

function rankUncached(node: TExpr): Rank {
  if (needsHost(node)) return Rank.Host;
  const d = discriminatorOf(node);
  // Only exact literals: heads, tails and presence tests are ranked by what they cost below.
  if (d && d.every((alt) => alt.kind === 'equals')) return d.some((alt) => isLowSelectivity(alt.path)) ? Rank.BroadLiteral : Rank.SelectiveLiteral;
  switch (node.kind) {
    case 'logical': {
      const ranks = node.operands.map(rankOf);
      // An `and` is as selective as its best operand (tested first); an `or` needs all of them.
      return node.op === 'and' ? Math.min(...ranks) : Math.max(...ranks);
    }
    case 'isnull':
    case 'field':
    case 'const':
      return Rank.Scalar;
    case 'compare':
      return node.left.type === 'string' || node.right.type === 'string' ? Rank.Scan : Rank.Scalar;
    default:
      return Rank.Scan;
  }
}

/** Whether some part of `node` is certainly left to the host (expr.ts emitHost). */
function needsHost(node: TExpr): boolean {
  switch (node.kind) {
    case 'const':
    case 'field':
      return false;
    case 'not':
      return needsHost(node.operand);
    case 'logical':
      return node.operands.some(needsHost);
    case 'isnull':
      return node.operand.kind !== 'field';
    case 'compare':
      return !((node.left.kind === 'field' && node.right.kind === 'const') || (node.left.kind === 'const' && node.right.kind === 'field'));
    case 'in':
      return node.expr.kind !== 'field';
    case 'match':
      return node.op === 'regex' || node.expr.kind !== 'field';
    case 'call':
      return !NATIVE_CALLS.has(node.fn.name) || node.args[0]?.kind !== 'field' || node.args.slice(1).some((a) => a.kind !== 'const');
    default:
      return true;
  }
}
