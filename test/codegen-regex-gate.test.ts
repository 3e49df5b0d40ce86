// Regexes run in the host's automaton, behind a byte gate in the predicate module: a string with
// no byte of some set every match needs is false without a host call. The gate must never change
// a result, and must skip the host for strings it rules out.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packRecords } from './helpers/records.js';
import { parseQuery } from '../src/shared/eql/parser.js';
import { checkQuery } from '../src/shared/eql/checker.js';
import { compileFilter } from '../src/shared/eql/compile.js';
import { WasmPredicateSet } from '../src/shared/eql/codegen/evaluator.js';
import { RecordEvent, recordFieldAccessor } from '../src/shared/eql/codegen/record-access.js';
import { compileRegex, regexRequiredBytes } from '../src/shared/eql/runtime/lucene-regex.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';

const schema = ecsLinuxSchema();
const layout = buildLayout(schema);

const PATTERNS: [string, boolean][] = [
  ['/[a-z0-9\\s_\\-\\\\./]+\\s', true],
  ['.*[0-9]{1,3}\\.[0-9]{1,3}:[0-9]{1,5}.*', false],
  ['-[^-]*[uz][^-]*', true],
  ['(abc|x:y).*', false],
  ['.*K.*', true],
  ['[24][0-9]{3}', false],
  ['.*', false],
  ['a&.*b.*', false],
  ['~(a.*)', false],
];
const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'x', 'y', 'z', 'u', 'k', 'K', '\u212A', '/', ' ', '\t', '-', '.', ':', '1', '2', '4', '9', 'é', '_'), maxLength: 14 });

describe('regex byte gate', () => {
  it('requires only bytes every match contains (sound on generated strings)', () => {
    for (const [p, ci] of PATTERNS) {
      const sets = regexRequiredBytes(p, ci);
      const matches = compileRegex(p, ci);
      fc.assert(
        fc.property(text, (s) => {
          if (!matches(s)) return;
          const bytes = new TextEncoder().encode(s);
          for (const set of sets) expect(set.some((b) => bytes.includes(b)), `${p} on ${JSON.stringify(s)}`).toBe(true);
        }),
        { numRuns: 400 },
      );
    }
    expect(regexRequiredBytes('/x\\s', false)).toEqual([[0x2f], [0x78], [9, 10, 13, 32]].sort((a, b) => a.length - b.length));
    // Case-insensitive k has a non-ASCII variant (the Kelvin sign): no one-byte requirement.
    expect(regexRequiredBytes('.*k.*', true)).toEqual([]);
    expect(regexRequiredBytes('.*', false)).toEqual([]);
  });

  it('gives the interpreter\'s results, calling the host only for strings the gate lets through', async () => {
    const filters = PATTERNS.map(([p, ci]) => checkQuery(parseQuery(`process where process.executable ${ci ? 'regex~' : 'regex'} "${p.replace(/\\/g, '\\\\')}"`), { schema }).steps[0]!.filter);
    filters.push(checkQuery(parseQuery('process where process.args regex (".*:.*", "b[0-9]+")'), { schema }).steps[0]!.filter);
    const events = fc.sample(fc.record({ event: fc.constant({ category: 'process' }), process: fc.record({ executable: fc.oneof(text, fc.constant(null)), args: fc.array(text, { maxLength: 3 }) }, { requiredKeys: ['args'] }) }), 600);
    for (const executable of ['/usr/bin/ls', '/tmp/evil /x', '/TMP/A B']) events.push({ event: { category: 'process' }, process: { executable, args: [] } });
    const set = await WasmPredicateSet.create({ filters }, layout);
    const { bytes, offsets } = packRecords(layout, events);
    set.evaluateBatch(bytes, offsets, offsets.length);
    const accessor = recordFieldAccessor(layout);
    filters.forEach((f, p) => {
      const test = compileFilter(f, accessor).test;
      offsets.forEach((off, r) => {
        const want = test(new RecordEvent(layout, bytes, r, off));
        expect(set.matches(r, p), `filter ${p} on ${JSON.stringify(events[r])}`).toBe(want);
      });
    });
    // Host calls: one per record and pattern list whose string (or some array element) has a byte of
    // every required set of some pattern; a list with an ungated pattern sends every string.
    const passes = (value: string, patterns: [string, boolean][]) => {
      const bytes = new TextEncoder().encode(value);
      return patterns.some(([p, ci]) => regexRequiredBytes(p, ci).every((set) => set.some((b) => bytes.includes(b))));
    };
    let expected = 0;
    for (const e of events) {
      const proc = e.process as { executable?: string | null; args?: string[] };
      for (const pc of PATTERNS) {
        // A pattern that requires nothing is left to the host for every record, as before the gate.
        if (regexRequiredBytes(...pc).length === 0) expected++;
        else if (typeof proc.executable === 'string' && passes(proc.executable, [pc])) expected++;
      }
      if ((proc.args ?? []).some((a) => passes(a, [['.*:.*', false], ['b[0-9]+', false]]))) expected++;
    }
    expect(set.counters.hostRecords, JSON.stringify(set.counters)).toBe(0);
    expect(set.counters.hostCalls).toBe(expected);
    // …and the gate rules out most of the generated strings for the gated patterns.
    const strings = events.filter((e) => typeof (e.process as { executable?: unknown }).executable === 'string').length;
    expect(expected - 3 * events.length).toBeLessThan((6 * strings) / 2 + events.length);
  });
});
