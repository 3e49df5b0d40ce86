// Loads the native eBPF loader (native/ebpf-loader) through node-gyp-build: a prebuilt binary in
// prebuilds/ if one matches this platform, else the one scripts/setup.sh built in build/Release.
// Wraps it so drain() takes the caller's SharedArrayBuffer, as the rest of Kestrel does.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../code-paths.js';

/** Where the addon lives, in the package folder (code-paths.ts). */
export const ADDON_DIR = join(packageRoot(), 'native', 'ebpf-loader');

export interface OpenOptions {
  /** Ring buffer size in bytes: a power of two, at least one page. */
  ringBufferBytes: number;
  /** Program names to load (default: every program whose hook exists in this kernel). */
  programs?: string[];
  /** Process whose events the kernel drops (default: this process). */
  selfTgid?: number;
  /** Exec events carry the environment (default false). */
  captureEnv?: boolean;
  /** Read-only opens of files with these names, or directly in folders with these names, are
   * reported (names of 1–31 bytes, no '/'). Giving either list (even empty) turns the check on,
   * so setWatchLists can fill them later. */
  watchFiles?: string[];
  watchDirs?: string[];
}

export interface ProgramInfo {
  name: string;
  section: string;
  selected: boolean;
  attached: boolean;
  /** Why a program was left out (hook missing in this kernel, or not requested). */
  skipped?: string;
}

export interface LoaderStats {
  dropsPerCpu: number[];
  /** Failed ring reservations in the kernel (ring full), all CPUs. */
  drops: number;
  /** Events and struct bytes copied out by drain() so far. */
  events: number;
  bytes: number;
}

interface NativeSensor {
  open(options: OpenOptions): void;
  load(): void;
  setWatchLists(watchFiles: string[], watchDirs: string[]): void;
  attach(): void;
  drain(view: Uint8Array, offset: number, maxBytes: number): number;
  wait(timeoutMs: number): boolean;
  epollFd(): number;
  onReadable(callback: (() => void) | null): void;
  stats(): LoaderStats;
  programs(): ProgramInfo[];
  close(): void;
}

interface NativeModule {
  EbpfSensor: new () => NativeSensor;
  bootClockOffsetNs(): bigint;
  signalProcess(pid: number, startTicks: number, signal: number): string;
  /** Undefined when the CPU lacks SSE4.2. */
  crc32c?(bytes: Uint8Array, start: number, end: number, crc: number): number | undefined;
}

let native: NativeModule | undefined;

function loadNative(): NativeModule {
  if (!native) {
    const require = createRequire(import.meta.url);
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeModule;
    native = nodeGypBuild(ADDON_DIR);
  }
  return native;
}

/**
 * The addon's hardware CRC-32C (SSE4.2), or undefined where the addon is not built, does not load
 * or predates it, or the CPU lacks the instruction. Never throws: callers keep a portable loop.
 */
export function nativeCrc32c(): ((bytes: Uint8Array, start: number, end: number, crc: number) => number) | undefined {
  try {
    const fn = loadNative().crc32c;
    if (typeof fn !== 'function' || fn(new Uint8Array(1), 0, 1, 0) === undefined) return undefined;
    return fn as (bytes: Uint8Array, start: number, end: number, crc: number) => number;
  } catch {
    return undefined;
  }
}

/** Why the addon cannot be loaded here, or undefined if it can. */
export function addonUnavailableReason(): string | undefined {
  if (!existsSync(`${ADDON_DIR}/build/Release/kestrel_ebpf.node`) && !existsSync(`${ADDON_DIR}/prebuilds`)) {
    return `the eBPF loader addon is not built (${ADDON_DIR}/build/Release/kestrel_ebpf.node missing): run bash scripts/setup.sh`;
  }
  try {
    loadNative();
    return undefined;
  } catch (err) {
    return `the eBPF loader addon does not load: ${(err as Error).message}`;
  }
}

/**
 * CLOCK_REALTIME − CLOCK_BOOTTIME in ns, measured now: event times (ns since boot) plus this are
 * wall-clock ns since the epoch. Changes only when the wall clock is stepped.
 */
export function bootClockOffsetNs(): bigint {
  return loadNative().bootClockOffsetNs();
}

/** What signalProcess did: see there. */
export type SignalResult = 'signalled' | 'gone' | 'reused' | 'kernel-thread' | `error: ${string}`;

/**
 * Sends `signal` to exactly the process that has `pid` and started `startTicks` clock ticks after
 * boot (its /proc stat starttime): through a pidfd, checked after opening, so a reused pid is
 * never hit. Kernel threads and pid ≤ 1 are refused.
 */
export function signalProcess(pid: number, startTicks: number, signal: number): SignalResult {
  return loadNative().signalProcess(pid, startTicks, signal) as SignalResult;
}

/**
 * The kernel half of the sensor: open → load → attach, then drain() events into a
 * SharedArrayBuffer. drain() never blocks; wait() blocks (for a dedicated worker thread);
 * onReadable() lets libuv watch the ring on this thread's event loop.
 */
export class EbpfLoader {
  private readonly sensor: NativeSensor;
  /** One Uint8Array per SharedArrayBuffer, made on first use, so drain() allocates nothing. */
  private lastBuffer: SharedArrayBuffer | undefined;
  private lastView: Uint8Array | undefined;

  constructor() {
    this.sensor = new (loadNative().EbpfSensor)();
  }

  setWatchLists(watchFiles: string[], watchDirs: string[]): void {
    this.sensor.setWatchLists(watchFiles, watchDirs);
  }

  open(options: OpenOptions): void {
    this.sensor.open(options);
  }

  load(): void {
    this.sensor.load();
  }

  attach(): void {
    this.sensor.attach();
  }

  /**
   * Copies finished events into sab[offset, offset + maxBytes) as frames (u32 length, u32 0, the
   * raw struct, padding to 8 bytes). Returns the bytes written; 0 when the ring is empty.
   */
  drain(sab: SharedArrayBuffer, offset: number, maxBytes: number): number {
    if (sab !== this.lastBuffer) {
      this.lastBuffer = sab;
      this.lastView = new Uint8Array(sab);
    }
    return this.sensor.drain(this.lastView!, offset, maxBytes);
  }

  /** Blocks up to timeoutMs until an event is ready; true if one is. Worker threads only. */
  wait(timeoutMs: number): boolean {
    return this.sensor.wait(timeoutMs);
  }

  /** The ring buffer's epoll fd (readable when events are waiting). */
  epollFd(): number {
    return this.sensor.epollFd();
  }

  /** Calls back on this thread's event loop while events are waiting; null stops. */
  onReadable(callback: (() => void) | null): void {
    this.sensor.onReadable(callback);
  }

  stats(): LoaderStats {
    return this.sensor.stats();
  }

  programs(): ProgramInfo[] {
    return this.sensor.programs();
  }

  close(): void {
    this.lastBuffer = undefined;
    this.lastView = undefined;
    this.sensor.close();
  }
}
