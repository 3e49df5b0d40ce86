// From input records to engine events: event time, tiebreaker, and the optional Elasticsearch
// ordering (stable sort by time, then tiebreaker). Without sorting, input order is event order.
import { InputError } from '../errors.js';
import type { EngineEvent } from '../engine/event.js';
import { compareKeyValues } from '../engine/key-order.js';
import type { Value } from '../engine/compiled.js';
import { TimeFormatError, eventTime, type TimeUnit } from './event-time.js';
import { readPath } from './field-path.js';
import { readRecords, type InputRecord, type LineFilterSlot } from './read-events.js';

export interface TimeOptions {
  /** Event time field (default @timestamp). */
  timeField: string;
  timeUnit: TimeUnit;
  /** Secondary ordering field, if any. */
  tiebreaker?: string;
}

export interface TimedEvent extends EngineEvent {
  record: InputRecord;
}

/** Streams the events of the given inputs, in order, numbering them across files. */
export async function* timedEvents(
  files: readonly string[], opts: TimeOptions, stdin?: NodeJS.ReadableStream, lines?: LineFilterSlot,
  /** Where a file's records come from (default: readRecords, the whole file). */
  source: (file: string) => AsyncIterable<InputRecord> = (file) => readRecords(file, stdin, lines),
): AsyncGenerator<TimedEvent> {
  let seq = 0;
  for (const file of files) {
    for await (const record of source(file)) {
      let time: number | null;
      try {
        time = eventTime(record.event, opts.timeField, opts.timeUnit);
      } catch (e) {
        if (!(e instanceof TimeFormatError)) throw e;
        const at = record.locate();
        throw new InputError('input.bad-time', `${at.text}: ${e.message}`, { file, context: at.context });
      }
      yield { view: record.event, time, seq: seq++, record };
    }
  }
}

/**
 * Elasticsearch's order: by time, then tiebreaker, stable (input order breaks remaining ties).
 * Events without a time or tiebreaker sort after those with one, as missing values sort last in
 * an ascending Elasticsearch sort. Renumbers `seq` to the new order.
 */
export function sortEvents<T extends EngineEvent>(events: T[], tiebreaker?: string): T[] {
  const tb = tiebreaker ? events.map((e) => readPath(e.view, tiebreaker) as Value | undefined) : undefined;
  const order = events.map((_e, i) => i);
  order.sort((a, b) => {
    const ta = events[a].time;
    const tb2 = events[b].time;
    if (ta !== tb2) {
      if (ta === null) return 1;
      if (tb2 === null) return -1;
      return ta - tb2;
    }
    if (tb) {
      const x = tb[a] ?? null;
      const y = tb[b] ?? null;
      if (x !== y) {
        if (x === null) return 1;
        if (y === null) return -1;
        const c = compareKeyValues(x, y);
        if (c !== 0) return c;
      }
    }
    return a - b;
  });
  const sorted = order.map((i) => events[i]);
  sorted.forEach((e, i) => (e.seq = i));
  return sorted;
}
