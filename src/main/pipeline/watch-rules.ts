// Watches the rule paths given to `run` and calls back once things settle after a change: an
// editor saves in bursts (temporary file, rename, chmod), a `git checkout` touches many files, and
// each burst should cause one reload, not dozens.
import { watch, statSync, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

export interface RuleWatcher {
  close(): void;
}

export function watchRulePaths(paths: readonly string[], debounceMs: number, onChange: () => void): RuleWatcher {
  let timer: NodeJS.Timeout | undefined;
  const poke = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  const watchers: FSWatcher[] = [];
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      continue; // a missing path was reported when the rules were loaded
    }
    // A single file is watched through its folder: editors replace the file (a new inode), which a
    // watch on the file itself would lose.
    const target = isDir ? p : dirname(p);
    try {
      const w = watch(target, { recursive: isDir, persistent: false }, (_event, name) => {
        if (isDir || name === null || p.endsWith(String(name))) poke();
      });
      w.on('error', () => w.close());
      watchers.push(w);
    } catch {
      // No inotify (limits reached): SIGHUP still reloads.
    }
  }
  return {
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
