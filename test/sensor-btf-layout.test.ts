// Alignment checker: the compiled BPF object's BTF must lay out every event struct exactly as
// layout.json says (the TypeScript decoder reads the same description), so a drift between the
// kernel side and userspace fails here instead of showing up as corrupt events.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KINDS, STRUCTS } from '../src/shared/sensor/layout.js';

const OBJECT = 'bpf/.output/kestrel.bpf.o';
const REQUIRED = process.env.KESTREL_REQUIRE_EBPF === '1';

interface BtfStruct {
  size: number;
  members: { name: string; bitsOffset: number }[];
}

function bpftoolMissing(): string | undefined {
  try {
    execFileSync('bpftool', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'bpftool is not installed (bash scripts/setup.sh installs it)';
  }
}

const unavailable = !existsSync(OBJECT) ? `${OBJECT} is not built (run bash scripts/setup.sh)` : bpftoolMissing();

/** Parses `bpftool btf dump … format raw`: "[id] STRUCT 'name' size=N vlen=M" + member lines. */
function readBtfStructs(file: string): Map<string, BtfStruct> {
  const out = new Map<string, BtfStruct>();
  let current: BtfStruct | undefined;
  for (const line of execFileSync('bpftool', ['btf', 'dump', 'file', file, 'format', 'raw'], { encoding: 'utf8' }).split('\n')) {
    const head = /^\[\d+\] STRUCT '([^']*)' size=(\d+)/.exec(line);
    if (head) {
      current = { size: Number(head[2]), members: [] };
      out.set(head[1]!, current);
      continue;
    }
    const member = /^\t'([^']*)' type_id=\d+ bits_offset=(\d+)/.exec(line);
    if (member && current) current.members.push({ name: member[1]!, bitsOffset: Number(member[2]) });
    else if (!line.startsWith('\t')) current = undefined;
  }
  return out;
}

if (unavailable && REQUIRED) {
  it('the BPF object can be checked (KESTREL_REQUIRE_EBPF=1)', () => {
    throw new Error(`KESTREL_REQUIRE_EBPF=1 but ${unavailable}`);
  });
}

describe.skipIf(unavailable !== undefined)(unavailable ? `BTF layout (skipped: ${unavailable})` : 'BTF layout', () => {
  const btf = unavailable ? new Map<string, BtfStruct>() : readBtfStructs(OBJECT);

  it.each([...STRUCTS.values()].map((s) => [s.name, s] as const))('struct kestrel_%s matches layout.json', (name, layout) => {
    const compiled = btf.get(`kestrel_${name}`);
    expect(compiled, `struct kestrel_${name} missing from ${OBJECT}'s BTF`).toBeDefined();
    expect(compiled!.size).toBe(layout.size);
    expect(compiled!.members.map((m) => [m.name, m.bitsOffset / 8])).toEqual(layout.fields.map((f) => [f.name, f.offset]));
  });

  it('every event kind uses a struct that begins with the common header', () => {
    for (const kind of KINDS.values()) expect(kind.struct.fields[0]).toMatchObject({ name: 'hdr', type: 'header', offset: 0 });
  });
});
