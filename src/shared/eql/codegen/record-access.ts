// The interpreter over binary records: what an event is when the engine runs on records, and a
// FieldAccessorFactory that reads fields out of them. It gives the values the JSON accessor
// would give for the event the record was encoded from, so both back ends (and the JSON path)
// agree: a layout field comes from its slot; a field folded into the JSON text of an object-typed
// ancestor, or kept in the record's extra JSON, or a path the layout does not know, is looked up
// in the decoded JSON. Only the first case is common, and it decodes just the one field.
import type { EventView, Value } from '../../engine/compiled.js';
import { RecordFlag, Storage } from '../../record/frame.js';
import { decodeField } from '../../record/decode.js';
import type { RecordLayout } from '../../record/layout.js';
import type { RecordView } from '../../record/view.js';
import { RecordEvent } from '../record-access.js';
import { applyNullValue, getField, type FieldAccessorFactory, type FieldReader, type FieldRef } from '../field-access.js';

export { RecordEvent };

/** How a field path relates to the layout; shared with the code generator. */
export interface FieldPlacement {
  /** Layout id, or -1 when the layout does not know the path. */
  id: number;
  /** Ids of object-typed (JSON-stored) ancestors whose text may hold this field. */
  jsonAncestors: number[];
  /** The layout has fields below this path, so a missing value may be an object of them. */
  hasChildren: boolean;
}

export function placeField(layout: RecordLayout, path: string): FieldPlacement {
  const segments = path.split('.');
  const jsonAncestors: number[] = [];
  for (let i = 1; i < segments.length; i++) {
    const id = layout.fieldId(segments.slice(0, i).join('.'));
    if (id >= 0 && layout.fields[id]!.storage === Storage.json) jsonAncestors.push(id);
  }
  let node = layout.root;
  for (const seg of segments) {
    const next = node.children?.get(seg);
    if (!next) {
      node = { field: undefined, children: undefined };
      break;
    }
    node = next;
  }
  return { id: layout.fieldId(path), jsonAncestors, hasChildren: node.children !== undefined && node.children.size > 0 };
}

/** A field accessor over RecordEvents of one layout. */
export function recordFieldAccessor(layout: RecordLayout): FieldAccessorFactory {
  const position = (ev: EventView): RecordView => (ev as RecordEvent).rv;
  return (field: FieldRef): FieldReader => {
    const read = fieldReader(layout, field, position);
    const nullValue = field.def?.nullValue as Value | undefined;
    if (nullValue === undefined) return read;
    return (ev) => applyNullValue(read(ev), nullValue);
  };
}

function fieldReader(layout: RecordLayout, field: FieldRef, position: (ev: EventView) => RecordView): FieldReader {
  const place = placeField(layout, field.path);
  const segments = field.segments;
  // Decoded once per event however many fields fall back to it (RecordEvent.decodedRecord).
  const fromJson = (ev: EventView): Value | undefined => getField((ev as RecordEvent).decodedRecord(), segments) as Value | undefined;
  if (place.id < 0) {
    // Unknown to the layout and to every object field: only a record's extra JSON can hold it, and
    // a record without one is not decoded at all (a newer rule over an older capture).
    if (!place.hasChildren && place.jsonAncestors.length === 0) {
      return (ev) => {
        const v = position(ev);
        return (v.flags & RecordFlag.hasExtra) !== 0 ? fromJson(ev) : undefined;
      };
    }
    return fromJson;
  }
  const id = place.id;
  return (ev) => {
    const v = position(ev);
    if (v.has(id)) return decodeField(v, id) as Value;
    if (place.hasChildren || (v.flags & RecordFlag.hasExtra) !== 0) return fromJson(ev);
    for (const a of place.jsonAncestors) if (v.has(a)) return fromJson(ev);
    return undefined;
  };
}
