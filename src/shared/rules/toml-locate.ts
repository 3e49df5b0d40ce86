// Finds where a key's value starts in raw TOML text. smol-toml returns values without positions, so
// this small structural scan (tables, dotted and quoted keys, inline tables; strings, arrays and
// comments skipped whole) is what ties a parsed value back to its place in the file. It assumes the
// text already parsed as TOML and never judges validity.
import { PositionCursor } from './position.js';
import { readTomlString, tomlStringEnd } from './toml-string.js';

const BARE_KEY = /[A-Za-z0-9_-]/;

/** Offset of the first character of the value of `path` (e.g. ['rule', 'query']), or -1 if absent. */
export function findTomlValue(text: string, path: readonly string[]): number {
  return new TomlScanner(text, path).run();
}

class TomlScanner {
  private pos = 0;
  private found = -1;

  constructor(
    private readonly text: string,
    private readonly target: readonly string[],
  ) {}

  run(): number {
    let table: string[] = [];
    for (;;) {
      this.skipBlank(true);
      if (this.pos >= this.text.length) return -1;
      if (this.text[this.pos] === '[') {
        const arrayOfTables = this.text[this.pos + 1] === '[';
        this.pos += arrayOfTables ? 2 : 1;
        table = this.readKeyPath();
        this.pos += arrayOfTables ? 2 : 1; // the closing bracket(s)
        continue;
      }
      if (this.keyValue(table)) return this.found;
    }
  }

  /** Reads `key = value` under `prefix`; true once the target's value was reached. */
  private keyValue(prefix: readonly string[]): boolean {
    const full = [...prefix, ...this.readKeyPath()];
    this.skipBlank(false);
    this.pos++; // '='
    this.skipBlank(false);
    if (samePath(full, this.target)) {
      this.found = this.pos;
      return true;
    }
    return this.skipValue(full);
  }

  private readKeyPath(): string[] {
    const keys: string[] = [];
    for (;;) {
      this.skipBlank(false);
      const c = this.text[this.pos];
      if (c === '"' || c === "'") {
        const end = tomlStringEnd(this.text, this.pos);
        keys.push(unquoteKey(this.text.slice(this.pos, end)));
        this.pos = end;
      } else {
        const start = this.pos;
        while (this.pos < this.text.length && BARE_KEY.test(this.text[this.pos]!)) this.pos++;
        keys.push(this.text.slice(start, this.pos));
      }
      this.skipBlank(false);
      if (this.text[this.pos] !== '.') return keys;
      this.pos++;
    }
  }

  /** Skips one value; inline tables are searched too, since `rule = { query = … }` is valid TOML. */
  private skipValue(path: readonly string[]): boolean {
    const c = this.text[this.pos];
    if (c === '"' || c === "'") {
      this.pos = tomlStringEnd(this.text, this.pos);
    } else if (c === '{') {
      this.pos++;
      for (;;) {
        this.skipBlank(true);
        if (this.pos >= this.text.length) return false;
        if (this.text[this.pos] === '}') break;
        if (this.text[this.pos] === ',') {
          this.pos++;
          continue;
        }
        if (this.keyValue(path)) return true;
      }
      this.pos++;
    } else if (c === '[') {
      this.pos++;
      for (;;) {
        this.skipBlank(true);
        if (this.pos >= this.text.length) return false;
        if (this.text[this.pos] === ']') break;
        if (this.text[this.pos] === ',') {
          this.pos++;
          continue;
        }
        // Tables inside arrays have no key path a plain lookup could name.
        const before = this.pos;
        this.skipValue([...path, '[]']);
        if (this.pos === before) this.pos++; // only on text smol-toml would have rejected; never spin
      }
      this.pos++;
    } else {
      while (this.pos < this.text.length && !'\n#,]}'.includes(this.text[this.pos]!)) this.pos++;
    }
    return false;
  }

  /** Skips spaces and tabs, and with `newlines` also line breaks and comments. */
  private skipBlank(newlines: boolean): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === ' ' || c === '\t') this.pos++;
      else if (newlines && (c === '\n' || c === '\r')) this.pos++;
      else if (newlines && c === '#') {
        const eol = this.text.indexOf('\n', this.pos);
        this.pos = eol < 0 ? this.text.length : eol + 1;
      } else return;
    }
  }
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

function unquoteKey(quoted: string): string {
  return readTomlString(quoted, 0, new PositionCursor(quoted)).value;
}
