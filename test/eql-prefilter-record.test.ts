import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseQuery } from '../src/shared/eql/parser.js';
import { checkQuery } from '../src/shared/eql/checker.js';
import { FilterIndex } from '../src/shared/eql/prefilter.js';
import { RecordCandidateWriter } from '../src/shared/eql/prefilter-record.js';
import { compileFilter } from '../src/shared/eql/compile.js';
import { RecordEvent, recordFieldAccessor, slotFieldId } from '../src/shared/eql/record-access.js';
import type { Value } from '../src/shared/eql/values.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { encodeEvent } from '../src/shared/record/encode.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';

const schema = ecsLinuxSchema();
const layout = buildLayout(schema);
const where = (q: string) => checkQuery(parseQuery(q), { schema }).steps[0].filter.where;

// Literals with ASCII case pairs, characters that fold to ASCII (Kelvin sign K, long s ſ, dotted
// İ) and non-ASCII ones, over a scalar field and an array field, case-sensitive and not.
const index = new FilterIndex(
  [
    'process where process.name == "nc"',
    'process where process.name in~ ("BASH", "kill", "sſ", "é")',
    'process where process.name : ("İd", "Sh")',
    'process where process.args : "*x*"',
    'process where process.args in ("-e", "Kelvin", "é")',
    'process where process.args in~ ("-E", "kelvin", "\u212Aelvin")',
    'process where process.executable == "/bin/sh" or process.parent.name == "sshd"',
    'process where process.executable : ("/TMP/*", "*.SH", "/usr/*/x?") and process.name != "z"',
    'process where process.name like ("ab*", "*yz", "a?c") or process.args like~ "*-É"',
    'process where process.parent.name like "*" and process.parent.executable != null',
  ].map((q) => ({ where: where(q) })),
);
const accessor = recordFieldAccessor(layout);
const reads = new Map(index.paths().map((p) => [p, accessor({ path: p, segments: p.split('.'), def: schema.lookup(p) }) as (ev: RecordEvent) => Value | undefined]));
const writer = new RecordCandidateWriter(index, layout, (path) => ({ read: reads.get(path)!, slot: slotFieldId(layout, path) }));

/** Candidate words from record bytes (the writer) and from decoded values (FilterIndex). */
function bothWays(event: Record<string, unknown>): [number[], number[]] {
  const ev = new RecordEvent(layout, encodeEvent(layout, event, 1), 1);
  const fromBytes = new Uint32Array(3).fill(0xdead);
  writer.write(ev, fromBytes, 1);
  const decoded = new Uint32Array(3).fill(0xdead);
  index.writeCandidates((p) => reads.get(p)!(ev), decoded, 1);
  return [[...fromBytes], [...decoded]];
}

