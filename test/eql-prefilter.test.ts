import { describe, expect, it } from 'vitest';
import { parseQuery } from '../src/shared/eql/parser.js';
import { checkQuery } from '../src/shared/eql/checker.js';
import { discriminatorOf, FilterIndex, secondDiscriminatorOf } from '../src/shared/eql/prefilter.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';

const schema = ecsLinuxSchema();
const where = (q: string) => checkQuery(parseQuery(q), { schema }).steps[0].filter.where;

describe('discriminator index', () => {
  it('picks the most selective condition of a conjunction', () => {
    expect(discriminatorOf(where('process where host.os.type == "linux" and event.action == "exec" and process.name in ("nc", "ncat")'))).toEqual([
      { path: 'process.name', kind: 'equals', insensitive: false, values: ['nc', 'ncat'] },
    ]);
    expect(discriminatorOf(where('process where process.name : ("NC", "socat") and process.args : "*-e*"'))).toEqual([
      { path: 'process.name', kind: 'equals', insensitive: true, values: ['nc', 'socat'] },
    ]);
    expect(discriminatorOf(where('process where not process.name == "sh"'))).toBeNull();
    expect(discriminatorOf(where('process where process.name != "sh"'))).toBeNull();
  });
  it('takes heads and tails of wildcards, and presence where nothing else is literal', () => {
    expect(discriminatorOf(where('process where process.name : ("*SH", "py*n", "ls")'))).toEqual([
      { path: 'process.name', kind: 'suffix', insensitive: true, values: ['sh'] },
      { path: 'process.name', kind: 'prefix', insensitive: true, values: ['py'] },
      { path: 'process.name', kind: 'equals', insensitive: true, values: ['ls'] },
    ]);
    // A rare field's presence beats a literal every event has; a common field's never does.
    expect(discriminatorOf(where('process where event.type == "start" and container.id like "*"'))).toEqual([
      { path: 'container.id', kind: 'present', insensitive: false, values: [] },
    ]);
    expect(discriminatorOf(where('process where event.type == "start" and process.Ext.ptrace.request in (16, 17)'))?.[0]?.kind).toBe('present');
    expect(discriminatorOf(where('process where event.type == "start" and process.name like "*"'))?.[0]?.path).toBe('event.type');
    // A rare event.action value selects; an everyday one does not.
    expect(discriminatorOf(where('process where host.os.type == "linux" and event.action == "ptrace"'))?.[0]?.path).toBe('event.action');
    expect(discriminatorOf(where('process where host.os.type == "linux" and event.action == "exec" and process.args : "*x"'))?.[0]?.kind).toBe('suffix');
  });
  it('takes the longest literal piece of a pattern: head, tail, or a run it must contain', () => {
    expect(discriminatorOf(where('process where process.args like~ ("*/latest/META-DATA/iam/?*", "/*/sap.com*")'))).toEqual([
      { path: 'process.args', kind: 'infix', insensitive: true, values: ['/latest/meta-data/iam/', '/sap.com'] },
    ]);
    // The tail is longer than the head; runs of one or two characters select nothing.
    expect(discriminatorOf(where('process where process.args like "/home/*/.kube/config"'))).toEqual([
      { path: 'process.args', kind: 'suffix', insensitive: false, values: ['/.kube/config'] },
    ]);
    // A two-character run, on a field most events carry; on a rare field its presence selects better.
    expect(discriminatorOf(where('process where process.command_line : "*\\\\x*\\\\x*"'))).toEqual([
      { path: 'process.command_line', kind: 'infix', insensitive: true, values: ['\\x'] },
    ]);
    expect(discriminatorOf(where('process where process.env_vars : "*\\\\x*"'))?.[0]?.kind).toBe('present');
    expect(discriminatorOf(where('process where process.command_line : "*x*"'))?.[0]?.kind).toBe('present');
    // A run beats an unrelated broad literal; a rare literal beats a run.
    expect(discriminatorOf(where('process where event.type == "start" and process.command_line : "*wget*"'))?.[0]?.kind).toBe('infix');
    expect(discriminatorOf(where('process where process.name == "wget" and process.command_line : "*--post-file*"'))?.[0]?.kind).toBe('equals');
  });
  it('takes root\'s id as a broad literal, chosen only over broader ones', () => {
    expect(discriminatorOf(where('process where user.id == "0" and process.name : "kworker*"'))?.[0]?.path).toBe('process.name');
    expect(discriminatorOf(where('process where process.parent.user.id == "0" and process.name : "kworker*"'))?.[0]?.path).toBe('process.name');
    expect(discriminatorOf(where('process where event.type == "start" and user.id == "0"'))?.[0]?.path).toBe('user.id');
    expect(discriminatorOf(where('process where user.id == "1000" and process.name : "kworker*"'))?.[0]?.path).toBe('user.id');
  });
  it('needs a literal in every branch of an or', () => {
    expect(discriminatorOf(where('file where file.name == "a" or process.name == "b"'))).toHaveLength(2);
    expect(discriminatorOf(where('file where file.name == "a" or file.size > 5'))).toBeNull();
  });
  it('marks exactly the filters whose literal the event carries (arrays: any element)', () => {
    const index = new FilterIndex([
      { where: where('process where process.name == "nc"') },
      { where: where('process where process.name in~ ("BASH", "sh")') },
      { where: where('process where process.args : "*x*"') },
    ]);
    const event: Record<string, unknown> = { 'process.name': 'Bash' };
    index.select((p) => event[p] as never);
    expect([0, 1, 2].map((i) => index.candidate(i))).toEqual([false, true, false]);
    event['process.name'] = ['zsh', 'nc'];
    event['process.args'] = ['y'];
    index.select((p) => event[p] as never);
    expect([0, 1, 2].map((i) => index.candidate(i))).toEqual([true, false, true]);
  });
  it('writes the same candidates as a bitset at a word offset, always-candidates included', () => {
    const wheres = Array.from({ length: 40 }, (_, i) => where(i === 35 ? 'process where process.args : "*x*"' : `process where process.name == "p${i}"`));
    const index = new FilterIndex(wheres.map((w) => ({ where: w })));
    const event: Record<string, unknown> = { 'process.name': ['p3', 'p33', 'zz'], 'process.args': 'a' };
    const words = new Uint32Array(5).fill(0xdead);
    index.writeCandidates((p) => event[p] as never, words, 2);
    expect([...words]).toEqual([0xdead, 0xdead, 1 << 3, (1 << 1) | (1 << 3), 0xdead]);
    index.select((p) => event[p] as never);
    const marked = wheres.map((_, id) => index.candidate(id));
    expect(marked.map((m, id) => (m ? id : -1)).filter((id) => id >= 0)).toEqual([3, 33, 35]);
  });
  it('prefers a common event.type or event.action value to a field every event of the sensor shares', () => {
    expect(discriminatorOf(where('process where host.os.type == "linux" and event.type == "start"'))?.[0]?.path).toBe('event.type');
    expect(discriminatorOf(where('process where event.module == "endpoint" and event.action == "end"'))?.[0]?.path).toBe('event.action');
    expect(discriminatorOf(where('process where host.os.type == "linux" and event.type in ("start", "process_started")'))?.[0]?.path).toBe('event.type');
  });
  it('finds a second necessary condition in another part of the conjunction, never one that selects nothing', () => {
    expect(secondDiscriminatorOf(where('process where event.type == "start" and process.name == "bash" and process.args == "-c"'))).toEqual([
      { path: 'process.args', kind: 'equals', insensitive: false, values: ['-c'] },
    ]);
    expect(secondDiscriminatorOf(where('process where host.os.type == "linux" and event.type == "start" and process.name == "bash"'))?.[0]?.path).toBe('event.type');
    // Only a sensor-wide literal is left besides the best one; an or has no conjunction to split.
    expect(secondDiscriminatorOf(where('process where host.os.type == "linux" and process.name == "bash"'))).toBeNull();
    expect(secondDiscriminatorOf(where('process where process.name == "a" or process.args == "b"'))).toBeNull();
    expect(secondDiscriminatorOf(where('process where process.name == "a"'))).toBeNull();
  });
  it('makes a filter with two conditions a candidate only when the event meets both', () => {
    const index = new FilterIndex([
      { where: where('process where event.type == "start" and process.name == "bash" and process.args == "-c"') },
      { where: where('process where process.name == "bash"') },
      { where: where('process where process.name != "x"') },
    ]);
    expect(index.doublyIndexed).toBe(1);
    const cases: [Record<string, unknown>, number[]][] = [
      [{ 'process.name': 'bash', 'process.args': ['-c', 'id'], 'event.type': 'start' }, [0, 1, 2]],
      [{ 'process.name': 'bash', 'process.args': ['-i'], 'event.type': 'start' }, [1, 2]],
      [{ 'process.name': 'zsh', 'process.args': ['-c'], 'event.type': 'start' }, [2]],
      [{ 'process.name': 'bash', 'event.type': 'start' }, [1, 2]],
    ];
    for (const [event, ids] of cases) {
      const words = new Uint32Array(3).fill(0xdead);
      index.writeCandidates((p) => event[p] as never, words, 1);
      expect([...words], JSON.stringify(event)).toEqual([0xdead, ids.reduce((w, id) => w | (1 << id), 0), 0xdead]);
      index.select((p) => event[p] as never);
      expect([0, 1, 2].filter((id) => index.candidate(id)), JSON.stringify(event)).toEqual(ids);
    }
  });
});
