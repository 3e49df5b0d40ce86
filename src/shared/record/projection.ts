// What a reader of events reads, for encoding only that: a consumer that looks at a few field
// paths (a query's filters) gets records of a layout narrowed to them, and the encoder skips every
// JSON key it can prove none of them reads, instead of encoding it or stashing it in the extra
// JSON (which would also send the whole record to the slow host path).
//
// A path reader (field-access.ts getField) follows the path's segments through nested objects
// (and the objects of arrays) and returns whatever sits at the end, subtree included. So the value
// at a JSON position Q matters to a path P exactly when Q is a prefix of P (it lies on the way) or
// P is a prefix of Q (it is part of the value). Every other position is provably unread.
import type { FieldDef } from '../schema/types.js';

/** A node of the trie of read paths; `whole` means everything at and below it is read. */
export interface ProjectionNode {
  readonly whole: boolean;
  readonly children: ReadonlyMap<string, ProjectionNode> | undefined;
}

/** Every field is read: the encoder keeps the whole event (the default). */
export const ALL_FIELDS: ProjectionNode = Object.freeze({ whole: true, children: undefined });

interface MutableNode {
  whole: boolean;
  children: Map<string, MutableNode> | undefined;
}

/** The projection of the given read paths, each as the segments its reader follows. */
export function projectPaths(paths: Iterable<readonly string[]>): ProjectionNode {
  const root: MutableNode = { whole: false, children: undefined };
  for (const segments of paths) {
    let node = root;
    for (const seg of segments) {
      if (node.whole) break;
      node.children ??= new Map();
      let next = node.children.get(seg);
      if (next === undefined) {
        next = { whole: false, children: undefined };
        node.children.set(seg, next);
      }
      node = next;
    }
    // A read path ends here: its subtree is read whole, so what lies below it no longer narrows.
    node.whole = true;
    node.children = undefined;
  }
  return root;
}

/**
 * The schema fields a layout for the projection needs: those on the way to a read path (an
 * object-typed ancestor may hold the value as JSON) and those at or below one (a read path with
 * child fields reads an object made of them). Order is kept (it is the layout order).
 */
export function projectFields(fields: readonly FieldDef[], projection: ProjectionNode): FieldDef[] {
  return fields.filter((f) => {
    let node: ProjectionNode | undefined = projection;
    for (const seg of f.path.split('.')) {
      if (node.whole) return true;
      node = node.children?.get(seg);
      if (node === undefined) return false;
    }
    return true;
  });
}
