// Kernel event times are ns since boot (bpf_ktime_get_boot_ns, task->start_boottime); records
// want ns since the epoch. The offset between the two clocks is measured once (see
// bootClockOffsetNs in the addon) and added to each u64 given as two u32 halves, without BigInt
// and without losing precision: the result is split into whole microseconds (< 2^53) plus a
// 0–999 ns remainder, which RecordBuilder.setDateScaled writes exactly.

const TWO_32_US = 4294967; // 2^32 ns = 4294967 µs + 296 ns
const TWO_32_REM_NS = 296;

export class BootClock {
  private readonly offsetUs: number;
  private readonly offsetRemNs: number;
  /** Result of the last convert(): whole µs since the epoch, and the ns beyond them. */
  us = 0;
  ns = 0;

  /** offsetNs: CLOCK_REALTIME − CLOCK_BOOTTIME (ns), e.g. from bootClockOffsetNs(). */
  constructor(offsetNs: bigint) {
    this.offsetUs = Number(offsetNs / 1000n);
    this.offsetRemNs = Number(offsetNs % 1000n);
  }

  /** Converts a boot-time u64 (lo, hi halves) to wall-clock time in this.us / this.ns. */
  convert(lo: number, hi: number): void {
    const low = hi * TWO_32_REM_NS + lo; // < 2^41: exact
    const rem = (low % 1000) + this.offsetRemNs;
    this.us = hi * TWO_32_US + Math.floor(low / 1000) + this.offsetUs + (rem >= 1000 ? 1 : 0);
    this.ns = rem >= 1000 ? rem - 1000 : rem;
  }

  /** Converts a start time in clock ticks (10 ms, see entity-id.ts) to this.us / this.ns. */
  convertTicks(ticks: number): void {
    this.us = ticks * 10_000 + this.offsetUs;
    this.ns = this.offsetRemNs;
  }

  /** Wall-clock ms since the epoch of a boot-time u64 (for coarse uses: sweeps, summaries). */
  millis(lo: number, hi: number): number {
    this.convert(lo, hi);
    return Math.floor(this.us / 1000);
  }
}
