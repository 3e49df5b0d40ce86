import { describe, expect, it } from 'vitest';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { RecordView } from '../src/shared/record/view.js';
import { decodeRecord } from '../src/shared/record/decode.js';
import { synthesize, type SynthOptions } from '../src/shared/synth/generate.js';
import { ATTACKS } from '../src/shared/synth/attacks.js';

const layout = buildLayout(ecsLinuxSchema());

function run(opts: SynthOptions) {
  const chunks: Buffer[] = [];
  const stats = synthesize(layout, opts, (bytes, length) => chunks.push(Buffer.from(bytes.subarray(0, length))));
  return { bytes: Buffer.concat(chunks), records: chunks, stats };
}

type Ev = Record<string, any>;
const decodeAll = (records: Buffer[]): Ev[] => records.map((r) => decodeRecord(new RecordView(layout, new Uint8Array(r.buffer, r.byteOffset, r.length))) as Ev);

describe('synth', () => {
  it('is deterministic: same options → identical bytes; another seed → different bytes', () => {
    const a = run({ events: 3000, seed: 42 });
    const b = run({ events: 3000, seed: 42 });
    const c = run({ events: 3000, seed: 43 });
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.bytes.equals(c.bytes)).toBe(false);
    expect(a.stats.events).toBe(3000);
  });

  it('numbers events from firstSeq with non-decreasing timestamps from the start time', () => {
    const { records, stats } = run({ events: 500, seed: 1, start: '2023-06-01T10:00:00Z', firstSeq: 100 });
    const views = records.map((r) => new RecordView(layout, new Uint8Array(r.buffer, r.byteOffset, r.length)));
    expect(views.map((v) => v.seq)).toEqual(Array.from({ length: 500 }, (_, i) => 100 + i));
    const ts = views.map((v) => v.timestampNs);
    expect(ts.every((t, i) => i === 0 || t >= ts[i - 1]!)).toBe(true);
    expect(ts[0]! > 1685613600000000000n && ts[0]! < 1685613601000000000n).toBe(true);
    expect(stats.lastSeq).toBe(599);
  });

  it('fills ECS the way Elastic Defend does on Linux', () => {
    const events = decodeAll(run({ events: 2000, seed: 5, scenario: 'benign' }).records);
    for (const e of events) {
      expect(e.host.os.type).toBe('linux');
      expect(e.event.category).toHaveLength(1);
      expect(Array.isArray(e.event.type)).toBe(true);
      expect(typeof e.process.entity_id).toBe('string');
      expect(typeof e.process.pid).toBe('number');
    }
    const actions = new Set(events.map((e) => `${e.event.category[0]}/${e.event.type[0]}/${e.event.action}`));
    for (const a of ['process/start/fork', 'process/start/exec', 'process/end/end', 'file/creation/creation', 'file/change/rename', 'file/deletion/deletion', 'network/start/connection_attempted', 'network/start/connection_accepted']) {
      expect(actions).toContain(a);
    }
    const exec = events.find((e) => e.event.action === 'exec' && e.process.parent)!;
    expect(exec.process.args_count).toBe(exec.process.args.length);
    expect(exec.process.command_line).toBe(exec.process.args.join(' '));
    const rename = events.find((e) => e.event.action === 'rename')!;
    expect(typeof rename.file.Ext.original.path).toBe('string');
  });

  it('reuses pids but never entity ids', () => {
    const { records } = run({ events: 30_000, seed: 9, scenario: 'benign', pidMax: 2000 });
    const pidId = layout.fieldId('process.pid');
    const entityIdField = layout.fieldId('process.entity_id');
    const pidsOf = new Map<string, Set<number>>();
    const entitiesOf = new Map<number, Set<string>>();
    const view = new RecordView(layout);
    for (const r of records) {
      view.reset(new Uint8Array(r.buffer, r.byteOffset, r.length));
      const pid = view.getI64AsNumber(pidId);
      const entity = view.getString(entityIdField)!;
      (pidsOf.get(entity) ?? pidsOf.set(entity, new Set()).get(entity)!).add(pid);
      (entitiesOf.get(pid) ?? entitiesOf.set(pid, new Set()).get(pid)!).add(entity);
    }
    expect([...pidsOf.values()].every((s) => s.size === 1)).toBe(true);
    expect([...entitiesOf.values()].filter((s) => s.size > 1).length).toBeGreaterThan(100);
  });

  it('emits every attack scenario with its telltale events', () => {
    const { records, stats } = run({ events: 400, seed: 11, scenario: 'attacks' });
    for (const a of ATTACKS) expect(stats.attacks[a.name]).toBeGreaterThan(0);
    const events = decodeAll(records);
    const has = (pred: (e: Ev) => boolean) => events.some(pred);
    // web server spawning a shell
    expect(has((e) => e.event.action === 'exec' && ['nginx', 'apache2', 'node'].includes(e.process.parent?.name) && e.process.name === 'dash')).toBe(true);
    // cron persistence
    expect(has((e) => e.event.category[0] === 'file' && /^(\/etc\/cron\.d\/|\/var\/spool\/cron\/)/.test(e.file.path))).toBe(true);
    // credential file read
    expect(has((e) => e.event.action === 'open' && e.file.path === '/etc/shadow')).toBe(true);
    // ssh authorized_keys modification
    expect(has((e) => e.event.category[0] === 'file' && e.file.name === 'authorized_keys')).toBe(true);
    // download to /tmp, chmod +x, execute from /tmp
    expect(has((e) => e.event.action === 'creation' && e.file.directory === '/tmp')).toBe(true);
    expect(has((e) => e.event.action === 'exec' && e.process.name === 'chmod' && e.process.args.includes('+x'))).toBe(true);
    expect(has((e) => e.event.action === 'exec' && e.process.executable.startsWith('/tmp/'))).toBe(true);
    // reverse shell: bash connects out, then the same process (entity) execs bash -i
    const connected = new Set(events.filter((e) => e.event.action === 'connection_attempted' && e.process.name === 'bash').map((e) => e.process.entity_id));
    expect(has((e) => e.event.action === 'exec' && connected.has(e.process.entity_id) && e.process.args.join(' ') === 'bash -i')).toBe(true);
  });

  it('benign has no attacks; mixed injects them at the given rate', () => {
    expect(run({ events: 5000, seed: 2, scenario: 'benign' }).stats.attacks).toEqual({});
    const mixed = run({ events: 5000, seed: 2, scenario: 'mixed', attackRate: 0.05 }).stats.attacks;
    expect(Object.values(mixed).reduce((a, b) => a + b, 0)).toBeGreaterThan(10);
  });

  it('rejects unknown scenarios and bad start times with clear messages', () => {
    expect(() => run({ events: 1, seed: 1, scenario: 'nope' as never })).toThrow("unknown scenario 'nope' (known: mixed, benign, attacks)");
    expect(() => run({ events: 1, seed: 1, start: 'yesterday' })).toThrow("start time 'yesterday' is not an ISO-8601 date");
  });
});
