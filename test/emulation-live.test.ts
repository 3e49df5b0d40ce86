// The live attack-emulation suite (#17; scripts/emulation.mjs runs it, docs/emulation.md is its
// report): every technique script under test/emulation/ and every rule trigger is performed for
// real in a throw-away namespace while `kestrel run` watches with the bundled rules and Elastic's
// corpus. Targets: at least 60 techniques across the tactics, at least 70% detected live; every
// script runs to completion; a script whose header says "expect: detected" must be detected (so a
// lost detection fails here, by name).
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script shared with the command line, without type declarations
import { emulationScripts, runEmulation } from '../scripts/emulation.mjs';
import { distModule } from './helpers/dist.js';
import { EBPF_UNAVAILABLE, ebpfSuiteTitle, requireEbpfWhenAsked } from './helpers/ebpf.js';

requireEbpfWhenAsked();

interface Row { script: string; techniques: string[]; expect: string; status: number | null; error?: string; detected: boolean; rules: string[] }

describe('emulation suite layout', () => {
  it('has at least 60 distinct techniques across at least 9 tactics, each script with a full header', () => {
    const scripts = emulationScripts() as { techniques: string[]; tactics: string[] }[];
    const techniques = new Set(scripts.flatMap((s) => s.techniques));
    const tactics = new Set(scripts.flatMap((s) => s.tactics));
    expect(techniques.size).toBeGreaterThanOrEqual(60);
    expect(tactics.size).toBeGreaterThanOrEqual(9);
  });
});

describe.skipIf(EBPF_UNAVAILABLE !== undefined)(ebpfSuiteTitle('attack emulation, live (all rules)'), () => {
  it('runs every script, detects ≥ 70% of the techniques, and every script expected to be detected is', async () => {
    distModule('main/cli.js');
    const rep = await runEmulation();
    const rows = rep.scripts as Row[];
    expect(rows.filter((r) => r.status !== 0).map((r) => `${r.script}: exit ${r.status} ${r.error ?? ''}`)).toEqual([]);
    expect(rows.filter((r) => r.expect === 'detected' && !r.detected).map((r) => r.script)).toEqual([]);
    expect(rep.totals.techniques).toBeGreaterThanOrEqual(60);
    expect(rep.totals.rate).toBeGreaterThanOrEqual(0.7);
  }, 600_000);
});
