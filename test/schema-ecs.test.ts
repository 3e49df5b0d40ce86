import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';
import { typeFamily, type TypeFamily } from '../src/shared/schema/types.js';

const FIELDS_TSV = path.resolve(process.cwd(), '../shared/rules-corpus/elastic-detection-rules/fields.tsv');

/** Field paths the Elastic Linux rules use, `?` and back-quotes removed. */
function ruleFields(): string[] {
  const lines = fs.readFileSync(FIELDS_TSV, 'utf8').split('\n').slice(1);
  const paths = lines
    .filter((l) => l.trim() !== '')
    .map((l) => l.split('\t')[0]!.replace(/^\?/, '').replace(/^`(.*)`$/, '$1'));
  return [...new Set(paths)];
}

describe('ECS Linux schema', () => {
  const schema = ecsLinuxSchema();

  it('is strict, named, and built once', () => {
    expect(schema.strict).toBe(true);
    expect(schema.name).toBe('ecs-linux');
    expect(ecsLinuxSchema()).toBe(schema);
  });

  it('knows every field the Elastic Linux rules use', () => {
    const fields = ruleFields();
    expect(fields.length).toBeGreaterThan(100);
    const missing = fields.filter((f) => schema.lookup(f) === undefined);
    expect(missing).toEqual([]);
  });

  it('gives rule fields their ECS / Elastic Defend types', () => {
    const expected: Array<[string, string, boolean]> = [
      ['process.pid', 'long', false],
      ['process.parent.pid', 'long', false],
      ['process.args', 'keyword', true],
      ['process.parent.args', 'keyword', true],
      ['process.args_count', 'long', false],
      ['process.parent.args_count', 'long', false],
      ['process.command_line', 'wildcard', false],
      ['process.env_vars', 'keyword', true],
      ['process.interactive', 'boolean', false],
      ['process.exit_code', 'long', false],
      ['process.entry_leader.same_as_process', 'boolean', false],
      ['process.thread.capabilities.effective', 'keyword', true],
      ['process.code_signature.trusted', 'boolean', false],
      ['process.Ext.load_module.taint_flags', 'keyword', false],
      ['source.ip', 'ip', false],
      ['destination.ip', 'ip', false],
      ['destination.port', 'long', false],
      ['source.port', 'long', false],
      ['host.ip', 'ip', true],
      ['event.category', 'keyword', true],
      ['event.type', 'keyword', true],
      ['event.severity', 'long', false],
      ['data_stream.dataset', 'constant_keyword', false],
      ['container.security_context.privileged', 'boolean', false],
      ['http.response.status_code', 'long', false],
      ['kibana.alert.risk_score', 'float', false],
      ['url.original', 'wildcard', false],
      ['user.id', 'keyword', false],
      ['file.Ext.original.path', 'keyword', false],
      ['@timestamp', 'date_nanos', false],
    ];
    for (const [p, type, multi] of expected) {
      const def = schema.lookup(p);
      expect(def, p).toBeDefined();
      expect({ p, type: def!.type, multi: def!.multi === true }).toEqual({ p, type, multi });
    }
    expect(typeFamily(schema.lookup('@timestamp')!.type)).toBe('date');
  });

  it('types fields by what their name says they hold', () => {
    // A cheap cross-check over the whole table: naming conventions ECS follows everywhere.
    const wrong: string[] = [];
    const expectFamily = (p: string, fam: TypeFamily) => {
      if (typeFamily(schema.lookup(p)!.type) !== fam) wrong.push(`${p} should be ${fam}`);
    };
    // Known exceptions: thread.id is a numeric tid; auditd copies every record value as a string.
    const checked = schema.fields().filter((f) => !f.path.endsWith('thread.id') && !f.path.startsWith('auditd.'));
    for (const f of checked) {
      const last = f.path.slice(f.path.lastIndexOf('.') + 1);
      if (['pid', 'vpid', 'ppid', 'port', 'args_count', 'exit_code', 'bytes', 'size', 'uptime'].includes(last)) expectFamily(f.path, 'integer');
      if (['ip', 'resolved_ip'].includes(last)) expectFamily(f.path, 'ip');
      if (['start', 'end', 'created', 'mtime', 'ctime', 'accessed', 'ingested'].includes(last)) expectFamily(f.path, 'date');
      if (['id', 'name', 'entity_id', 'executable', 'path', 'args', 'md5', 'sha256'].includes(last)) expectFamily(f.path, 'string');
      if (['interactive', 'same_as_process', 'trusted', 'exists', 'privileged'].includes(last)) expectFamily(f.path, 'boolean');
    }
    expect(wrong).toEqual([]);
  });

  it('covers the fields the Kestrel sensor emits', () => {
    const sensor = [
      '@timestamp',
      ...['kind', 'category', 'type', 'action', 'id', 'sequence', 'created', 'ingested', 'module', 'dataset', 'outcome'].map((f) => `event.${f}`),
      ...['id', 'name', 'hostname', 'os.type', 'os.name', 'os.family', 'os.kernel', 'os.platform', 'architecture', 'ip', 'boot.id'].map((f) => `host.${f}`),
      'agent.id', 'agent.type', 'agent.version',
      'process.ppid', 'process.working_directory', 'process.end', 'process.tty.char_device.major', 'process.thread.id',
      'process.hash.sha256', 'process.saved_user.id', 'process.real_group.name',
      'user.effective.id', 'user.name', 'group.name',
      ...['path', 'name', 'extension', 'directory', 'target_path', 'mode', 'owner', 'group', 'uid', 'gid', 'size', 'inode', 'type', 'Ext.original.path'].map((f) => `file.${f}`),
      ...['transport', 'protocol', 'direction', 'type', 'iana_number'].map((f) => `network.${f}`),
      'source.address', 'destination.address', 'dll.path', 'process.Ext.load_module.name',
    ];
    // The same process set appears under the parent and the leaders.
    for (const role of ['process', 'process.parent', 'process.session_leader', 'process.group_leader', 'process.entry_leader']) {
      for (const f of ['pid', 'entity_id', 'name', 'executable', 'args', 'args_count', 'command_line', 'start', 'interactive', 'user.id', 'group.id', 'real_user.id', 'saved_group.id']) {
        sensor.push(`${role}.${f}`);
      }
    }
    expect(sensor.filter((p) => schema.lookup(p) === undefined)).toEqual([]);
  });

  it('describes every field in one line and lists each once', () => {
    const paths = schema.fields().map((f) => f.path);
    expect(new Set(paths).size).toBe(paths.length);
    for (const f of schema.fields()) {
      expect(f.description, f.path).toMatch(/^\S.*[^\s]$/);
      expect(f.description!.includes('\n')).toBe(false);
    }
  });

  it('resolves ECS .text multi-fields as aliases of their field', () => {
    expect(schema.aliasOf('process.command_line.text')).toBe('process.command_line');
    expect(schema.lookup('process.parent.name.text')).toBe(schema.lookup('process.parent.name'));
    // process.io.text is a real field, not a multi-field of process.io.
    expect(schema.aliasOf('process.io.text')).toBeUndefined();
    expect(schema.lookup('process.io.text')?.type).toBe('wildcard');
  });

  it('does not know fields outside the table', () => {
    expect(schema.lookup('process.no_such_field')).toBeUndefined();
    expect(schema.lookup('process')).toBeUndefined();
  });
});
