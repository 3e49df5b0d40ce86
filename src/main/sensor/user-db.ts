// uid → user name and gid → group name from /etc/passwd and /etc/group (what ECS user.name and
// group.name hold). Read on first use; refresh() (the sensor calls it about once a second)
// re-reads a file that changed, so users added after start resolve too. Lookups themselves never
// touch the clock or the file system: they run several times per event.
import { readFileSync, statSync } from 'node:fs';

/** How often refresh() may stat the files for changes. */
const RECHECK_MS = 1000;

class NameFile {
  private names = new Map<number, string>();
  private mtimeMs = -1;
  private checkedAt = -Infinity;
  /** Bumped whenever the names were (re)loaded. */
  version = 0;
  constructor(private readonly path: string) {}

  lookup(id: number): string | undefined {
    if (this.checkedAt === -Infinity) this.refresh();
    return this.names.get(id);
  }

  refresh(): void {
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
    this.version++;
  }
}

export class UserDb {
  private readonly users: NameFile;
  private readonly groups: NameFile;
  constructor(etc = '/etc') {
    this.users = new NameFile(`${etc}/passwd`);
    this.groups = new NameFile(`${etc}/group`);
  }
  /** Changes whenever the user or group names were (re)loaded: cached names are stale then. */
  get version(): number {
    return this.users.version + this.groups.version;
  }
  /** Re-reads /etc/passwd or /etc/group if changed (stats them at most once a second). */
  refresh(): void {
    this.users.refresh();
    this.groups.refresh();
  }
  userName(uid: number): string | undefined {
    return this.users.lookup(uid);
  }
  groupName(gid: number): string | undefined {
    return this.groups.lookup(gid);
  }
}
