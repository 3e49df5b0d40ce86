// The addon's option validation and its errors, which must name what is wrong or missing.
import { describe, expect, it } from 'vitest';
import { EbpfLoader } from '../src/shared/sensor/addon.js';
import { EBPF_UNAVAILABLE, ebpfSuiteTitle, requireEbpfWhenAsked } from './helpers/ebpf.js';

requireEbpfWhenAsked();

describe.skipIf(EBPF_UNAVAILABLE !== undefined)(ebpfSuiteTitle('eBPF loader errors'), () => {
  it('validates the ring buffer size', () => {
    const loader = new EbpfLoader();
    expect(() => loader.open({ ringBufferBytes: 3000 })).toThrow('options.ringBufferBytes must be a power of two between 4096 and 1073741824');
    expect(() => loader.open({ ringBufferBytes: 'big' as unknown as number })).toThrow('options.ringBufferBytes must be a number');
  });

  it('names unknown programs and the known ones', () => {
    const loader = new EbpfLoader();
    expect(() => loader.open({ ringBufferBytes: 1 << 16, programs: ['nope'] })).toThrow(/^unknown program nope \(known: .*process_exec.*sys_exit.*\)$/);
  });

  it('enforces open → load → attach order', () => {
    const loader = new EbpfLoader();
    expect(() => loader.load()).toThrow('load() needs a sensor that is open, but it is closed');
    loader.open({ ringBufferBytes: 1 << 16, programs: ['process_exit'] });
    expect(() => loader.attach()).toThrow('attach() needs a sensor that is loaded, but it is open');
    loader.close();
  });

  it('loads only the requested programs and lists the others as not requested', () => {
    const loader = new EbpfLoader();
    loader.open({ ringBufferBytes: 1 << 16, programs: ['process_exit'] });
    loader.load();
    loader.attach();
    const programs = loader.programs();
    expect(programs.filter((p) => p.attached).map((p) => p.name)).toEqual(['process_exit']);
    expect(programs.find((p) => p.name === 'sys_exit')).toMatchObject({ selected: false, attached: false, skipped: 'not requested' });
    loader.close();
  });

  it('refuses a drain buffer smaller than the next event, and a misaligned offset', async () => {
    const loader = new EbpfLoader();
    loader.open({ ringBufferBytes: 1 << 16, programs: ['process_exit'] });
    loader.load();
    loader.attach();
    const { execFileSync } = await import('node:child_process');
    execFileSync('/bin/true');
    const sab = new SharedArrayBuffer(4096);
    expect(() => loader.drain(sab, 4, 64)).toThrow('drain: offset must be a multiple of 8');
    expect(() => loader.drain(sab, 0, 16)).toThrow(/^drain: maxBytes 16 is smaller than the next event frame \(\d+ bytes\)$/);
    expect(loader.drain(sab, 0, 4096)).toBeGreaterThan(0);
    loader.close();
  });
});
