// Renders errors for humans: `file:line:col: message`, the source line, carets under the bad span
// and a hint. Used by every command so all diagnostics look the same.
import { KestrelError, lineColOf } from '../shared/errors.js';

export interface SourceRef {
  /** Name shown before line:col (a file path, or "query"). */
  name: string;
  text: string;
  /** Offset of `text` within the file, and the line/col of that offset (for queries embedded in TOML). */
  base?: { line: number; col: number };
}

/** Caret rendering of one span of a source. Multi-line spans underline to the end of the first line. */
export function renderSpan(src: SourceRef, start: number, end: number): { where: string; excerpt: string } {
  const { line, col } = lineColOf(src.text, start);
  const lineStart = src.text.lastIndexOf('\n', start - 1) + 1;
  let lineEnd = src.text.indexOf('\n', start);
  if (lineEnd < 0) lineEnd = src.text.length;
  const text = src.text.slice(lineStart, lineEnd);
  const width = Math.max(1, Math.min(end, lineEnd) - start);
  const absLine = src.base ? src.base.line + line - 1 : line;
  const absCol = src.base && line === 1 ? src.base.col + col - 1 : col;
  // Long lines (1 MB queries) are clipped around the error so the output stays readable.
  const MAX = 160;
  let shown = text;
  let caretCol = col - 1;
  if (text.length > MAX) {
    const from = Math.max(0, caretCol - 60);
    shown = (from > 0 ? '…' : '') + text.slice(from, from + MAX) + (from + MAX < text.length ? '…' : '');
    caretCol = caretCol - from + (from > 0 ? 1 : 0);
  }
  const gutter = String(absLine).length;
  const excerpt = `${' '.repeat(gutter)} |\n${absLine} | ${shown}\n${' '.repeat(gutter)} | ${' '.repeat(caretCol)}${'^'.repeat(Math.min(width, MAX))}`;
  return { where: `${src.name}:${absLine}:${absCol}`, excerpt };
}

/** `span` overrides the error's own span (e.g. a query span mapped into its rule file). */
export function formatError(e: unknown, src?: SourceRef, span = (e as KestrelError | undefined)?.span): string {
  if (!(e instanceof KestrelError)) {
    return `kestrel: internal error: ${(e as Error)?.message ?? String(e)} (this is a bug; set KESTREL_DEBUG=1 for a stack trace)`;
  }
  const lines: string[] = [];
  src ??= e.source;
  if (src && span) {
    const { where, excerpt } = renderSpan(src, span.start, span.end);
    lines.push(`${where}: ${e.kind} error: ${e.message}`, excerpt);
  } else {
    lines.push(`${e.file ? `${e.file}: ` : ''}${e.kind} error: ${e.message}`);
  }
  if (e.hint) lines.push(`hint: ${e.hint}`);
  return lines.join('\n');
}
