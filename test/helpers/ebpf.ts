// Live eBPF tests run for real as root. When eBPF cannot work here they are skipped with the
// precise reason in their name — unless KESTREL_REQUIRE_EBPF=1 (CI), where that is a failure.
import { it } from 'vitest';
import { ebpfUnavailableReason } from '../../src/shared/sensor/sensor.js';

export const EBPF_UNAVAILABLE = ebpfUnavailableReason();
export const EBPF_REQUIRED = process.env.KESTREL_REQUIRE_EBPF === '1';

/** Title for a describe block that is skipped when eBPF is unavailable. */
export function ebpfSuiteTitle(title: string): string {
  return EBPF_UNAVAILABLE ? `${title} (skipped: ${EBPF_UNAVAILABLE})` : title;
}

/** Registers a failing test when eBPF is required but unavailable. */
export function requireEbpfWhenAsked(): void {
  if (EBPF_UNAVAILABLE && EBPF_REQUIRED) {
    it('live eBPF is available (KESTREL_REQUIRE_EBPF=1)', () => {
      throw new Error(`KESTREL_REQUIRE_EBPF=1 but ${EBPF_UNAVAILABLE}`);
    });
  }
}
