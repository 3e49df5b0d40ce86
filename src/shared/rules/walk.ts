// Turns the paths a user names into the ordered list of rule files to read. Folders are walked
// recursively with entries sorted by code unit (not locale), so the same tree always loads in the
// same order on every machine — rule order decides alert order for simultaneous matches.
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { InputError, type KestrelError } from '../errors.js';

export type RuleFormat = 'toml' | 'eql';

export interface RuleFileRef {
  /** The path as reached from what the user named (not made absolute), for messages. */
  file: string;
  format: RuleFormat;
  /** Id for a rule file that names none: its path below the walked folder, `/`-separated, no extension. */
  derivedId: string;
  /** File name without extension: the name of a rule file that names none. */
  stem: string;
}

const FORMATS: Record<string, RuleFormat> = { '.toml': 'toml', '.eql': 'eql' };

/** Extension of a user rule module (a compiled Wasm rule, wasm-rules.md). */
const MODULE_EXTENSION = '.wasm';

/**
 * The rule files under `paths`, and the user rule modules found in its folders (a module named
 * directly is the caller's to handle: only `kestrel check` takes one).
 */
export async function findRuleFiles(paths: readonly string[]): Promise<{ files: RuleFileRef[]; modules: string[]; errors: KestrelError[] }> {
  const walker = new Walker();
  for (const p of paths) await walker.visitNamed(p);
  return { files: walker.files, modules: walker.modules, errors: walker.errors };
}

class Walker {
  readonly files: RuleFileRef[] = [];
  readonly modules: string[] = [];
  readonly errors: KestrelError[] = [];
  /** Real paths already taken, so a file named twice (or reached through a symlink) loads once and link loops end. */
  private readonly seen = new Set<string>();

  async visitNamed(p: string): Promise<void> {
    let isDir: boolean;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch (e) {
      this.errors.push(fsError(p, e));
      return;
    }
    if (isDir) {
      await this.walk(p, '');
      return;
    }
    const format = FORMATS[path.extname(p)];
    if (!format) {
      if (path.extname(p) === MODULE_EXTENSION) {
        if (await this.firstVisit(p)) this.modules.push(p);
        return;
      }
      this.errors.push(new InputError('rules.extension', 'not a rule file: rule files end in .toml, .eql or .wasm', { file: p }));
      return;
    }
    await this.add(p, format, stemOf(p));
  }

  private async walk(dir: string, rel: string): Promise<void> {
    const realDir = this.visitReal(dir);
    if (realDir === null) return;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      this.errors.push(fsError(dir, e));
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      // Hidden entries (.git, editor swap files) are never rules.
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(full)))) {
        await this.walk(full, childRel);
        continue;
      }
      const ext = path.extname(entry.name);
      const format = FORMATS[ext];
      // A plain file's real path is its name in the real folder: no realpath call per rule file
      // (408 of them were ~20 ms of a warm start).
      const real = entry.isFile() ? path.join(realDir, entry.name) : undefined;
      // Other files (READMEs, fixtures such as *.events.ndjson) live beside rules and are ignored.
      if (format) await this.add(full, format, childRel.slice(0, -ext.length), real);
      else if (ext === MODULE_EXTENSION && (await this.firstVisit(full, real))) this.modules.push(full);
    }
  }

  private async add(file: string, format: RuleFormat, derivedId: string, real?: string): Promise<void> {
    if (await this.firstVisit(file, real)) this.files.push({ file, format, derivedId, stem: stemOf(file) });
  }

  /** Whether `p` (real path `real`, when the caller knows it) is seen for the first time. */
  private async firstVisit(p: string, real?: string): Promise<boolean> {
    return this.visitReal(p, real) !== null;
  }

  /** `p`'s real path if it is seen for the first time, else null. */
  private visitReal(p: string, known?: string): string | null {
    let real = known;
    if (real === undefined) {
      try {
        real = realpathSync(p);
      } catch {
        real = path.resolve(p);
      }
    }
    if (this.seen.has(real)) return null;
    this.seen.add(real);
    return real;
  }
}

function stemOf(file: string): string {
  return path.basename(file, path.extname(file));
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false; // a dangling link: reported when read as a file, if it has a rule extension
  }
}

export function fsError(file: string, e: unknown): InputError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
  return new InputError('rules.read', `cannot read: ${reason}`, { file, cause: e });
}
