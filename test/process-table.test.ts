import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ProcessTable } from '../src/main/sensor/process-table.js';
import { entityId } from '../src/main/sensor/entity-id.js';

describe('process table', () => {
  it('seeds from /proc with names, args, users and stable entity ids', async () => {
    const child = spawn('/bin/sleep', ['5'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const table = new ProcessTable();
      expect(table.seedFromProc()).toBeGreaterThan(3);
      const me = table.get(process.pid)!;
      expect(me.executable).toBe(process.execPath);
      expect(me.uid).toBe(process.getuid!());
      const sleeper = table.get(child.pid!)!;
      expect(sleeper).toMatchObject({ name: 'sleep', executable: '/usr/bin/sleep', args: ['/bin/sleep', '5'], ppid: process.pid });
      expect(table.users.userName(sleeper.uid)).toBe(process.getuid!() === 0 ? 'root' : expect.any(String));
      // Saved/fs ids and capability sets (what a later setuid/capset changes from).
      expect([sleeper.suid, sleeper.fsuid, sleeper.sgid, sleeper.fsgid]).toEqual([sleeper.euid, sleeper.euid, sleeper.egid, sleeper.egid]);
      const status = Object.fromEntries(readFileSync(`/proc/${child.pid}/status`, 'utf8').split('\n').map((l) => l.split(':\t')));
      expect([sleeper.capEffective, sleeper.capPermitted, sleeper.capInheritable]).toEqual(['CapEff', 'CapPrm', 'CapInh'].map((k) => Number(`0x${status[k]}`)));
      // The id is a pure function of (boot id, pid, start ticks): a second read agrees.
      expect(new ProcessTable().readProc(child.pid!)!.entityId).toBe(sleeper.entityId);
      expect(sleeper.entityId).toBe(entityId(table.bootId, child.pid!, sleeper.startTicks));
    } finally {
      child.kill();
    }
  });

  it('follows fork, exec and exit; pid reuse gets a new entity id', () => {
    const t = new ProcessTable({ bootId: 'boot-1', proc: '/nonexistent' });
    const parent = t.onExec(100, { startTicks: 10, executable: '/usr/sbin/nginx', args: ['nginx'], ppid: 1 });
    const child = t.onFork(100, 200, 50);
    expect(child).toMatchObject({ name: 'nginx', ppid: 100 });
    const execed = t.onExec(200, { startTicks: 50, executable: '/bin/sh', args: ['sh', '-c', 'id'] });
    expect(execed).toMatchObject({ name: 'sh', entityId: child.entityId, ppid: 100 });
    expect(execed.entityId).not.toBe(parent.entityId);
    t.onExit(200, 1000);
    expect(t.sweep(1000 + 29_000)).toBe(0);
    expect(t.sweep(1000 + 31_000)).toBe(1);
    const reused = t.onFork(100, 200, 90);
    expect(reused.entityId).not.toBe(child.entityId);
  });
});
