// process.entity_id as ECS defines it: a stable, unique id for one process over the host's life,
// so pid reuse never joins two processes in a sequence. We hash (boot id, pid, start time).
//
// Start time is quantised to clock ticks (USER_HZ, 100 on Linux) because /proc/<pid>/stat only
// has tick resolution: the kernel's task->start_boottime (ns) divided by 10^7 equals the stat
// field, so processes seen first in /proc and first in a kernel event get the same id.
import { createHash } from 'node:crypto';

export const NS_PER_TICK = 10_000_000;

export function entityId(bootId: string, pid: number, startTicks: number): string {
  return createHash('sha256').update(`${bootId}:${pid}:${startTicks}`).digest('base64url').slice(0, 22);
}

export function ticksFromBoottimeNs(ns: bigint | number): number {
  return typeof ns === 'bigint' ? Number(ns / BigInt(NS_PER_TICK)) : Math.floor(ns / NS_PER_TICK);
}
