// uid → user name and gid → group name from /etc/passwd and /etc/group (what ECS user.name and
// group.name hold). Re-read when the files change, so users added after start resolve too.
import { readFileSync, statSync } from 'node:fs';

/** How often a lookup may stat the file for changes: lookups run per event in the sensor. */
const RECHECK_MS = 1000;

class NameFile {
  private names = new Map<number, string>();
  private mtimeMs = -1;
  private checkedAt = -Infinity;
  constructor(private readonly path: string) {}

  lookup(id: number): string | undefined {
    this.refresh();
    return this.names.get(id);
  }

  private refresh(): void {
    const now = Date.now();
    if (now - this.checkedAt < RECHECK_MS) return;
    this.checkedAt = now;
    let mtime: number;
    try {
      mtime = statSync(this.path).mtimeMs;
    } catch {
      return; // no such file (minimal containers): names stay unknown
    }
    if (mtime === this.mtimeMs) return;
    this.mtimeMs = mtime;
    const names = new Map<number, string>();
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && /^\d+$/.test(f[2]) && !names.has(Number(f[2]))) names.set(Number(f[2]), f[0]);
    }
    this.names = names;
  }
}

export class UserDb {
  private readonly users: NameFile;
  private readonly groups: NameFile;
  constructor(etc = '/etc') {
    this.users = new NameFile(`${etc}/passwd`);
    this.groups = new NameFile(`${etc}/group`);
  }
  userName(uid: number): string | undefined {
    return this.users.lookup(uid);
  }
  groupName(gid: number): string | undefined {
    return this.groups.lookup(gid);
  }
}