describe('discriminator index over record bytes', () => {
  it('marks what FilterIndex marks for ASCII, folded, non-ASCII, array, null and missing values', () => {
    const cases: [Record<string, unknown>, number[]][] = [
      [{ process: { name: 'nc' } }, [0]],
      [{ process: { name: 'NC' } }, []],
      [{ process: { name: 'Bash' } }, [1]],
      [{ process: { name: '\u212Aill' } }, [1]],
      [{ process: { name: 'SS' } }, [1]],
      [{ process: { name: 'É' } }, [1]],
      [{ process: { name: 'id' } }, [2]],
      [{ process: { name: 'sh', args: ['x', null, '-e', 'KELVIN'] } }, [2, 3, 4, 5]],
      [{ process: { args: ['\u212Aelvin'] } }, [3, 5]],
      [{ process: { args: 'é', name: null } }, [3, 4]],
      [{ process: { args: [] } }, []],
      [{ process: { name: 42, executable: '/bin/sh' } }, [6]],
      [{ process: { parent: { name: 'SSHD' } } }, [9]],
      [{ process: { executable: '/tmp/a' } }, [7]],
      [{ process: { executable: '/usr/bin/x.sh' } }, [7]],
      [{ process: { executable: '/TMP/é.SH' } }, [7]],
      [{ process: { executable: '/usré' } }, []],
      [{ process: { executable: '/usr/é/xy' } }, [7]],
      [{ process: { name: 'abz' } }, [8]],
      [{ process: { name: 'xyz' } }, [8]],
      [{ process: { name: 'ac' } }, [8]],
      [{ process: { name: 'ab' } }, [8]],
      [{ process: { name: 'Ab' } }, []],
      [{ process: { args: ['q', 'x-é'] } }, [3, 8]],
      [{}, []],
    ];
    for (const [event, ids] of cases) {
      const [fromBytes, decoded] = bothWays(event);
      expect(fromBytes, JSON.stringify(event)).toEqual(decoded);
      expect(fromBytes[0]).toBe(0xdead);
      expect(fromBytes[2]).toBe(0xdead);
      expect(ids.reduce((w, id) => w | (1 << id), 0) >>> 0, JSON.stringify(event)).toBe(fromBytes[1]);
    }
  });

  it('agrees with FilterIndex on generated strings and arrays', () => {
    const text = fc.string({ unit: fc.constantFrom('n', 'c', 'N', 'C', 'k', 'K', '\u212A', 'e', 'E', 'é', 'É', '-', 's', 'ſ', 'h', 'H', 'İ', 'i', 'd', '/', 't', 'T', 'm', 'p', '.', 'a', 'b', 'y', 'z'), maxLength: 7 });
    const value = fc.oneof(text, fc.constant(null), fc.integer(), fc.array(fc.oneof(text, fc.constant(null)), { maxLength: 4 }));
    fc.assert(
      fc.property(value, value, value, (name, args, executable) => {
        const [fromBytes, decoded] = bothWays({ process: { name, args, executable } });
        expect(fromBytes).toEqual(decoded);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('discriminator index memo of whole values', () => {
  // Values of one length that differ only in bytes the memo's hash does not sample (position 4 of
  // 12): they share a memo slot, and only a whole-value compare tells them apart.
  const memoIndex = new FilterIndex(['process where process.name == "aaaaXaaaaaaa"', 'process where process.name : "aaaaY*"'].map((q) => ({ where: where(q) })));
  const read = accessor({ path: 'process.name', segments: ['process', 'name'], def: schema.lookup('process.name') }) as (ev: RecordEvent) => Value | undefined;
  const memoWriter = new RecordCandidateWriter(memoIndex, layout, () => ({ read, slot: slotFieldId(layout, 'process.name') }));
  const candidates = (name: string) => {
    const words = new Uint32Array(1);
    memoWriter.write(new RecordEvent(layout, encodeEvent(layout, { process: { name } }, 1), 1), words, 0);
    return words[0];
  };
  it('gives each value its own marks when values collide in the memo', () => {
    const expected: Record<string, number> = { aaaaXaaaaaaa: 0b01, aaaaYaaaaaaa: 0b10, aaaaZaaaaaaa: 0b00 };
    for (let round = 0; round < 3; round++) {
      for (const [name, bits] of Object.entries(expected)) expect(candidates(name), `${name} round ${round}`).toBe(bits);
    }
  });
});

describe('discriminator index memo: values marking many words', () => {
  // One literal shared by filters spread over many bitset words: the memo keeps up to four
  // (word, mask) pairs inline and the rest in an overflow array; hits must mark exactly what the
  // first probe marked, inline or not.
  const queries = Array.from({ length: 320 }, (_, i) =>
    i % 50 === 0 ? 'process where process.name == "bash"' : i % 80 === 1 ? 'process where process.name == "four"' : `process where process.name == "n${i}"`,
  );
  const wide = new FilterIndex(queries.map((q) => ({ where: where(q) })));
  const read = accessor({ path: 'process.name', segments: ['process', 'name'], def: schema.lookup('process.name') }) as (ev: RecordEvent) => Value | undefined;
  const writer = new RecordCandidateWriter(wide, layout, () => ({ read, slot: slotFieldId(layout, 'process.name') }));
  const n = Math.ceil(queries.length / 32);
  it('marks the same words on every hit as FilterIndex does', () => {
    for (let round = 0; round < 3; round++) {
      for (const name of ['bash', 'four', 'n7', '', 'none']) {
        const ev = new RecordEvent(layout, encodeEvent(layout, { process: { name } }, 1), 1);
        const got = new Uint32Array(n);
        writer.write(ev, got, 0);
        const want = new Uint32Array(n);
        wide.writeCandidates((p) => (p === 'process.name' ? name : undefined), want, 0);
        expect([...got], `${name} round ${round}`).toEqual([...want]);
      }
    }
    const bash = new Uint32Array(n);
    writer.write(new RecordEvent(layout, encodeEvent(layout, { process: { name: 'bash' } }, 1), 1), bash, 0);
    expect(bash.filter((w) => w !== 0).length).toBeGreaterThan(4);
  });
});

describe('discriminator index: groups of a few exact literals (compared directly)', () => {
  // user.name: case-insensitive literals (a non-ASCII value may fold to one: decoded); user.id and
  // event.action: case-sensitive ones, the same literal in filters of several bitset words.
  const queries = [
    'process where user.name in~ ("kim", "ROOT")',
    'process where user.id == "0"',
    ...Array.from({ length: 70 }, (_, i) => (i % 20 === 0 ? 'process where event.action in ("exec", "fork")' : `process where process.name == "p${i}"`)),
  ];
  const few = new FilterIndex(queries.map((q) => ({ where: where(q) })));
  const reads = new Map(few.paths().map((p) => [p, accessor({ path: p, segments: p.split('.'), def: schema.lookup(p) }) as (ev: RecordEvent) => Value | undefined]));
  const fewWriter = new RecordCandidateWriter(few, layout, (p) => ({ read: reads.get(p)!, slot: slotFieldId(layout, p) }));
  const n = Math.ceil(queries.length / 32);
  it('agrees with FilterIndex on generated values', () => {
    const text = fc.string({ unit: fc.constantFrom('k', 'K', '\u212A', 'i', 'I', 'm', 'r', 'R', 'o', 't', '0', 'e', 'x', 'c', 'f', 'é'), maxLength: 5 });
    const value = fc.oneof(text, fc.constantFrom('kim', 'Kim', '\u212Aim', 'root', 'exec', 'fork', 'Exec', '0'), fc.constant(null), fc.array(text, { maxLength: 3 }));
    let marked = 0;
    fc.assert(
      fc.property(value, value, value, (name, id, action) => {
        const ev = new RecordEvent(layout, encodeEvent(layout, { user: { name, id }, event: { action } }, 1), 1);
        const got = new Uint32Array(n);
        fewWriter.write(ev, got, 0);
        const want = new Uint32Array(n);
        few.writeCandidates((p) => reads.get(p)!(ev), want, 0);
        expect([...got]).toEqual([...want]);
        if (got.some((w) => w !== 0)) marked++;
      }),
      { numRuns: 1500 },
    );
    expect(marked).toBeGreaterThan(100);
  });
});

/**
 * The index of up to 32 one-step queries' filters, their interpreted tests, and one event's
 * candidate word both ways: from record bytes (the writer) and from decoded values (FilterIndex).
 */
function indexOf(queries: string[]) {
  const checked = queries.map((q) => checkQuery(parseQuery(q), { schema }).steps[0].filter);
  const index = new FilterIndex(checked.map((f) => ({ where: f.where })));
  const reads = new Map(index.paths().map((p) => [p, accessor({ path: p, segments: p.split('.'), def: schema.lookup(p) }) as (ev: RecordEvent) => Value | undefined]));
  const recordWriter = new RecordCandidateWriter(index, layout, (p) => ({ read: reads.get(p)!, slot: slotFieldId(layout, p) }));
  const tests = checked.map((f) => compileFilter(f, accessor).test);
  const candidatesOf = (event: Record<string, unknown>) => {
    const ev = new RecordEvent(layout, encodeEvent(layout, event, 1), 1);
    const got = new Uint32Array(1);
    recordWriter.write(ev, got, 0);
    const want = new Uint32Array(1);
    index.writeCandidates((p) => reads.get(p)!(ev), want, 0);
    return { ev, got: got[0]!, want: want[0]! };
  };
  return { index, tests, candidatesOf };
}

describe('discriminator index: runs inside wildcard patterns (infix tables)', () => {
  // Runs a value must contain, case-sensitive and folded (the Kelvin sign folds to `k`), over a
  // scalar and an array field; the long-value memo limit (128 bytes) is crossed by generated values.
  const queries = [
    'process where process.args like~ ("*/meta-data/iam/*", "*token?resource=*")',
    'process where process.command_line like ("*sap.com*", "/*/kube/*")',
    'process where process.command_line : "*KUBE*" and process.name != "x"',
    'process where process.args like "*ab*"',
    'process where process.name == "nc" or process.args like "*/tMp/*"',
  ];
  const { index: runs, tests, candidatesOf } = indexOf(queries);

  it('indexes the runs, and marks a filter only when its value contains one', () => {
    // Each pattern's longest run: `resource=` rather than `token`.
    expect(runs.tables.map((t) => `${t.path} ${t.kind}${t.insensitive ? '~' : ''} ${[...t.byValue.keys()].sort().join(',')}`).sort()).toEqual([
      // `*ab*`: a two-character run, on a field most events carry.
      'process.args infix /tMp/,ab',
      'process.args infix~ /meta-data/iam/,resource=',
      'process.command_line infix /kube/,sap.com',
      'process.command_line infix~ kube',
      'process.name equals nc',
    ].sort());
    const cases: [Record<string, unknown>, number[]][] = [
      [{ process: { args: ['curl', 'http://169.254.169.254/latest/META-DATA/IAM/role'] } }, [0]],
      [{ process: { args: ['x', 'a/tMp/b'] } }, [4]],
      [{ process: { args: ['x', 'a/tmp/b', 'cab'] } }, [3]],
      [{ process: { args: ['?token&RESOURCE=1'] } }, [0]],
      [{ process: { command_line: 'java -jar /usr/sap/J2E/j2ee/cluster/apps/sap.com/irj' } }, [1]],
      [{ process: { command_line: 'cat ~/.\u212Aube/config' } }, [2]],
      [{ process: { command_line: 'cat ~/.Kube/config' } }, [2]],
      [{ process: { command_line: 'kub' } }, []],
      [{ process: { command_line: 'x/kube/y' } }, [1, 2]],
      [{ process: { name: 'nc', command_line: 'sap.co' } }, [4]],
    ];
    for (const [event, ids] of cases) {
      const { got, want } = candidatesOf(event);
      expect(got, JSON.stringify(event)).toBe(want);
      expect(got, JSON.stringify(event)).toBe(ids.reduce((w, id) => w | (1 << id), 0) >>> 0);
    }
  });

  it('agrees with FilterIndex, and never leaves out a filter that is true, on generated values', () => {
    const piece = fc.constantFrom('/meta-data/iam/', 'TOKEN', 'token', 'resource=', 'RESOURCE=', 'sap.com', '/kube/', 'KUBE', '\u212Aube', '/tmp/', '/tMp/', 'ab', 'a', 'é', '\u212A', '/', 'x'.repeat(60));
    const text = fc.array(piece, { maxLength: 6 }).map((parts) => parts.join(''));
    const value = fc.oneof(text, fc.constant(null), fc.array(fc.oneof(text, fc.constant(null)), { maxLength: 3 }));
    let marked = 0;
    fc.assert(
      fc.property(value, value, fc.constantFrom('nc', 'x'), (args, command_line, name) => {
        const { ev, got, want } = candidatesOf({ process: { args, command_line, name } });
        expect(got).toBe(want);
        tests.forEach((test, id) => {
          if (test(ev)) expect((got >>> id) & 1, `filter ${id} is true but not a candidate`).toBe(1);
        });
        if (got !== 0) marked++;
      }),
      { numRuns: 1500 },
    );
    expect(marked).toBeGreaterThan(300);
  });
});

describe('discriminator index: filters with a second condition', () => {
  // A filter is a candidate only when the event meets both of its conditions; the second may be on
  // another field, a pattern, case-insensitive, or a broad literal; some filters have none.
  const queries = [
    'process where event.type == "start" and process.name == "bash" and process.args == "-c"',
    'process where process.name : "ba*" and process.args like~ "*-E*"',
    'process where event.type in ("start", "change") and process.args : "/tmp/*"',
    'process where process.name == "nc" and not process.args == "-l"',
    'process where host.os.type == "linux" and process.name == "zsh"',
  ];
  const { index: both, tests, candidatesOf } = indexOf(queries);

  it('agrees with FilterIndex, and never leaves out a filter that is true, on generated values', () => {
    expect(both.doublyIndexed).toBe(3);
    const name = fc.constantFrom('bash', 'Bash', 'ba', 'nc', 'zsh', null);
    const arg = fc.constantFrom('-c', '-e', 'x-EE', '-l', '/tmp/x', '/TMP/x', null);
    const type = fc.constantFrom('start', 'change', 'end', null);
    let pruned = 0;
    fc.assert(
      fc.property(name, fc.array(arg, { maxLength: 3 }), type, (n, args, t) => {
        const { ev, got, want } = candidatesOf({ process: { name: n, args }, event: { type: t }, host: { os: { type: 'linux' } } });
        expect(got).toBe(want);
        tests.forEach((test, id) => {
          if (test(ev)) expect((got >>> id) & 1, `filter ${id} is true but not a candidate`).toBe(1);
        });
        // Filter 0's best condition (process.name == "bash") alone would have let it through.
        if (n === 'bash' && (got & 1) === 0) pruned++;
      }),
      { numRuns: 1500 },
    );
    expect(pruned).toBeGreaterThan(50);
  });
});
