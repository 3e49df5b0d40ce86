// `kestrel check` on user rule modules (.wasm): a module that follows the user rule ABI counts as
// an ok rule; one that does not is a failure carrying the validator's messages.
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { checkCommand } from '../src/main/commands/check.js';
import { ModuleBuilder } from '../src/shared/wasm/wasm-writer.js';
import { Op, ValType } from '../src/shared/wasm/wasm-opcodes.js';

const { i32 } = ValType;
const dir = mkdtempSync(join(tmpdir(), 'kestrel-check-wasm-'));

function ruleModule(matchResults: number[]): Uint8Array {
  const b = new ModuleBuilder();
  b.importFunction('kestrel', 'has', [i32], [i32]);
  b.setMemory(1, 4);
  b.exportFunction('match', b.addFunction([i32], matchResults, [], matchResults.length ? [Op.i32Const, 0, Op.end] : [Op.end]));
  b.export('memory', 2, 0);
  return b.build();
}

async function check(...paths: string[]): Promise<{ code: number; out: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const code = await checkCommand.run({ values: {}, positionals: paths }, { out, err: new PassThrough(), stdin: new PassThrough() });
  return { code, out: text };
}

describe('kestrel check on .wasm rule modules', () => {
  it('counts a valid module as ok and reports an invalid one with the validator messages', async () => {
    const good = join(dir, 'good.wasm');
    const bad = join(dir, 'bad.wasm');
    const junk = join(dir, 'junk.wasm');
    writeFileSync(good, ruleModule([i32]));
    writeFileSync(bad, ruleModule([]));
    writeFileSync(junk, 'not wasm at all');

    const ok = await check(good);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('1 rules ok, 0 failed');

    const mixed = await check(good, bad, junk, 'rules');
    expect(mixed.code).toBe(1);
    expect(mixed.out).toMatch(/bad\.wasm[\s\S]*export match[\s\S]*expected/);
    expect(mixed.out).toContain('junk.wasm');
    expect(mixed.out).toMatch(/ 2 failed/);
  });

  it('checks the .wasm modules found in folders beside .eql rules: the bad one is reported, the rest load', async () => {
    const folder = join(dir, 'mixed-folder');
    mkdirSync(join(folder, 'nested'), { recursive: true });
    writeFileSync(join(folder, 'nested', 'good.wasm'), ruleModule([i32]));
    writeFileSync(join(folder, 'bad.wasm'), ruleModule([]));
    writeFileSync(join(folder, 'shell.eql'), '// name: a shell started\nprocess where process.name == "sh"\n');
    writeFileSync(join(folder, 'curl.eql'), '// name: curl started\nprocess where process.name == "curl"\n');

    const r = await check(folder);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/bad\.wasm[\s\S]*not a valid [\s\S]*export match[\s\S]*expected/);
    expect(r.out).not.toContain('good.wasm');
    expect(r.out).toContain('3 rules ok, 1 failed');

    // Named and reached through its folder: checked once.
    const twice = await check(join(folder, 'bad.wasm'), folder);
    expect(twice.out).toContain('3 rules ok, 1 failed');
  });
});
