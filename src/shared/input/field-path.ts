// Reading a dotted field path out of a normalised event (time and tiebreaker fields, id fields).

export function readPath(obj: unknown, path: string): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const direct = (obj as Record<string, unknown>)[path];
  if (direct !== undefined || !path.includes('.')) return direct;
  let node: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
