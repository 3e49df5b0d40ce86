// `kestrel query`'s store of schemas inferred from its inputs' heads (shared/query/head-digest.ts):
// a query over the same file again (the usual way a hunt is refined) takes the schema from here
// instead of parsing the first 10,000 events. Entries are keyed by the build (inference is code)
// and the digest of the head's bytes, so any change to those bytes is a miss.
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import type { InferredSchemaCache } from '../../shared/query/execute.js';
import { INFER_DEFAULTS, type InferredFields } from '../../shared/schema/infer.js';
import { buildId } from './build-id.js';
import { DiskCache, defaultCacheDir } from './disk-cache.js';

const NAMESPACE = 'inferred';

/** The store in the environment's cache folder, or undefined when caching is off (KESTREL_CACHE=off). */
export function inferredSchemaCache(): InferredSchemaCache | undefined {
  const dir = defaultCacheDir();
  if (dir === null) return undefined;
  const disk = new DiskCache(dir);
  const entry = (digest: string): string => createHash('sha256').update(JSON.stringify([buildId(), INFER_DEFAULTS, digest])).digest('hex');
  return {
    read(digest) {
      const data = disk.read(NAMESPACE, entry(digest));
      if (!data) return undefined;
      try {
        const value = deserialize(data) as InferredFields;
        return Array.isArray(value.fields) && typeof value.sampled === 'number' ? value : undefined;
      } catch {
        return undefined; // written by another build: inferred afresh and stored again
      }
    },
    write(digest, value) {
      disk.write(NAMESPACE, entry(digest), serialize(value));
    },
  };
}
