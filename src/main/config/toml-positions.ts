// Where each key of a TOML document sits, so a config value that parses but is wrong can be
// reported at file:line:col with a caret, like a rule error. smol-toml gives positions only for
// syntax errors; this scan covers the subset of TOML a config uses: [table] and [[array]] headers
// and `key = value` lines (bare, dotted or quoted keys). Multi-line values need no positions
// beyond their key.

/** Offset of a key and of its value in the text, by path: "rules.paths", "sinks[1].url". */
export interface KeyPosition {
  keyStart: number;
  keyEnd: number;
  valueStart: number;
}

const KEY_PART = String.raw`(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')`;
const KEY_LINE = new RegExp(String.raw`^[ \t]*(${KEY_PART}(?:[ \t]*\.[ \t]*${KEY_PART})*)[ \t]*=[ \t]*`);
const HEADER = new RegExp(String.raw`^[ \t]*(\[\[?)[ \t]*(${KEY_PART}(?:[ \t]*\.[ \t]*${KEY_PART})*)[ \t]*\]\]?`);

function keyParts(dotted: string): string[] {
  const parts: string[] = [];
  const re = new RegExp(KEY_PART, 'g');
  for (const m of dotted.matchAll(re)) {
    const p = m[0];
    parts.push(p.startsWith('"') ? (JSON.parse(p) as string) : p.startsWith("'") ? p.slice(1, -1) : p);
  }
  return parts;
}

export function tomlKeyPositions(text: string): Map<string, KeyPosition> {
  const out = new Map<string, KeyPosition>();
  const arrayCounts = new Map<string, number>();
  let table = '';
  let depth = 0; // open brackets of a multi-line array or inline table: no keys of ours inside
  let offset = 0;
  for (const line of text.split('\n')) {
    const start = offset;
    offset += line.length + 1;
    if (depth > 0) {
      depth += bracketBalance(line);
      continue;
    }
    const header = HEADER.exec(line);
    if (header) {
      const name = keyParts(header[2]!).join('.');
      if (header[1] === '[[') {
        const n = arrayCounts.get(name) ?? 0;
        arrayCounts.set(name, n + 1);
        table = `${name}[${n}]`;
      } else table = name;
      const at = start + header.index + header[0].indexOf(header[2]!);
      out.set(table, { keyStart: at, keyEnd: at + header[2]!.length, valueStart: at });
      continue;
    }
    const kv = KEY_LINE.exec(line);
    if (!kv) continue;
    const path = [table, ...keyParts(kv[1]!)].filter(Boolean).join('.');
    const keyStart = start + kv[0].indexOf(kv[1]!);
    out.set(path, { keyStart, keyEnd: keyStart + kv[1]!.length, valueStart: start + kv[0].length });
    depth = Math.max(0, bracketBalance(line.slice(kv[0].length)));
  }
  return out;
}

/** Net open [ and { on a line, ignoring strings and comments. */
function bracketBalance(s: string): number {
  let n = 0;
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') break;
    else if (c === '[' || c === '{') n++;
    else if (c === ']' || c === '}') n--;
  }
  return n;
}
