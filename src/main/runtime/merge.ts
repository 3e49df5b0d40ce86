// Deterministic release of alerts from many partitions. Each partition's alert ring carries alerts
// and "progress S" frames, with every alert of ordering seq ≤ S written before progress S. So once
// every partition reported progress ≥ S, no alert with seq ≤ S can still arrive, and those alerts
// can be released in a total order that does not depend on partitioning or timing:
// (seq, rule index, alert text).

export interface PendingAlert {
  seq: number;
  ruleIndex: number;
  json: string;
}

export class AlertMerger {
  private readonly progress: number[];
  private pending: PendingAlert[] = [];
  private releasedThrough = -1;

  constructor(partitions: number, private readonly release: (a: PendingAlert) => void) {
    this.progress = new Array<number>(partitions).fill(-1);
  }

  add(alert: PendingAlert): void {
    if (alert.seq <= this.releasedThrough) {
      // A worker broke the ordering contract; emitting it now would make output timing-dependent.
      throw new Error(`internal: alert for seq ${alert.seq} arrived after seq ${this.releasedThrough} was released`);
    }
    this.pending.push(alert);
  }

  setProgress(partition: number, seq: number): void {
    if (seq > this.progress[partition]) this.progress[partition] = seq;
  }

  /** Releases everything all partitions have progressed past. Returns how many were released. */
  flush(): number {
    let through = Infinity;
    for (const p of this.progress) if (p < through) through = p;
    if (through <= this.releasedThrough || this.pending.length === 0) {
      if (through > this.releasedThrough) this.releasedThrough = through;
      return 0;
    }
    const ready: PendingAlert[] = [];
    const rest: PendingAlert[] = [];
    for (const a of this.pending) (a.seq <= through ? ready : rest).push(a);
    this.pending = rest;
    this.releasedThrough = through;
    ready.sort(compareAlerts);
    for (const a of ready) this.release(a);
    return ready.length;
  }

  pendingCount(): number {
    return this.pending.length;
  }
}

export function compareAlerts(a: PendingAlert, b: PendingAlert): number {
  if (a.seq !== b.seq) return a.seq - b.seq;
  if (a.ruleIndex !== b.ruleIndex) return a.ruleIndex - b.ruleIndex;
  return a.json < b.json ? -1 : a.json > b.json ? 1 : 0;
}
