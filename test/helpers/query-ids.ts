// Runs one query through executeQuery (the path of `kestrel query`) and returns its results as
// the `id` fields of their events, as one JSON text to compare, with the run's stats.
import { readPath } from '../../src/shared/input/field-path.js';
import { DEFAULT_QUERY_OPTIONS, executeQuery, type QueryOptions, type QueryStats } from '../../src/shared/query/execute.js';

export async function queryIds(query: string, files: readonly string[], options: Partial<QueryOptions> = {}): Promise<{ ids: string; stats: QueryStats }> {
  const results: unknown[][] = [];
  const stats = await executeQuery(query, files, { ...DEFAULT_QUERY_OPTIONS, engine: 'interp', ...options }, (r) => results.push(r.events.map((e) => (e ? readPath(e.view, 'id') : null))));
  return { ids: JSON.stringify(results), stats };
}
