// Reads the Elasticsearch EQL conformance data beside the repo (../shared, never copied in).
import fs from 'node:fs';
import path from 'node:path';

export const ES_DATA_DIR = path.resolve(process.cwd(), '../shared/conformance/eql/data');

export function esDataFiles(ext: string): string[] {
  return fs
    .readdirSync(ES_DATA_DIR)
    .filter((f) => f.endsWith(ext))
    .sort();
}

/** The .data files are JSON arrays with `//` comment lines between entries; drop those lines. */
export function readEsEvents(file: string): Record<string, unknown>[] {
  const text = fs.readFileSync(path.join(ES_DATA_DIR, file), 'utf8');
  const json = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('//'))
    .join('\n');
  return JSON.parse(json) as Record<string, unknown>[];
}

export function readEsJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(ES_DATA_DIR, file), 'utf8'));
}
