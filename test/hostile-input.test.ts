// Hostile input through the CLI: each case gets a clear, typed error (exit 2 with the file and
// line, or the query position) instead of a stack overflow or unbounded memory.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EXPR_DEPTH } from '../src/shared/eql/check-expr.js';
import { MAX_EVENT_DEPTH } from '../src/shared/input/normalize.js';
import { KESTREL_BIN, distModule } from './helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => distModule('main/cli.js'));

function kestrel(...args: string[]) {
  const r = spawnSync(process.execPath, [KESTREL_BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const head = '{"@timestamp":1,"event":{"category":"process"},"id":1}';

describe('hostile input', () => {
  it('NDJSON nested 3,000 and 200,000 deep: exit 2 naming the line (query and convert)', () => {
    for (const [name, d] of [['arrays', 3000], ['objects', 200_000]] as const) {
      const body = name === 'arrays' ? `${'['.repeat(d)}${']'.repeat(d)}` : `${'{"b":'.repeat(d)}1${'}'.repeat(d)}`;
      const file = join(dir, `${name}.ndjson`);
      writeFileSync(file, `${head}\n{"@timestamp":2,"event":{"category":"process"},"a":${body}}\n`);
      for (const args of [['query', 'process where true', file], ['convert', file, join(dir, 'out.bin')]]) {
        const r = kestrel(...args);
        expect(r.code, `${args[0]} ${name}: ${r.err}`).toBe(2);
        expect(r.err).toContain(`line 2: event nested deeper than ${MAX_EVENT_DEPTH} levels`);
      }
    }
    // Just under the limit is fine.
    const ok = join(dir, 'ok.ndjson');
    writeFileSync(ok, `{"@timestamp":2,"event":{"category":"process"},"a":${'['.repeat(MAX_EVENT_DEPTH - 2)}${']'.repeat(MAX_EVENT_DEPTH - 2)}}\n`);
    expect(kestrel('query', 'process where true', ok).code).toBe(0);
  });

  it('a rule with `not` 20,000 times: exit 2 at the position, in query and check', () => {
    const query = `process where ${'not '.repeat(20_000)}true`;
    const events = join(dir, 'one.ndjson');
    writeFileSync(events, head + '\n');
    const q = kestrel('query', query, events);
    expect(q.code, q.err).toBe(2);
    expect(q.err).toMatch(new RegExp(`query:1:\\d+: limit error: expression nested deeper than ${MAX_EXPR_DEPTH} levels`));
    const rule = join(dir, 'deep.eql');
    writeFileSync(rule, `// name: deep\n${query}\n`);
    const c = kestrel('check', rule);
    expect(c.code).not.toBe(0);
    expect(c.out + c.err).toContain(`nested deeper than ${MAX_EXPR_DEPTH} levels`);
  });

  it('a 50 MB line: a clear error at the default limit, parsed (in linear time) above a raised one', () => {
    const file = join(dir, 'long.ndjson');
    writeFileSync(file, `${head}\n{"@timestamp":2,"event":{"category":"process"},"id":2,"a":"${'x'.repeat(50_000_000)}"}\n`);
    const r = kestrel('query', '--id-field', 'id', 'process where true', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain('line 2 is longer than 16777216 characters (the limit; --max-line-length)');
    const raised = kestrel('query', '--max-line-length', '60000000', '--id-field', 'id', 'process where true', file);
    expect(raised.code, raised.err).toBe(0);
    expect(raised.out).toBe('[1]\n[2]\n');
  }, 60_000);
});
