// Locates ../shared (read-only suites and corpora that live beside the repository, never in it).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';

export const SHARED = resolve(process.env.KESTREL_SHARED ?? resolve(process.cwd(), '../shared'));

if (!existsSync(SHARED)) {
  throw new Error(`../shared not found at ${SHARED}: the conformance suites and rule corpus must sit beside the repository`);
}

export const CORPUS = join(SHARED, 'rules-corpus/elastic-detection-rules');
export const CONFORMANCE = join(SHARED, 'conformance/eql');

export function walk(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p, ext));
    else if (name.endsWith(ext)) out.push(p);
  }
  return out;
}

/** Every EQL query of the Elastic corpus, with its file. */
export function corpusQueries(): { file: string; query: string }[] {
  return walk(CORPUS, '.toml').flatMap((file) => {
    const doc = parseToml(readFileSync(file, 'utf8')) as { rule?: { language?: string; query?: string } };
    return doc.rule?.language === 'eql' && typeof doc.rule.query === 'string' ? [{ file, query: doc.rule.query }] : [];
  });
}

/** Every `[[queries]]` entry of the conformance TOML files. */
export function conformanceQueries(): { file: string; name: string; query: string }[] {
  const files = ['test_queries.toml', 'additional_test_queries.toml', 'test_missing_events.toml', 'test_sample.toml'];
  return files.flatMap((f) => {
    const doc = parseToml(readFileSync(join(CONFORMANCE, f), 'utf8')) as { queries: { name: string; query: string }[] };
    return doc.queries.map((q) => ({ file: f, name: q.name, query: q.query }));
  });
}
