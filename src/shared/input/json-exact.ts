// JSON parsing that keeps 64-bit integers exact: integers outside the safe range become bigint.
//
// Fast path: JSON.parse. It differs from an exact parse only on integer tokens it must round,
// and every integer token with at most 15 digits is below 2^53, so exactly representable. If the
// text has no run of 16 or more digits anywhere (inside strings or not), no such token exists and
// JSON.parse's result is exact. Otherwise the small parser below runs; it uses Number() for every
// other number token, which is what JSON.parse does, so both paths agree on everything else.

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    /** Offset in the parsed text where the problem was found. */
    readonly offset: number,
  ) {
    super(message);
  }
}

const RUN = 16;

/** Nesting of objects and arrays the exact parser accepts (see MAX_EVENT_DEPTH in normalize.ts). */
export const MAX_JSON_DEPTH = 128;

/**
 * Whether `text` has a run of 16 or more ASCII digits. Looks at every 16th character first: a run
 * that long must cover one of them, and most probes land on a non-digit and skip 16 characters
 * (a regex must try every position: 3× slower on typical events).
 */
export function hasLongDigitRun(text: string): boolean {
  const n = text.length;
  for (let probe = RUN - 1; probe < n; probe += RUN) {
    if (!isDigit(text.charCodeAt(probe))) continue;
    let start = probe;
    while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
    let end = probe + 1;
    while (end < n && isDigit(text.charCodeAt(end))) end++;
    if (end - start >= RUN) return true;
    // `end` is not a digit, so a longer run starts after it and covers one of the grid
    // positions end + 16, end + 32, …: the loop adds RUN.
    probe = end;
  }
  return false;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function parseJsonExact(text: string): unknown {
  if (!hasLongDigitRun(text)) {
    try {
      return JSON.parse(text);
    } catch (e) {
      // Re-parse to get a position we control (V8's message format is not an API).
      new ExactParser(text).parseDocument();
      throw e;
    }
  }
  return new ExactParser(text).parseDocument();
}

/**
 * Parses a JSON array and reports each top-level element's start offset, for error messages that
 * name the record and its line.
 */
export function parseJsonArrayWithOffsets(text: string): { values: unknown[]; offsets: number[] } {
  const p = new ExactParser(text);
  return p.parseTopArray();
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

class ExactParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseDocument(): unknown {
    const v = this.value();
    this.ws();
    if (this.pos < this.text.length) this.fail('unexpected text after the JSON value');
    return v;
  }

  parseTopArray(): { values: unknown[]; offsets: number[] } {
    this.ws();
    this.expect('[');
    const values: unknown[] = [];
    const offsets: number[] = [];
    this.ws();
    if (this.peek() === ']') this.pos++;
    else {
      while (true) {
        this.ws();
        offsets.push(this.pos);
        values.push(this.value());
        this.ws();
        if (this.peek() === ',') this.pos++;
        else if (this.peek() === ']') {
          this.pos++;
          break;
        } else this.fail("expected ',' or ']' in the array");
      }
    }
    this.ws();
    if (this.pos < this.text.length) this.fail('unexpected text after the JSON array');
    return { values, offsets };
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(message, this.pos);
  }

  private peek(): string {
    return this.text[this.pos];
  }

  private ws(): void {
    while (this.pos < this.text.length && WS.has(this.text.charCodeAt(this.pos))) this.pos++;
  }

  private expect(ch: string): void {
    if (this.text[this.pos] !== ch) this.fail(this.pos >= this.text.length ? `unexpected end of input, expected '${ch}'` : `expected '${ch}'`);
    this.pos++;
  }

  private depth = 0;

  private value(): unknown {
    this.ws();
    const c = this.peek();
    switch (c) {
      case '{':
      case '[': {
        // Deeper input is refused by the event reader anyway (MAX_EVENT_DEPTH); stop here too,
        // long before the stack would.
        if (++this.depth > MAX_JSON_DEPTH) this.fail(`nested deeper than ${MAX_JSON_DEPTH} levels`);
        const v = c === '{' ? this.object() : this.array();
        this.depth--;
        return v;
      }
      case '"':
        return this.string();
      case 't':
        return this.word('true', true);
      case 'f':
        return this.word('false', false);
      case 'n':
        return this.word('null', null);
      default:
        if (c === '-' || (c >= '0' && c <= '9')) return this.number();
        return this.fail(c === undefined ? 'unexpected end of input' : `unexpected character '${c}'`);
    }
  }

  private word<T>(w: string, v: T): T {
    if (!this.text.startsWith(w, this.pos)) this.fail(`unexpected token`);
    this.pos += w.length;
    return v;
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m || m[0] === '-') this.fail('bad number');
    this.pos += m[0].length;
    const n = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(n)) return BigInt(m[0]);
    return n;
  }

  private string(): string {
    this.pos++; // opening quote
    let out = '';
    let chunkStart = this.pos;
    while (true) {
      if (this.pos >= this.text.length) this.fail('unterminated string');
      const code = this.text.charCodeAt(this.pos);
      if (code === 0x22) break;
      if (code < 0x20) this.fail('control character in string');
      if (code === 0x5c) {
        out += this.text.slice(chunkStart, this.pos);
        const e = this.text[this.pos + 1];
        if (e === 'u') {
          const hex = this.text.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 6;
        } else {
          const r = ESCAPES[e];
          if (r === undefined) this.fail('bad escape');
          out += r;
          this.pos += 2;
        }
        chunkStart = this.pos;
      } else this.pos++;
    }
    out += this.text.slice(chunkStart, this.pos);
    this.pos++;
    return out;
  }

  private array(): unknown[] {
    this.pos++;
    const out: unknown[] = [];
    this.ws();
    if (this.peek() === ']') {
      this.pos++;
      return out;
    }
    while (true) {
      out.push(this.value());
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c === ']') return out;
      if (c !== ',') {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
    }
  }

  private object(): Record<string, unknown> {
    this.pos++;
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.peek() === '}') {
      this.pos++;
      return out;
    }
    while (true) {
      this.ws();
      if (this.peek() !== '"') this.fail('expected a property name');
      const key = this.string();
      this.ws();
      this.expect(':');
      const v = this.value();
      // Like JSON.parse, "__proto__" is an ordinary own property, never the prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c === '}') return out;
      if (c !== ',') {
        this.pos--;
        this.fail("expected ',' or '}'");
      }
    }
  }
}
